"""The signed one-time acknowledgement links of e-mails and SMS: no bearer token, the link is the credential.

GET shows the alert and a button and never acknowledges (mail scanners and link previews fetch every link they
see); the button POSTs back to the same address, which acknowledges. People get small pages in Vietnamese with
English; any other client (one that does not name text/html) gets the errors as problems."""
from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from flask import current_app, request
from flask.views import MethodView

from shared import areas
from shared.errors import ServiceError
from shared.problems import problem
from shared.web import Blueprint, checks_own_credential

from services.notifications.adapters.channels.cap import event_label
from services.notifications.domain.commands import AcknowledgeByLink
from services.notifications.domain.queries import ReadAckLink
from services.notifications.service_layer.acknowledgement import LinkTampered, LinkView

ack_blp = Blueprint("ack_links", __name__, url_prefix="/api/v1",
                    description="Acknowledgement through the signed one-time link of an e-mail or SMS")
HTML = "text/html"
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex",
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"}
TAMPERED = "tampered"
HEADINGS = {TAMPERED: ("Liên kết không hợp lệ", "This link is not valid"),
            404: ("Không tìm thấy cảnh báo", "The alert was not found"),
            409: ("Không cần xác nhận nữa", "Nothing to acknowledge"),
            410: ("Liên kết đã hết hiệu lực", "This link can no longer be used")}
EXPLANATIONS = {TAMPERED: ("Liên kết đã bị thay đổi hoặc không do hệ thống tạo ra. "
                           "Hãy mở lại liên kết trong tin nhắn gốc.",
                           "The link was changed or was not made by this system. Open it again from the original "
                           "message."),
                404: ("Cảnh báo của liên kết này không còn nữa.", "The alert of this link no longer exists."),
                409: ("Cảnh báo này đã được xác nhận hoặc đã kết thúc.",
                      "This alert has already been acknowledged, or has ended."),
                410: ("Liên kết đã được dùng hoặc đã quá hạn. Hãy xác nhận trong hộp thư cảnh báo.",
                      "The link was used already or has expired. Acknowledge the alert in your inbox.")}


def _page(status: int, heading: tuple[str, str], body: str):
    html = f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(heading[0])} / {escape(heading[1])}</title>
<style>body{{font-family:sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}
.en{{color:#555}}button{{font-size:1.1rem;padding:.6rem 1.2rem}}</style></head>
<body><h1>{escape(heading[0])}</h1><p class="en">{escape(heading[1])}</p>
{body}</body></html>"""
    return current_app.response_class(html, status=status, mimetype=HTML, headers=PAGE_HEADERS)


def _titles(view: LinkView) -> str:
    """What an e-mail may name of the alert (its category, subject reference and area), never its in-app title."""
    area = (areas.name_of(view.area_code) or view.area_code) if view.area_code else ""
    vi, en = (f"{event_label(view.category, language)}: {view.subject_ref}" + (f" ({area})" if area else "")
              for language in ("vi-VN", "en-US"))
    return f'<p><strong>{escape(vi)}</strong></p><p class="en">{escape(en)}</p>'


def _local(moment: datetime | None) -> str:
    return moment.astimezone(LOCAL).strftime("%H:%M %d/%m/%Y") if moment else ""


def _wants_html() -> bool:
    """A browser names text/html; any other client (no Accept, */*) gets the problem the API documents."""
    named = {value: quality for value, quality in request.accept_mimetypes}
    return named.get(HTML, 0) > 0 and named[HTML] >= max(named.get("application/json", 0),
                                                         named.get("application/problem+json", 0))


def _refused(error: ServiceError):
    if not _wants_html():
        return problem(error.status, error.title, error.detail, error.errors or None, **error.extra)
    page = TAMPERED if isinstance(error, LinkTampered) else error.status
    heading = HEADINGS.get(page, (error.title, error.title))
    vi, en = EXPLANATIONS.get(page, ("", error.detail))
    return _page(error.status, heading, f'<p>{escape(vi)}</p><p class="en">{escape(en)}</p>')


def _handle(message):
    return current_app.extensions["service_layer"].handle(message)


@ack_blp.route("/ack/<string:token>")
@checks_own_credential(methods=("GET", "HEAD", "POST"))
class AckLink(MethodView):
    @ack_blp.doc(security=[])
    @ack_blp.response(200, content_type=HTML, description="A page showing the alert, with a button that POSTs "
                                                           "back to this address to acknowledge it")
    @ack_blp.alt_response(404, description="Not a link this service made (or changed on the way), or its alert "
                                           "no longer exists")
    @ack_blp.alt_response(410, description="The link was used already, or has expired")
    def get(self, token):
        """The alert of an acknowledgement link, with a button to acknowledge it (GET never acknowledges)"""
        try:
            view = _handle(ReadAckLink(token))
        except ServiceError as error:
            return _refused(error)
        if view.acknowledged_by or not view.open:
            return _page(200, HEADINGS[409], _titles(view) + "<p>{}</p><p class=\"en\">{}</p>".format(
                *(escape(text) for text in EXPLANATIONS[409])))
        return _page(200, ("Xác nhận đã nhận cảnh báo", "Acknowledge this alert"), _titles(view) + (
            '<form method="post" action=""><button type="submit">Xác nhận đã nhận / Acknowledge</button></form>'))

    @ack_blp.doc(security=[])
    @ack_blp.response(200, content_type=HTML, description="A page confirming the acknowledgement")
    @ack_blp.alt_response(409, description="The alert was acknowledged already, or has ended")
    @ack_blp.alt_response(404, description="Not a link this service made (or changed on the way), or its alert "
                                           "no longer exists")
    @ack_blp.alt_response(410, description="The link was used already, or has expired")
    def post(self, token):
        """Acknowledge the alert of a signed one-time link (as the addressee the link was made for); no
        Idempotency-Key: the link itself works once, and a second use answers 410"""
        try:
            alert = _handle(AcknowledgeByLink(token))
        except ServiceError as error:
            return _refused(error)
        return _page(200, ("Đã xác nhận", "Acknowledged"), _titles(LinkView.of(alert)) + (
            f"<p>Đã xác nhận lúc {escape(_local(alert.acknowledged_at))}.</p>"
            f'<p class="en">Acknowledged at {escape(_local(alert.acknowledged_at))} (Asia/Ho_Chi_Minh).</p>'))
