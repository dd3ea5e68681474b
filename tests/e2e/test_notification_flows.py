"""Alerts end to end across the real services (gunicorn and worker processes, RabbitMQ, FerretDB) to real receivers:
an aiosmtpd server for e-mail, HTTP receivers (pytest-httpserver) for the SMS gateway and an agency's webhooks.
Contact points are verified through the API with the codes that arrive; links are followed over HTTP."""
import os
import signal
import time
import uuid
from datetime import datetime, timezone

import pytest
import requests
from standardwebhooks import Webhook

from services.notifications.adapters.channels.cap import validate_cap
from tests.e2e.conftest import COMMUNE
from tests.e2e.notify_support import (ACK_LINK, HEALTH_CENTRE, NEIGHBOUR, PC04, Receiver, agency_endpoint,
                                      alerts_about, due_of, fast_settings, html_of, mails_to, member, message_ids,
                                      one_alert, open_case_of, person, publish, register_units,
                                      relapse_in_aftercare, sms_to, text_of, transfer_requested, webhook_ids,
                                      webhook_rule)
from tests.notification_servers import SmtpCatcher
from tests.support import System, wait_for

pytestmark = pytest.mark.e2e

CASEWORKER_EMAIL, CASEWORKER_PHONE = "can.bo.22366@ubnd.example.vn", "0912 345 678"
CASEWORKER_SMS = "84912345678"
RECEIVING_EMAIL, PC04_EMAIL = "truc.ban.22333@congan.example.vn", "pc04.truc.ban@congan.example.vn"
URGENT = "KHẨN"


@pytest.fixture(scope="module")
def catcher():
    with SmtpCatcher() as server:
        yield server


@pytest.fixture(scope="module")
def receiver():
    server = Receiver()
    server.route("/sms")
    server.route("/hook")
    yield server.start()
    server.stop()


@pytest.fixture(scope="module")
def system(ferretdb, broker, catcher, receiver):
    running = System(ferretdb.uri, broker, db_prefix=f"e2n{uuid.uuid4().hex[:6]}",
                     extra_env=fast_settings(catcher, receiver))
    running.env["NOTIFY_PUBLIC_URL"] = running.urls["notifications"]
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def units(coordinator, databases):
    register_units(coordinator, databases)


@pytest.fixture(scope="module")
def admin(as_user):
    return as_user(subject="admin-56", roles=["admin"], unit="UBND-T56", areas=["56"])


@pytest.fixture(scope="module")
def caseworker(as_user, catcher, receiver, units):
    """A caseworker of the commune committee, reached by e-mail and SMS."""
    return member(as_user, catcher, receiver, "cb-22366", "caseworker", f"UBX-{COMMUNE}", [COMMUNE],
                  email=CASEWORKER_EMAIL, phone=CASEWORKER_PHONE)


@pytest.fixture(scope="module")
def receiving_police(as_user, catcher, receiver, units):
    return member(as_user, catcher, receiver, "ca-22333", "police_liaison", f"CAX-{NEIGHBOUR}", [NEIGHBOUR],
                  email=RECEIVING_EMAIL)


@pytest.fixture(scope="module")
def pc04(as_user, catcher, receiver, units):
    return member(as_user, catcher, receiver, "pc04-1", "police_liaison", PC04, ["56"], email=PC04_EMAIL)


@pytest.fixture(scope="module")
def aftercare_worker(as_user, units):
    return as_user(subject="cw", roles=["police_liaison", "caseworker"], unit=f"UBX-{COMMUNE}", areas=[COMMUNE])


@pytest.fixture(scope="module")
def clinic(admin, receiver, units):
    """The health centre's system, told of relapses by a signed webhook under a rule of its own; returns once the
    workers' rules cache (RULES_CACHE_SECONDS, 0.2 s here) has let the rule in."""
    endpoint = agency_endpoint(admin, receiver.url("/hook"))
    webhook_rule(admin, "relapse_to_clinic", endpoint["id"])
    time.sleep(0.5)
    return endpoint


def hooks_about(receiver, case_number: str) -> list:
    return [r for r in receiver.received("/hook") if r.json["data"]["subject_ref"] == case_number]


