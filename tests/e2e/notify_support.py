"""What the notification e2e tests share: real receivers for the SMS gateway and agency webhooks, members with
contact points verified through the API by the code that arrives, case events produced through the cases API or
published on the cases exchange, and what arrived, counted."""
from __future__ import annotations

import itertools
import json
import random
import re
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from kombu import Connection
from pytest_httpserver import HTTPServer
from werkzeug import Response

from shared.bus import events_exchange
from shared.envelope import Actor, StreamRef, new_envelope
from tests.e2e.conftest import COMMUNE, PROVINCE
from tests.notification_servers import free_port
from tests.support import wait_for

NEIGHBOUR = "22333"
HEALTH_CENTRE = f"TTYT-{COMMUNE}"
PC04 = "CA-T56-PC04"
UNITS = [(f"CAX-{COMMUNE}", "Công an phường Nha Trang", "commune_police", COMMUNE),
         (f"UBX-{COMMUNE}", "UBND phường Nha Trang", "commune_committee", COMMUNE),
         (f"CAX-{NEIGHBOUR}", "Công an phường Bắc Nha Trang", "commune_police", NEIGHBOUR),
         (PC04, "Phòng PC04", "provincial_police", PROVINCE),
         (HEALTH_CENTRE, "Trung tâm Y tế Nha Trang", "health_facility", COMMUNE)]
ACK_LINK = re.compile(r"https?://[^\s\"<>]+/api/v1/ack/[A-Za-z0-9_-]+")
CODE = re.compile(r"\b(\d{6})\b")


def fast_settings(catcher, receiver) -> dict:
    """The worker's timers and retries at test pace, its channels at the tests' own servers."""
    return {"DELIVERY_POLL_SECONDS": "0.2", "ESCALATION_POLL_SECONDS": "0.5", "DELIVERY_BACKOFF_BASE_SECONDS": "0.2",
            "DELIVERY_BACKOFF_CAP_SECONDS": "2", "RULES_CACHE_SECONDS": "0.2", "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(catcher.port), "SMS_GATEWAY_URL": receiver.url("/sms"),
            "NOTIFY_WEBHOOK_ALLOW": f"127.0.0.1:{receiver.port}"}


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict
    body: bytes
    at: float

    @property
    def json(self):
        return json.loads(self.body)


class Receiver:
    """A real HTTP server (pytest-httpserver, one thread per request) that keeps every POST it got, by path;
    `answer(received, count)` decides the reply, count being how many that path has had so far."""

    def __init__(self):
        self.port = free_port()
        self.server = HTTPServer(host="127.0.0.1", port=self.port, threaded=True)
        self._lock = threading.Lock()
        self._received: dict[str, list[Received]] = defaultdict(list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, answer=None) -> str:
        def handle(request):
            got = Received(path, {k.lower(): v for k, v in request.headers.items()}, request.get_data(),
                           time.monotonic())
            with self._lock:
                self._received[path].append(got)
                count = len(self._received[path])
            if answer is not None:
                return answer(got, count)
            return Response(json.dumps({"message_id": uuid.uuid4().hex}), status=200,
                            content_type="application/json")
        self.server.expect_request(path, method="POST").respond_with_handler(handle)
        return self.url(path)

    def received(self, path: str) -> list[Received]:
        with self._lock:
            return list(self._received[path])

    def start(self) -> "Receiver":
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.clear()
        self.server.stop()


def sms_to(receiver: Receiver, phone: str, containing: str = "") -> list[dict]:
    return [r.json for r in receiver.received("/sms") if r.json["phone"] == phone and containing in r.json["message"]]


def mails_to(catcher, address: str, containing: str = "") -> list:
    return [m for m in catcher.messages if m["To"] == address and containing in (m["Subject"] or "")]


def text_of(mail) -> str:
    return mail.get_body(("plain",)).get_content()


def html_of(mail) -> str:
    body = mail.get_body(("html",))
    return body.get_content() if body is not None else ""


def message_ids(catcher) -> list[str]:
    return [m["Message-ID"] for m in catcher.messages]


def webhook_ids(receiver: Receiver, path: str) -> list[str]:
    return [r.headers["webhook-id"] for r in receiver.received(path)]


# The directory, members and endpoints, through the APIs

def register_units(coordinator, databases, units=UNITS) -> None:
    for code, name, kind, area in units:
        response = coordinator("POST", "plans", "/units",
                               json={"unit_code": code, "name": name, "kind": kind, "area_code": area})
        assert response.status_code == 201, response.text
    wait_for(lambda: databases["notifications"]["units"].count_documents({}) >= len(units), 30,
             message="the unit directory to reach notifications")


def verify_point(api, kind: str, address: str, code_of) -> dict:
    """Add a contact point and verify it with the code that arrived through the point itself."""
    added = api("POST", "notifications", "/members/me/contact-points", json={"kind": kind, "address": address})
    assert added.status_code == 201, added.text
    point = added.json()
    code = wait_for(code_of, 20, 0.1, f"the verification code of {address}")
    verified = api("POST", "notifications", f"/members/me/contact-points/{point['id']}/verification",
                   headers={"If-Match": added.headers["ETag"]}, json={"code": code})
    assert verified.status_code == 200 and verified.json()["verified"] is True, verified.text
    return verified.json()


