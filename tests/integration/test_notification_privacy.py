"""What the notifications service tells whom, over HTTP on the real FerretDB: only the unit's staff who work cases
(or an admin of its areas) mint its feed secret; the page of an acknowledgement link (no login) shows only what an
e-mail may name, never the in-app title; the accounting of a case's disclosures is read only by auditors and admins
whose areas cover the case's alerts."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from shared import areas
from shared.audit import AuditEntry
from shared.envelope import Actor
from shared.repository import EventSourcedRepository
from services.notifications.adapters.deliveries import DisclosureLog
from services.notifications.adapters.directory import UnitDirectory
from services.notifications.adapters.documents import AlertSnapshot, alert_list_fields
from services.notifications.adapters.feed_tokens import FeedTokenRecord
from services.notifications.domain.model import Alert
from services.notifications.domain.seed import SEED_RULES
from services.notifications.entrypoints.app import create_app
from tests.problem import check_problem

HERE, PROVINCE = "22366", "56"
UNIT = f"CAX-{HERE}"
RULES = {rule.category: rule for rule in SEED_RULES}
START = datetime(2026, 8, 3, 8, 0, tzinfo=timezone.utc)
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
SECRET_TITLE = ("Nguyễn Văn Bí mật tái nghiện", "Nguyen Van Bi mat relapsed")


@pytest.fixture
def app(settings):
    app = create_app(settings("notifications"))
    UnitDirectory().keep(UNIT, "commune_police", [HERE], 1)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def raised_about(case_id: str, area: str = HERE) -> Alert:
    rule = RULES["relapse_suspected"]
    alert = Alert.raise_for(uuid.uuid4().hex, UNIT, rule, rule.event_type,
                            {"case_id": case_id, "case_number": f"HS-{case_id}"}, area, SECRET_TITLE,
                            raised_at=START)
    EventSourcedRepository("notifications", Alert, AlertSnapshot, list_fields=alert_list_fields).save(
        alert, Actor.system("notifications"))
    return alert


@pytest.mark.parametrize("role", ["unit_reporter", "plan_coordinator"])
def test_staff_of_the_unit_who_do_not_work_cases_may_not_mint_its_feed_secret(client, auth, role):
    member = auth(subject="ca-9", roles=[role], unit=UNIT, areas=[HERE])
    denied = client.post(f"/api/v1/agencies/{UNIT}/feed-token", headers=member)
    check_problem(denied.status_code, denied.content_type, denied.data, 403)
    assert FeedTokenRecord.objects.count() == 0
    officer = auth(subject="ca-1", roles=["police_liaison"], unit=UNIT, areas=[HERE])
    assert client.post(f"/api/v1/agencies/{UNIT}/feed-token", headers=officer).status_code == 201


def test_the_link_page_shows_what_an_email_may_name_and_never_the_in_app_title(app, client):
    alert = raised_about("c-41")
    url = app.extensions["service_layer"].dependencies["ack_links"].link_for(alert.id, "member:cb-1")
    path = url[url.index("/api/v1/ack/"):]
    for answer in (client.get(path, headers=BROWSER), client.post(path, headers=BROWSER)):
        page = answer.get_data(as_text=True)
        assert answer.status_code == 200, page
        assert "HS-c-41" in page and areas.name_of(HERE) in page
        assert "Bí mật" not in page and "Bi mat" not in page, page


def test_a_cases_disclosures_are_read_only_by_auditors_and_admins_whose_areas_cover_its_alerts(client, auth):
    raised_about("c-51")
    DisclosureLog().record("c-52", "member:ca-1", "sms", "relapse_suspected", "a-c-52", None, START)
    provincial = auth(subject="tt-1", roles=["auditor"], unit="TTR-56", areas=[PROVINCE])
    elsewhere = auth(subject="tt-9", roles=["auditor"], unit="TTR-01", areas=["01"])
    far_admin = auth(subject="admin-9", roles=["admin"], unit="UBND-T01", areas=["01"])
    answer = client.get("/api/v1/cases/c-51/disclosures", headers=provincial)
    assert answer.status_code == 200 and [d["case_id"] for d in answer.get_json()] == ["c-51"], answer.get_json()
    for headers, case_id in ((elsewhere, "c-51"), (far_admin, "c-51"), (provincial, "c-52")):
        refused = client.get(f"/api/v1/cases/{case_id}/disclosures", headers=headers)
        check_problem(refused.status_code, refused.content_type, refused.data, 404)
    audited = {(e.subject, e.outcome) for e in AuditEntry.objects(resource_id="c-51")}
    assert audited == {("tt-1", "allowed"), ("tt-9", "denied"), ("admin-9", "denied")}