def police_notification(api, case_id: str) -> dict | None:
    response = api("GET", "cases", f"/cases/{case_id}")
    assert response.status_code == 200, response.text
    return response.json()["police_notification"]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_relapse_reaches_the_inbox_an_email_an_sms_and_a_signed_webhook_without_identity_or_clinical_facts(
        caseworker, aftercare_worker, clinic, catcher, receiver, as_user):
    who = person()
    case = relapse_in_aftercare(aftercare_worker, who)
    number = case["case_number"]
    alert = one_alert(caseworker, case["id"], "relapse_suspected")
    assert alert["urgent"] is True and alert["ack_required"] is True and alert["recipient_unit"] == f"UBX-{COMMUNE}"

    [mail] = wait_for(lambda: [m for m in mails_to(catcher, CASEWORKER_EMAIL, number) if URGENT in m["Subject"]],
                      30, 0.1, "the urgent e-mail (the case's opening was e-mailed too)")
    [sms] = wait_for(lambda: sms_to(receiver, CASEWORKER_SMS, number), 30, 0.1, "the SMS at the gateway")
    [hook] = wait_for(lambda: hooks_about(receiver, number), 30, 0.1, "the webhook at the clinic's system")

    assert mail["Subject"].startswith(URGENT) and "Phường Nha Trang" in mail["Subject"]
    assert sms["brandname"] and "Phường Nha Trang" in sms["message"] and ACK_LINK.search(sms["message"])
    forbidden = (who["full_name"], who["national_id"], who["birth_date"], "heroin", "dương tính", "positive",
                 "aftercare", "2026-08-10", "10/08/2026", case["person_code"])
    for shown in (mail["Subject"], text_of(mail), html_of(mail), sms["message"]):
        assert number in shown
        assert not [word for word in forbidden if word.lower() in shown.lower()], shown

    payload = Webhook(clinic["secret"]).verify(hook.body, hook.headers)
    assert payload["type"] == "notifications.alert.raised"
    data = payload["data"]
    assert (data["category"], data["subject_ref"], data["area_code"]) == ("relapse_suspected", number, COMMUNE)
    validate_cap(data["cap"].encode("utf-8"))
    assert number in data["cap"] and who["full_name"] not in hook.body.decode()
    assert who["national_id"] not in hook.body.decode()
    clinic_staff = as_user(subject="bs-ttyt", roles=["health_worker"], unit=HEALTH_CENTRE, areas=[COMMUNE])
    clinic_alert = one_alert(clinic_staff, case["id"], "relapse_suspected")
    assert data["alert_id"] == clinic_alert["id"]