def member(as_user, catcher, receiver, subject: str, role: str, unit: str, areas: list[str],
           email: str | None = None, phone: str | None = None):
    """A member of `unit` (from their token) with an e-mail and a phone verified by the codes they received."""
    api = as_user(subject=subject, roles=[role], unit=unit, areas=areas)
    joined = api("PUT", "notifications", "/members/me", json={"language": "vi"})
    assert joined.status_code == 201, joined.text
    if email:
        def mailed_code():
            for mail in mails_to(catcher, email, "Mã xác minh"):
                return CODE.search(text_of(mail)).group(1)
        verify_point(api, "email", email, mailed_code)
    if phone:
        def texted_code():
            for sent in sms_to(receiver, "84" + phone.replace(" ", "")[1:], "Mã xác minh"):
                return CODE.search(sent["message"]).group(1)
        verify_point(api, "sms", phone, texted_code)
    return api


def agency_endpoint(admin, url: str, unit: str = HEALTH_CENTRE, name: str = "Hệ thống TTYT") -> dict:
    created = admin("POST", "notifications", "/endpoints", json={"unit_code": unit, "name": name, "url": url})
    assert created.status_code == 201, created.text
    return created.json()


def webhook_rule(admin, rule_id: str, endpoint_id: str, event_type: str = "cases.case.relapse_suspected",
                 category: str = "relapse_suspected", **extra) -> dict:
    """A rule sending the event to an agency's system (the seed rules name no endpoint)."""
    saved = admin("POST", "notifications", "/rules", json={
        "id": rule_id, "event_type": event_type, "category": category, "subject_type": "case",
        "subject_field": "case_id", "template": category, "channels": ["in_app", "webhook"],
        "endpoints": [endpoint_id], **extra})
    assert saved.status_code == 201, saved.text
    return saved.json()


# Case events

BIRTHS = itertools.count()


def person() -> dict:
    born = date(1970, 1, 1) + timedelta(days=next(BIRTHS) * 37 + random.randint(0, 30))
    national_id = f"0791{born.year % 100:02d}{random.randint(0, 999999):06d}"
    return {"full_name": "Trần Thị Bích Ngọc", "birth_date": born.isoformat(), "sex": "female",
            "national_id": national_id}


def open_case_of(api, who: dict, commune: str = COMMUNE) -> dict:
    response = api("POST", "cases", "/cases", json={"person": who, "commune_code": commune,
                                                    "opened_on": "2026-08-01"})
    assert response.status_code == 201, response.text
    return response.json()


def relapse_in_aftercare(api, who: dict | None = None) -> dict:
    """A case through community rehab into aftercare, then a positive test: cases.case.relapse_suspected."""
    case = open_case_of(api, who or person())
    decision = {"decision_number": "5/QĐ", "decision_date": "2026-08-02", "issuing_authority": "UBND phường",
                "drugs_declared": ["heroin"], "term_months": 6, "document_ref": "gcn-5"}
    for step in ("register_community_rehab", "complete_voluntary_rehab"):
        moved = api("POST", "cases", f"/cases/{case['id']}/transitions",
                    json={"transition": step, "effective_on": "2026-08-02", "decision": decision})
        assert moved.status_code == 200, moved.text
    tested = api("POST", "cases", f"/cases/{case['id']}/drug-tests",
                 json={"tested_on": "2026-08-10", "result": "positive", "substances": ["heroin"]})
    assert tested.status_code == 201, tested.text
    return case


def publish(amqp_url: str, envelope) -> None:
    with Connection(amqp_url) as connection:
        connection.Producer().publish(envelope.to_message(), exchange=events_exchange(envelope.producer),
                                      routing_key=envelope.type, delivery_mode=2, serializer="json")


def due_of(envelope) -> datetime:
    return datetime.fromisoformat(envelope.data["notify_police_by"])


def transfer_requested(case: dict, due_in_seconds: float, to_commune: str = NEIGHBOUR):
    """The event the cases service publishes for a transfer, with a legal deadline `due_in_seconds` from now (the
    cases API always sets 24 hours)."""
    now = datetime.now(timezone.utc)
    return new_envelope(
        event_type="cases.case.transfer_requested", schema_version=1, producer="cases",
        stream=StreamRef("case", f"case-{case['id']}", case.get("version", 1) + 1), area_code=case["commune_code"],
        actor=Actor("police-22366", "police_liaison", f"CAX-{case['commune_code']}"),
        data={"case_id": case["id"], "case_number": case["case_number"], "commune_code": case["commune_code"],
              "share_id": uuid.uuid4().hex, "kind": "transfer", "status": "requested", "to_unit": None,
              "to_commune": to_commune, "reason_code": None,
              "notify_police_by": (now + timedelta(seconds=due_in_seconds)).isoformat()})


def relapse_event(case_id: str, case_number: str, commune: str = COMMUNE):
    return new_envelope(
        event_type="cases.case.relapse_suspected", schema_version=1, producer="cases",
        stream=StreamRef("case", f"case-{case_id}", 4), area_code=commune,
        actor=Actor("cw", "caseworker", f"UBX-{commune}"),
        data={"case_id": case_id, "case_number": case_number, "commune_code": commune, "stage": "aftercare",
              "tested_on": "2026-08-10"})


# Reading alerts

def alerts_about(api, subject_id: str, **params) -> list[dict]:
    response = api("GET", "notifications", "/inbox", params={"page_size": 200, **params})
    assert response.status_code == 200, response.text
    return [a for a in response.json() if a["subject_id"] == subject_id]


def one_alert(api, subject_id: str, category: str, timeout: float = 30) -> dict:
    found = wait_for(lambda: [a for a in alerts_about(api, subject_id) if a["category"] == category], timeout,
                     0.2, f"the {category} alert about {subject_id}")
    assert len(found) == 1, found
    return found[0]
