"""HTTP API of the agency feeds: an agency's current alerts as Atom, each entry carrying its CAP 1.2 message, and
each alert's CAP message alone, opened by the agency's feed secret in the URL (feed readers send no bearer token);
the secret minted with a bearer token (thin views over service_layer/feeds.py)."""
from __future__ import annotations

from urllib.parse import quote

from flask import current_app, url_for
from flask.views import MethodView
from marshmallow import Schema, fields

from shared.endpoints import ETAG, ask, etag, if_match_version, takes_if_match
from shared.web import Blueprint, checks_own_credential

from services.notifications.adapters.channels.cap import CAP_TYPE, FeedEntry, atom_feed
from services.notifications.domain.commands import MintFeedToken
from services.notifications.domain.queries import ReadAgencyCap, ReadAgencyFeed

feeds_blp = Blueprint("feeds", __name__, url_prefix="/api/v1",
                      description="Agency feeds: current alerts as Atom with CAP 1.2, opened by a feed secret")
ATOM = "application/atom+xml"
SECRET_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


class FeedQuery(Schema):
    token = fields.String(load_default=None, metadata={
        "description": "The agency's feed secret, from POST /agencies/{unit_code}/feed-token"})


class FeedSubscriptionOut(Schema):
    unit_code = fields.String()
    url = fields.String(metadata={"description": "The Atom feed's address with its secret: shown this once"})
    token = fields.String(metadata={"description": "The secret alone, for each alert's CAP address (?token=)"})
    generation = fields.Integer(metadata={"description": "How many secrets the agency has had; the earlier ones "
                                                         "no longer open the feed"})


def _answer_of(query):
    """Asked with no principal: the secret in the URL is the credential."""
    return current_app.extensions["service_layer"].handle(query)


def _entry(unit_code: str, item) -> FeedEntry:
    raised = item.alert.raised
    return FeedEntry(id=f"urn:donghanh:alert:{quote(item.alert.id, safe='')}", title=raised.title_vi,
                     updated=raised.raised_at, summary=raised.title_en,
                     cap_url=url_for("feeds.AgencyAlertCap", unit_code=unit_code, alert_id=item.alert.id,
                                     _external=True), cap=item.cap)


@feeds_blp.route("/agencies/<string:unit_code>/alerts.atom")
@checks_own_credential
class AgencyFeed(MethodView):
    @feeds_blp.doc(security=[])
    @feeds_blp.arguments(FeedQuery, location="query", as_kwargs=True)
    @feeds_blp.response(200, content_type=ATOM, description=(
        "The agency's open alerts, newest first (at most 100), each entry carrying its CAP 1.2 message as XML "
        "content and linking to it; a resolved alert leaves the feed. The links carry no secret: add ?token="))
    def get(self, unit_code, token):
        """An agency's current alerts as Atom, to subscribe to by URL (the secret in the URL, no bearer token)"""
        feed = _answer_of(ReadAgencyFeed(unit_code, token))
        self_url = url_for("feeds.AgencyFeed", unit_code=unit_code, _external=True)
        body = atom_feed(f"urn:donghanh:agency:{quote(unit_code, safe='')}:alerts",
                         f"Cảnh báo hiện hành - {unit_code}", self_url, feed.updated,
                         [_entry(unit_code, item) for item in feed.items])
        return current_app.response_class(body, mimetype=ATOM, headers=SECRET_HEADERS)


@feeds_blp.route("/agencies/<string:unit_code>/alerts/<string:alert_id>.cap")
@checks_own_credential
class AgencyAlertCap(MethodView):
    @feeds_blp.doc(security=[])
    @feeds_blp.arguments(FeedQuery, location="query", as_kwargs=True)
    @feeds_blp.response(200, content_type=CAP_TYPE, description="The alert as a CAP 1.2 message")
    def get(self, unit_code, alert_id, token):
        """One current alert of the agency as CAP 1.2 (the feed's secret in the URL, no bearer token)"""
        cap = _answer_of(ReadAgencyCap(unit_code, alert_id, token))
        return current_app.response_class(cap, mimetype=CAP_TYPE, headers=SECRET_HEADERS)


@feeds_blp.route("/agencies/<string:unit_code>/feed-token")
class FeedToken(MethodView):
    @takes_if_match
    @feeds_blp.response(201, FeedSubscriptionOut, headers=ETAG)
    def post(self, unit_code):
        """Mint a new secret for the agency's feed (its own staff, admins of its areas); the earlier one stops

        The ETag counts the agency's secrets. Not idempotent by key: a replayed answer would have to keep the
        secret, which is stored only as its hash; minting again is the retry."""
        minted = ask(MintFeedToken(unit_code, if_match_version()))
        url = url_for("feeds.AgencyFeed", unit_code=minted.unit_code, token=minted.token, _external=True)
        return ({"unit_code": minted.unit_code, "url": url, "token": minted.token, "generation": minted.generation},
                201, {**etag(minted.generation), **SECRET_HEADERS})