def test_the_emails_one_time_link_acknowledges_the_alert_and_stops_its_escalation(
        system, police, receiving_police, pc04, catcher):
    case = open_case_of(police, person())
    event = transfer_requested(case, due_in_seconds=8)
    publish(system.env["AMQP_URL"], event)
    [mail] = wait_for(lambda: mails_to(catcher, RECEIVING_EMAIL, case["case_number"]), 30, 0.1, "the e-mail")
    link = ACK_LINK.search(text_of(mail)).group(0)
    assert link.startswith(system.urls["notifications"] + "/api/v1/ack/") and link in html_of(mail)

    page = requests.get(link, headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200 and 'method="post"' in page.text and case["case_number"] in page.text
    assert one_alert(receiving_police, case["id"], "transfer_requested")["acknowledged_by"] is None

    done = requests.post(link, headers={"Accept": "text/html"}, timeout=10)
    assert done.status_code == 200 and "Đã xác nhận" in done.text, done.text
    alert = one_alert(receiving_police, case["id"], "transfer_requested")
    assert alert["acknowledged_by"] == "member:ca-22333"
    assert at(alert["acknowledged_at"]) < due_of(event), "acknowledged after the deadline: the machine is too slow"
    assert alert["id"] not in [a["id"] for a in alerts_about(receiving_police, case["id"], unacknowledged="true")]

    time.sleep(max(0.0, (due_of(event) - datetime.now(timezone.utc)).total_seconds()) + 2.5)
    assert one_alert(receiving_police, case["id"], "transfer_requested")["escalations"] == 0
    assert alerts_about(pc04, case["id"]) == []
    assert mails_to(catcher, PC04_EMAIL, case["case_number"]) == []

    again = requests.post(link, headers={"Accept": "text/html"}, timeout=10)
    assert again.status_code == 410 and "text/html" in again.headers["Content-Type"]
    by_api = requests.post(link, timeout=10)
    assert by_api.status_code == 410 and by_api.headers["Content-Type"].startswith("application/problem+json")
    assert requests.get(link, headers={"Accept": "text/html"}, timeout=10).status_code == 410

    notice = wait_for(lambda: (n := police_notification(police, case["id"])) and n["acknowledged_at"] and n, 30,
                      0.2, "the case to show the acknowledgement")
    assert notice["overdue"] is False and notice["acknowledged_late"] is False
    assert notice["acknowledged_by"] == "member:ca-22333"


def test_an_unacknowledged_transfer_escalates_to_the_provincial_police_once_and_the_transfer_resolves_it(
        system, police, as_user, receiving_police, pc04, catcher):
    case = open_case_of(police, person())
    event = transfer_requested(case, due_in_seconds=3)
    publish(system.env["AMQP_URL"], event)
    original = one_alert(receiving_police, case["id"], "transfer_requested")
    assert at(original["ack_due_at"]) == due_of(event) and original["escalated_from"] is None

    escalated = one_alert(pc04, case["id"], "transfer_requested")
    assert escalated["escalated_from"] == original["id"] and escalated["title_vi"].startswith("[Chuyển cấp]")
    assert at(escalated["raised_at"]) >= due_of(event)
    time.sleep(2)
    assert one_alert(receiving_police, case["id"], "transfer_requested")["escalations"] == 1
    assert len(alerts_about(pc04, case["id"])) == 1
    assert len(wait_for(lambda: mails_to(catcher, PC04_EMAIL, case["case_number"]), 30, 0.1, "PC04's e-mail")) == 1

    notice = wait_for(lambda: (n := police_notification(police, case["id"])) and n["overdue"]
                      and n["escalation_level"] == 1 and n, 30, 0.2, "the case to show the notice overdue")
    assert notice["alert_id"] == original["id"] and notice["recipient_unit"] == f"CAX-{NEIGHBOUR}"
    assert at(notice["due_at"]) == due_of(event) and notice["acknowledged_at"] is None

    requested = police("POST", "cases", f"/cases/{case['id']}/transfers",
                       json={"to_commune": NEIGHBOUR, "reason": "chuyển nơi cư trú"})
    assert requested.status_code == 201, requested.text
    share_id = next(s for s, share in requested.json()["shares"].items() if share["kind"] == "transfer")
    receiving = as_user(subject="ca-22333", roles=["police_liaison"], unit=f"CAX-{NEIGHBOUR}", areas=[NEIGHBOUR])
    accepted = receiving("PUT", "cases", f"/cases/{case['id']}/shares/{share_id}/decision",
                         json={"decision": "accepted", "reason": "đã tiếp nhận người chuyển đến"})
    assert accepted.status_code == 200, accepted.text

    def all_resolved():
        seen = alerts_about(receiving_police, case["id"]) + alerts_about(pc04, case["id"])
        return len(seen) == 3 and all(not a["open"] for a in seen) and seen
    resolved = wait_for(all_resolved, 30, 0.2, "the transfer to resolve every transfer alert")
    assert {a["resolved_reason"] for a in resolved} == {"cases.case.transferred"}
    notice = wait_for(lambda: (n := police_notification(receiving, case["id"])) and n["resolved"] and n, 30, 0.2,
                      "the case to show the notice resolved")
    assert notice["overdue"] is False


def test_with_two_workers_each_message_arrives_once_and_each_alert_escalates_once(
        system, police, aftercare_worker, caseworker, receiving_police, pc04, clinic, catcher, receiver):
    second = system._spawn("notifications-worker-2", ["-m", "services.notifications.entrypoints.worker"],
                           system.env)
    try:
        log = system.log_dir / "notifications-worker-2.log"
        wait_for(lambda: log.exists() and "worker running" in log.read_text(), 30, 0.2, "the second worker")
        relapses = [relapse_in_aftercare(aftercare_worker) for _ in range(5)]
        transfers = [open_case_of(police, person()) for _ in range(3)]
        for case in transfers:
            publish(system.env["AMQP_URL"], transfer_requested(case, due_in_seconds=3))

        for case in relapses:
            number = case["case_number"]
            wait_for(lambda: mails_to(catcher, CASEWORKER_EMAIL, number) and sms_to(receiver, CASEWORKER_SMS, number)
                     and hooks_about(receiver, number), 30, 0.1, f"e-mail, SMS and webhook about {number}")
        for case in transfers:
            wait_for(lambda: mails_to(catcher, PC04_EMAIL, case["case_number"]), 30, 0.1, "the escalation")
        time.sleep(3)

        for case in relapses:
            number = case["case_number"]
            assert len([m for m in mails_to(catcher, CASEWORKER_EMAIL, number) if URGENT in m["Subject"]]) == 1
            assert len(sms_to(receiver, CASEWORKER_SMS, number)) == 1 and len(hooks_about(receiver, number)) == 1
        for case in transfers:
            assert len(alerts_about(pc04, case["id"])) == 1
            assert one_alert(receiving_police, case["id"], "transfer_requested")["escalations"] == 1
            assert len(mails_to(catcher, PC04_EMAIL, case["case_number"])) == 1
            assert len(mails_to(catcher, RECEIVING_EMAIL, case["case_number"])) == 1
        ids, hook_ids = message_ids(catcher), webhook_ids(receiver, "/hook")
        assert len(ids) == len(set(ids)) and len(hook_ids) == len(set(hook_ids))
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(15)
