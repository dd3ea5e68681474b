"""The outbound channels against real local servers (aiosmtpd, pytest-httpserver), the endpoint URL policy, CAP 1.2
and Atom documents against the OASIS schema, and contact-point validation. No database or broker needed."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from lxml import etree
from standardwebhooks import Webhook, WebhookVerificationError
from werkzeug import Response

from services.notifications.adapters.channels.cap import ATOM_NS, CAP_NS, atom_feed, cap_alert, validate_cap
from services.notifications.adapters.channels.sms import SmsGatewayChannel
from services.notifications.adapters.channels.smtp import SmtpChannel
from services.notifications.adapters.channels.url_safety import EndpointUrlPolicy
from services.notifications.adapters.channels.webhooks import WebhookChannel, new_secret
from services.notifications.domain.addresses import check_email, check_endpoint_scheme, normalise_phone
from services.notifications.domain.messages import Message
from shared.refusals import DecisionInvalid
from tests.notification_servers import SmtpCatcher, free_port

ICT = timezone(timedelta(hours=7))
SUBJECT_VI = "Cảnh báo khẩn: nghi tái nghiện, hồ sơ HS-2025-0042 tại Phường Bến Thành"
HTML_VI = "<p>Hồ sơ <b>HS-2025-0042</b>: đề nghị xác nhận đã nhận trước 22 giờ.</p>"


def email_to(address="tram.truong@congan.gov.vn", delivery_id="dlv-0001") -> Message:
    return Message(delivery_id=delivery_id, channel="email", address=address, text="Đề nghị xác nhận đã nhận.",
                   subject=SUBJECT_VI, html=HTML_VI, sent_at=datetime(2025, 3, 1, 22, 5, tzinfo=ICT))


def smtp_to(catcher: SmtpCatcher, **options) -> SmtpChannel:
    return SmtpChannel("127.0.0.1", catcher.port, "canh-bao@donghanh.gov.vn", timeout=5, **options)


# --- SMTP --------------------------------------------------------------------------------------------------------

def test_an_email_arrives_with_its_vietnamese_subject_html_and_a_stable_message_id():
    with SmtpCatcher() as catcher:
        first = smtp_to(catcher).send(email_to())
        again = smtp_to(catcher).send(email_to())
        received = catcher.wait_for(2)
    assert (first.status, again.status) == ("sent", "sent")
    assert first.answer.startswith("250")
    mail = received[0]
    assert mail["Subject"] == SUBJECT_VI
    assert mail["To"] == "tram.truong@congan.gov.vn"
    assert mail["Message-ID"] == "<dlv-0001@donghanh.local>" == received[1]["Message-ID"]
    assert mail.get_body(("html",)).get_content().strip() == HTML_VI
    assert mail.get_body(("plain",)).get_content().strip() == "Đề nghị xác nhận đã nhận."
    assert catcher.envelopes[0][:2] == ("canh-bao@donghanh.gov.vn", ("tram.truong@congan.gov.vn",))


def test_starttls_is_used_when_configured():
    with SmtpCatcher(starttls=True, require_starttls=True) as catcher:
        outcome = smtp_to(catcher, starttls=True, tls_context=catcher.client_tls_context()).send(email_to())
        catcher.wait_for(1)
        assert outcome.status == "sent", outcome
        assert catcher.envelopes[0][2] is True


def test_a_server_without_starttls_gets_nothing_in_clear():
    with SmtpCatcher() as catcher:
        outcome = smtp_to(catcher, starttls=True).send(email_to())
        assert (outcome.status, outcome.permanent) == ("failed", False)
        assert "STARTTLS" in outcome.answer
        assert catcher.messages == []


def test_an_untrusted_certificate_fails_the_delivery():
    with SmtpCatcher(starttls=True) as catcher:
        outcome = smtp_to(catcher, starttls=True).send(email_to())
        assert (outcome.status, outcome.permanent) == ("failed", False)
        assert catcher.messages == []


def test_smtp_login_with_credentials():
    with SmtpCatcher(logins={"relay": "s3cret"}) as catcher:
        assert smtp_to(catcher, username="relay", password="s3cret").send(email_to()).status == "sent"
        refused = smtp_to(catcher, username="relay", password="wrong").send(email_to())
        assert (refused.status, refused.permanent, refused.answer[:3]) == ("failed", True, "535")
        assert len(catcher.messages) == 1


def test_451_is_a_transient_failure_and_the_next_attempt_is_delivered():
    with SmtpCatcher(fail_next=1) as catcher:
        failed = smtp_to(catcher).send(email_to())
        assert (failed.status, failed.permanent) == ("failed", False)
        assert failed.answer.startswith("451")
        assert smtp_to(catcher).send(email_to()).status == "sent"
        assert len(catcher.wait_for(1)) == 1


def test_550_is_a_permanent_failure():
    with SmtpCatcher(refuse=("nobody@donghanh.gov.vn",)) as catcher:
        outcome = smtp_to(catcher).send(email_to("nobody@donghanh.gov.vn"))
        assert (outcome.status, outcome.permanent) == ("failed", True)
        assert outcome.answer.startswith("550")
        assert catcher.messages == []


def test_a_refused_connection_is_a_transient_failure():
    outcome = SmtpChannel("127.0.0.1", free_port(), "canh-bao@donghanh.gov.vn", timeout=2).send(email_to())
    assert (outcome.status, outcome.permanent, outcome.answer) == ("failed", False, "connection refused")


def test_a_header_injection_is_refused_not_sent():
    with SmtpCatcher() as catcher:
        outcome = smtp_to(catcher).send(Message("dlv-2", "email", "a@donghanh.gov.vn", "x", subject="Hi\r\nBcc: x@y.z"))
        assert (outcome.status, outcome.permanent) == ("failed", True)
        assert catcher.messages == []


# --- SMS ---------------------------------------------------------------------------------------------------------

def sms(text="Canh bao: ho so HS-2025-0042, xac nhan tai donghanh.gov.vn", delivery_id="dlv-sms-1") -> Message:
    return Message(delivery_id=delivery_id, channel="sms", address="+84912345678", text=text)


def test_an_sms_is_posted_as_json_with_basic_auth(httpserver):
    httpserver.expect_request("/sms", method="POST").respond_with_json({"code": 0, "message_id": "GW-778"})
    channel = SmsGatewayChannel(httpserver.url_for("/sms"), "DONGHANH", username="dh", password="pw", timeout=5)
    outcome = channel.send(sms())
    request = httpserver.log[-1][0]
    assert outcome.status == "sent" and "GW-778" in outcome.answer
    assert request.get_json() == {"phone": "84912345678", "brandname": "DONGHANH", "client_ref": "dlv-sms-1",
                                  "message": "Canh bao: ho so HS-2025-0042, xac nhan tai donghanh.gov.vn",
                                  "unicode": False}
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"dh:pw").decode()


def test_vietnamese_text_is_sent_as_unicode_with_a_bearer_key(httpserver):
    httpserver.expect_request("/sms", method="POST", headers={"Authorization": "Bearer k-123"}).respond_with_data("ok")
    channel = SmsGatewayChannel(httpserver.url_for("/sms"), "DONGHANH", api_key="k-123", timeout=5)
    assert channel.send(sms("Cảnh báo khẩn: hồ sơ HS-2025-0042")).status == "sent"
    assert httpserver.log[-1][0].get_json()["unicode"] is True


def test_a_busy_gateway_is_a_transient_failure_with_its_retry_after(httpserver):
    httpserver.expect_request("/sms").respond_with_data("busy", status=503, headers={"Retry-After": "30"})
    outcome = SmsGatewayChannel(httpserver.url_for("/sms"), "DONGHANH", timeout=5).send(sms())
    assert (outcome.status, outcome.permanent, outcome.retry_after_seconds) == ("failed", False, 30.0)
    assert outcome.answer.startswith("HTTP 503")


def test_a_rejected_sms_is_a_permanent_failure(httpserver):
    httpserver.expect_request("/sms").respond_with_json({"error": "invalid brandname"}, status=400)
    outcome = SmsGatewayChannel(httpserver.url_for("/sms"), "DONGHANH", timeout=5).send(sms())
    assert (outcome.status, outcome.permanent) == ("failed", True)
    assert "invalid brandname" in outcome.answer


def test_an_sms_gateway_that_is_down_is_a_transient_failure():
    outcome = SmsGatewayChannel(f"http://127.0.0.1:{free_port()}/sms", "DONGHANH", timeout=2).send(sms())
    assert (outcome.status, outcome.permanent, outcome.answer) == ("failed", False, "connection refused")


# --- Webhooks ----------------------------------------------------------------------------------------------------

def allowing(httpserver) -> EndpointUrlPolicy:
    return EndpointUrlPolicy.from_setting(f"{httpserver.host}:{httpserver.port}")


def hook(url: str, secrets: tuple[str, ...], delivery_id="dlv-hook-1") -> Message:
    return Message(delivery_id=delivery_id, channel="webhook", address=url, text="", secrets=secrets,
                   event_type="notifications.alert.raised", sent_at=datetime(2025, 3, 1, 22, 5, tzinfo=ICT),
                   payload={"alert_id": "al-1", "category": "relapse_suspected", "case_number": "HS-2025-0042",
                            "title": "Nghi tái nghiện"})


def webhook_channel(httpserver) -> WebhookChannel:
    return WebhookChannel(timeout=5, url_check=lambda url: allowing(httpserver).check("url", url))


def test_a_webhook_is_signed_per_standard_webhooks(httpserver):
    secret = new_secret()
    httpserver.expect_request("/hook", method="POST").respond_with_data("", status=204)
    outcome = webhook_channel(httpserver).send(hook(httpserver.url_for("/hook"), (secret,)))
    request = httpserver.log[-1][0]
    assert outcome.status == "sent"
    body = request.get_data()
    verified = Webhook(secret).verify(body, dict(request.headers))
    assert verified == {"type": "notifications.alert.raised", "timestamp": "2025-03-01T22:05:00+07:00",
                        "data": {"alert_id": "al-1", "category": "relapse_suspected", "case_number": "HS-2025-0042",
                                 "title": "Nghi tái nghiện"}}
    assert request.headers["webhook-id"] == "dlv-hook-1"
    assert request.headers["content-type"] == "application/json"
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, dict(request.headers))


def test_during_a_rotation_both_secrets_verify(httpserver):
    new, old = new_secret(), new_secret()
    httpserver.expect_request("/hook").respond_with_data("ok")
    assert webhook_channel(httpserver).send(hook(httpserver.url_for("/hook"), (new, old))).status == "sent"
    request = httpserver.log[-1][0]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (new, old):
        Webhook(secret).verify(request.get_data(), dict(request.headers))


def test_new_secrets_are_whsec_with_24_random_bytes():
    secret = new_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 24 and secret != new_secret()


def test_410_means_the_endpoint_is_gone(httpserver):
    httpserver.expect_request("/hook").respond_with_data("gone", status=410)
    outcome = webhook_channel(httpserver).send(hook(httpserver.url_for("/hook"), (new_secret(),)))
    assert outcome.status == "gone" and outcome.answer.startswith("HTTP 410")


@pytest.mark.parametrize("status", [408, 425, 429, 500, 503])
def test_retryable_statuses_are_transient(httpserver, status):
    httpserver.expect_request("/hook").respond_with_data("later", status=status)
    outcome = webhook_channel(httpserver).send(hook(httpserver.url_for("/hook"), (new_secret(),)))
    assert (outcome.status, outcome.permanent, outcome.retry_after_seconds) == ("failed", False, None)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_other_client_errors_are_permanent(httpserver, status):
    httpserver.expect_request("/hook").respond_with_data("no", status=status)
    outcome = webhook_channel(httpserver).send(hook(httpserver.url_for("/hook"), (new_secret(),)))
    assert (outcome.status, outcome.permanent) == ("failed", True)


def test_429_retry_after_in_seconds(httpserver):
    httpserver.expect_request("/hook").respond_with_data("slow down", status=429, headers={"Retry-After": "120"})
    outcome = webhook_channel(httpserver).send(hook(httpserver.url_for("/hook"), (new_secret(),)))
    assert (outcome.status, outcome.permanent, outcome.retry_after_seconds) == ("failed", False, 120.0)


def test_429_retry_after_as_an_http_date(httpserver):
    later = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=90), usegmt=True)
    httpserver.expect_request("/hook").respond_with_data("slow down", status=429, headers={"Retry-After": later})
    outcome = webhook_channel(httpserver).send(hook(httpserver.url_for("/hook"), (new_secret(),)))
    assert outcome.status == "failed" and not outcome.permanent
    assert 80 <= outcome.retry_after_seconds <= 90


def test_a_redirect_is_not_followed(httpserver):
    httpserver.expect_request("/hook").respond_with_response(
        Response("", status=302, headers={"Location": httpserver.url_for("/elsewhere")}))
    httpserver.expect_request("/elsewhere").respond_with_data("ok")
    outcome = webhook_channel(httpserver).send(hook(httpserver.url_for("/hook"), (new_secret(),)))
    assert (outcome.status, outcome.permanent) == ("failed", True)
    assert [request.path for request, _ in httpserver.log] == ["/hook"]


def test_an_endpoint_that_is_down_is_a_transient_failure():
    outcome = WebhookChannel(timeout=2, url_check=lambda url: None).send(
        hook(f"http://127.0.0.1:{free_port()}/hook", (new_secret(),)))
    assert (outcome.status, outcome.permanent, outcome.answer) == ("failed", False, "connection refused")


def test_an_endpoint_resolving_to_loopback_is_refused_unless_allow_listed(httpserver):
    httpserver.expect_request("/hook").respond_with_data("ok")
    url = f"http://localhost:{httpserver.port}/hook"
    refused = WebhookChannel(timeout=5).send(hook(url, (new_secret(),)))
    assert (refused.status, refused.permanent) == ("failed", True) and "internal address" in refused.answer
    assert httpserver.log == []
    policy = EndpointUrlPolicy.from_setting(f"example.org, localhost:{httpserver.port}")
    allowed = WebhookChannel(timeout=5, url_check=lambda u: policy.check("url", u)).send(hook(url, (new_secret(),)))
    assert allowed.status == "sent" and len(httpserver.log) == 1


def test_an_endpoint_without_secrets_is_not_called(httpserver):
    outcome = webhook_channel(httpserver).send(hook(httpserver.url_for("/hook"), ()))
    assert (outcome.status, outcome.permanent) == ("failed", True) and httpserver.log == []


# --- The endpoint URL policy -------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://10.1.2.3/hook", "http://192.168.1.10/hook", "http://169.254.169.254/latest/meta-data", "http://[::1]/",
    "http://[fc00::1]/hook", "http://100.64.0.7/hook", "http://127.0.0.1:8080/", "http://0.0.0.0/",
    "http://[::ffff:10.0.0.1]/", "http://[fe80::1]/", "http://224.0.0.1/", "http://172.16.5.4/",
    "http://localhost/", "http://no-such-host.invalid/hook"])
def test_internal_or_unresolvable_endpoints_are_refused_naming_the_field(url):
    with pytest.raises(DecisionInvalid) as refused:
        EndpointUrlPolicy().check("endpoint.url", url)
    assert refused.value.field == "endpoint.url"


@pytest.mark.parametrize("url", ["ftp://example.org/x", "http://user:pw@example.org/", "https:///path", "hook"])
def test_endpoints_must_be_http_with_a_host_and_no_credentials(url):
    with pytest.raises(DecisionInvalid) as refused:
        check_endpoint_scheme("endpoint.url", url)
    assert refused.value.field == "endpoint.url"


def test_a_public_literal_address_is_allowed_and_allow_lists_parse():
    EndpointUrlPolicy().check("endpoint.url", "https://8.8.8.8/hook")
    EndpointUrlPolicy().check("endpoint.url", "https://[2001:4860:4860::8888]/hook")
    policy = EndpointUrlPolicy.from_setting(" 10.0.0.5 , receiver.local:8443,,")
    assert policy.allow == ("10.0.0.5", "receiver.local:8443")
    policy.check("endpoint.url", "http://10.0.0.5:9000/hook")
    with pytest.raises(DecisionInvalid):
        policy.check("endpoint.url", "http://10.0.0.6/hook")


# --- CAP 1.2 and Atom --------------------------------------------------------------------------------------------

SENT = datetime(2025, 3, 1, 22, 5, tzinfo=ICT)
URGENT = dict(id="al-7f3a", sent=SENT, category="relapse_suspected", urgent=True, ack_required=True,
              title_vi="Nghi tái nghiện: hồ sơ HS-2025-0042 tại Phường Bến Thành",
              title_en="Suspected relapse: case HS-2025-0042 in Ben Thanh ward", area_code="26734",
              area_name="Phường Bến Thành", subject_type="case", subject_ref="HS-2025-0042",
              web="https://donghanh.gov.vn/alerts/al-7f3a", expires=SENT + timedelta(days=1))
ROUTINE = dict(URGENT, id="al 81,<b>&c", category="task_assigned", urgent=False, ack_required=False,
               title_vi="Giao nhiệm vụ T-12", title_en="Task T-12 assigned", subject_type="task", subject_ref="T-12",
               web=None, expires=None, sent=datetime(2025, 3, 2, 1, 0, tzinfo=timezone.utc))
SENDER = "notifications@donghanh.gov.vn"


def cap(xml: bytes, path: str) -> list[str]:
    return etree.fromstring(xml).xpath(path, namespaces={"c": CAP_NS})


def test_an_urgent_alert_is_valid_cap_with_both_languages():
    xml = cap_alert(URGENT, SENDER)
    validate_cap(xml)
    assert cap(xml, "/c:alert/c:sent/text()") == ["2025-03-01T22:05:00+07:00"]
    assert cap(xml, "/c:alert/c:scope/text()") == ["Restricted"] and cap(xml, "/c:alert/c:restriction/text()")
    assert cap(xml, "//c:info/c:language/text()") == ["vi-VN", "en-US"]
    assert cap(xml, "//c:info/c:category/text()") == ["Health", "Health"]
    assert cap(xml, "//c:info/c:urgency/text()") == ["Immediate"] * 2
    assert cap(xml, "//c:info/c:severity/text()") == ["Severe"] * 2
    assert cap(xml, "//c:info/c:certainty/text()") == ["Likely"] * 2
    assert cap(xml, "//c:info[1]/c:headline/text()") == [URGENT["title_vi"]]
    assert cap(xml, "//c:info[1]/c:expires/text()") == ["2025-03-02T22:05:00+07:00"]
    assert cap(xml, "//c:info[1]/c:area/c:geocode[c:valueName='VN-area-code']/c:value/text()") == ["26734"]
    assert cap(xml, "//c:info[1]/c:parameter[c:valueName='subject']/c:value/text()") == ["case:HS-2025-0042"]


def test_a_routine_alert_is_valid_cap_with_its_identifier_cleaned_and_utc_as_minus_zero():
    xml = cap_alert(ROUTINE, "Đồng Hành, tỉnh <X>")
    validate_cap(xml)
    identifier, sender = cap(xml, "/c:alert/c:identifier/text()")[0], cap(xml, "/c:alert/c:sender/text()")[0]
    assert not any(c in identifier + sender for c in " ,<&")
    assert cap(xml, "/c:alert/c:sent/text()") == ["2025-03-02T01:00:00-00:00"]
    assert cap(xml, "//c:info/c:category/text()") == ["Safety", "Safety"]
    assert cap(xml, "//c:info/c:urgency/text()") == ["Expected"] * 2
    assert cap(xml, "//c:info/c:web") == [] and cap(xml, "//c:info/c:expires") == []


def test_a_cancel_references_the_alert_it_cancels():
    cancelled_at = datetime(2025, 3, 1, 23, 30, tzinfo=ICT)
    xml = cap_alert(dict(URGENT, sent=cancelled_at), SENDER, msg_type="Cancel",
                    references=[(SENDER, "al-7f3a", SENT)])
    validate_cap(xml)
    assert cap(xml, "/c:alert/c:msgType/text()") == ["Cancel"]
    assert cap(xml, "/c:alert/c:references/text()") == [f"{SENDER},al-7f3a,2025-03-01T22:05:00+07:00"]
    assert cap(xml, "/c:alert/c:identifier/text()") != ["al-7f3a"]


def test_broken_cap_fails_validation():
    xml = cap_alert(URGENT, SENDER)
    root = etree.fromstring(xml)
    root.find(f"{{{CAP_NS}}}status").text = "Real"
    root.find(f"{{{CAP_NS}}}sent").text = "2025-03-01T15:05:00Z"
    with pytest.raises(ValueError, match="status") as broken:
        validate_cap(etree.tostring(root))
    assert "sent" in str(broken.value)
    with pytest.raises(ValueError, match="identifier"):
        validate_cap(xml.replace(b"<identifier>al-7f3a", b"<identifier>al 7f3a"))
    with pytest.raises(ValueError, match="not XML"):
        validate_cap(b"<alert")


def test_an_atom_feed_of_current_alerts_parses_and_carries_the_cap_inline():
    urgent, routine = cap_alert(URGENT, SENDER), cap_alert(ROUTINE, SENDER)
    feed = atom_feed("urn:donghanh:feed:unit-clinic-1", "Cảnh báo hiện hành", "https://donghanh.gov.vn/feeds/1",
                     SENT, [dict(id="urn:donghanh:alert:al-7f3a", title=URGENT["title_vi"], updated=SENT,
                                 summary=URGENT["title_en"], cap_url="https://donghanh.gov.vn/cap/al-7f3a.xml",
                                 cap=urgent),
                            dict(id="urn:donghanh:alert:al-81", title=ROUTINE["title_vi"], updated=SENT,
                                 summary=ROUTINE["title_en"], cap_url="https://donghanh.gov.vn/cap/al-81.xml",
                                 cap=routine)])
    root = etree.fromstring(feed)
    ns = {"a": ATOM_NS, "c": CAP_NS}
    assert root.tag == f"{{{ATOM_NS}}}feed"
    assert root.xpath("a:link[@rel='self']/@href", namespaces=ns) == ["https://donghanh.gov.vn/feeds/1"]
    assert root.xpath("a:id/text()", namespaces=ns) and root.xpath("a:updated/text()", namespaces=ns)
    entries = root.xpath("a:entry", namespaces=ns)
    assert len(entries) == 2
    assert entries[0].xpath("a:link[@type='application/cap+xml']/@href", namespaces=ns) == [
        "https://donghanh.gov.vn/cap/al-7f3a.xml"]
    inline = entries[0].xpath("a:content[@type='application/cap+xml']/c:alert", namespaces=ns)
    assert len(inline) == 1
    validate_cap(etree.tostring(inline[0]))


# --- Contact points ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("0912 345 678", "+84912345678"), ("+84 912 345 678", "+84912345678"), ("84912345678", "+84912345678"),
    ("(+84) 98-765-4321", "+84987654321")])
def test_phones_are_normalised_to_e164(text, expected):
    assert normalise_phone("contact.phone", text) == expected


@pytest.mark.parametrize("text", ["", "   ", "12345", "0912 345 67", "abc", "091234567890123",
                                  "024 3825 1234", "+84 00 000 0000"])
def test_bad_phones_are_refused_naming_the_field(text):
    with pytest.raises(DecisionInvalid) as refused:
        normalise_phone("contact.phone", text)
    assert refused.value.field == "contact.phone"


def test_emails_keep_their_local_part_and_lower_case_their_domain():
    assert check_email("contact.email", " Tram.Truong@CongAn.Gov.VN ") == "Tram.Truong@congan.gov.vn"


@pytest.mark.parametrize("text", ["", "plain", "a@b", "a b@congan.gov.vn", "a@@congan.gov.vn", "a@congan.gov.vn\n",
                                  "@congan.gov.vn", "a@-congan.gov.vn", "a@congan..gov.vn", "a.@congan.gov.vn",
                                  "a@congan.gov.vn@x.vn", "a\u0000b@congan.gov.vn", "a@cong an.gov.vn",
                                  "x" * 250 + "@a.vn", "a@congan.gov.vn>", "<a>@congan.gov.vn"])
def test_bad_emails_are_refused_naming_the_field(text):
    with pytest.raises(DecisionInvalid) as refused:
        check_email("contact.email", text)
    assert refused.value.field == "contact.email"


def test_webhook_bodies_are_compact_utf8_json(httpserver):
    httpserver.expect_request("/hook").respond_with_data("ok")
    webhook_channel(httpserver).send(hook(httpserver.url_for("/hook"), (new_secret(),)))
    body = httpserver.log[-1][0].get_data()
    assert "Nghi tái nghiện".encode() in body and json.loads(body)["type"] == "notifications.alert.raised"
