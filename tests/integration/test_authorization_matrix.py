"""The authorization matrix across the three services: every operation of their OpenAPI documents x every role x
(own area, other area, referred unit, transfer target) answers as tests/integration/authorization_table.py says.
An operation without an entry, or an entry without its operation, fails. The resources are seeded once for the
module; writes carry a stale If-Match, so one let through is refused on its version (412) and changes nothing."""
from __future__ import annotations

import io
import itertools
import uuid
from datetime import date, timedelta

import mongoengine
import pytest

from shared.repository import EventSourcedRepository
from services.cases.domain.commands import RecordUnit
from services.cases.entrypoints.app import create_app as cases_app
from services.notifications.adapters.deliveries import DeliveryDocument
from services.notifications.adapters.directory import UnitDirectory
from services.notifications.adapters.documents import AlertSnapshot, alert_list_fields
from services.notifications.domain.model import Alert
from services.notifications.entrypoints.app import create_app as notifications_app
from services.plans.entrypoints.app import create_app as plans_app
from services.roles import ROLES
from tests.conftest import settings_for
from tests.integration.authorization_table import COMMUNE, CONTEXTS, OTHER, SECOND_CLINIC, TABLE
from tests.integration.test_if_match import CLINIC, with_proposal
from tests.integration.test_inbox_api import Raiser

PROVINCE, FAR, TARGET = "56", "22402", "22390"
UNIT = f"CAX-{COMMUNE}"
PRINCIPALS = {"own": (UNIT, COMMUNE), "other": (f"CAX-{OTHER}", OTHER), "referred": (CLINIC, FAR),
              "transfer": (f"CAX-{TARGET}", TARGET)}
"""The caller's unit and area in each context."""
STALE = {"If-Match": '"999"'}
DENIALS = (401, 403, 404)
APPS = {"cases": cases_app, "plans": plans_app, "notifications": notifications_app}
HOOKS = "127.0.0.1:9"
"""Where the seeded webhook endpoint points: allow-listed, never called."""


def operations(document) -> list[str]:
    """The operations of an OpenAPI document that need a bearer token."""
    return [f"{method.upper()} {path}" for path, methods in document["paths"].items()
            for method, operation in methods.items()
            if method in ("get", "put", "post", "patch", "delete") and operation.get("security") != []]


class Services:
    """The three apps on one database prefix; a request reconnects mongoengine to its service's database."""

    def __init__(self, settings):
        self.settings, self.apps, self.current = settings, {}, None

    def client(self, service):
        if service not in self.apps:
            self.apps[service] = APPS[service](self.settings(service))
            self.current = service
        elif self.current != service:
            mongoengine.disconnect()
            mongoengine.connect(db=self.settings(service).mongodb_db, host=self.settings(service).mongodb_uri,
                                tz_aware=True, uuidRepresentation="standard", retryWrites=False)
            self.current = service
        return self.apps[service].test_client()


@pytest.fixture(scope="module")
def services(ferretdb, broker):
    prefix = f"t{uuid.uuid4().hex[:10]}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NOTIFY_WEBHOOK_ALLOW", HOOKS)
        yield Services(lambda service: settings_for(service, ferretdb.uri, broker, prefix))
    client = mongoengine.connection.get_connection() if mongoengine.connection._connections else None
    for name in client.list_database_names() if client is not None else ():
        if name.startswith(prefix):
            client.drop_database(name)
    mongoengine.disconnect()


@pytest.fixture(scope="module")
def headers(token):
    """The bearer header of each (role, context)."""
    return {(role, context): {"Authorization": "Bearer " + token(
        subject=f"{role}-{context}", roles=[role], unit=PRINCIPALS[context][0], areas=[PRINCIPALS[context][1]])}
        for role in ROLES for context in CONTEXTS}


def ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def seed_cases(client, auth) -> dict:
    """A case of COMMUNE referred to CLINIC (accepted), on methadone there with a termination proposal, a consent,
    a break-the-glass grant, and a transfer pending to TARGET."""
    for unit in (CLINIC, SECOND_CLINIC):
        client.application.extensions["service_layer"].handle(RecordUnit(unit, "health_facility", 1))
    officer = auth(subject="officer", roles=["police_liaison", "caseworker"], unit=UNIT, areas=[COMMUNE])
    doctor = auth(subject="doctor", roles=["health_worker"], unit=CLINIC, areas=[FAR])
    case_id, proposal_id = with_proposal(client, officer, doctor, "056090000077")
    case = ok(client.get(f"/api/v1/cases/{case_id}", headers=officer))
    grant = ok(client.post(f"/api/v1/cases/{case_id}/break-glass", headers=doctor, json={
        "section": "support", "reason_code": "medical_emergency",
        "reason": "Người bệnh nhập viện cấp cứu, cần biết hỗ trợ đang nhận"}), 201)
    transfer = ok(client.post(f"/api/v1/cases/{case_id}/transfers", headers=officer,
                              json={"to_commune": TARGET, "reason": "Chuyển nơi cư trú"}), 201)
    share_id = next(key for key, share in transfer["shares"].items() if share["kind"] == "transfer")
    spare = ok(client.post("/api/v1/people", headers=officer, json={
        "full_name": "Trần Văn Bình", "birth_date": "1991-03-03", "sex": "male", "residence_code": COMMUNE}), 201)
    return {"case_id": case_id, "proposal_id": proposal_id, "consent_id": case["consents"][0]["consent_id"],
            "grant_id": grant["grant_id"], "share_id": share_id, "person_code": case["person_code"],
            "spare_person": spare["person_code"]}


PLAN_UNITS = (("UBND-T56", "provincial_committee", PROVINCE), (UNIT, "commune_police", COMMUNE),
              (f"UBX-{COMMUNE}", "commune_committee", COMMUNE), (f"CAX-{OTHER}", "commune_police", OTHER))


def seed_plans(client, auth) -> dict:
    """A plan of COMMUNE in force, its task led by the commune's committee with UNIT's report submitted, a hotspot
    of COMMUNE linked to nothing, a budget line of the plan."""
    clock = client.application.extensions["service_layer"].dependencies["clock"]
    clock.today = lambda: date(2026, 5, 25)
    coordinator = auth(subject="pc", roles=["plan_coordinator"], unit="UBND-T56", areas=[PROVINCE])
    reporter = auth(subject="cax", roles=["unit_reporter"], unit=UNIT, areas=[COMMUNE])
    police = auth(subject="ca", roles=["police_liaison"], unit=UNIT, areas=[COMMUNE])
    for code, kind, area in PLAN_UNITS:
        ok(client.post("/api/v1/units", headers=coordinator,
                       json={"unit_code": code, "name": code, "kind": kind, "area_code": area}), 201)
    indicators = [{"code": "outreach_sessions", "target": 10}]
    plan = ok(client.post("/api/v1/plans", headers=coordinator, json={
        "title": "Tháng hành động phòng, chống ma túy 2026", "kind": "action_month", "area_code": COMMUNE,
        "starts_on": "2026-06-01", "ends_on": "2026-06-30", "indicators": indicators}), 201)
    task = ok(client.post(f"/api/v1/plans/{plan['id']}/tasks", headers=coordinator, json={
        "title": "Tuyên truyền trong khu dân cư", "lead_unit": f"UBX-{COMMUNE}", "supporting_units": [UNIT],
        "starts_on": "2026-06-01", "due_on": "2026-06-30", "indicators": indicators}), 201)
    ok(client.put(f"/api/v1/tasks/{task['id']}/assignments/{UNIT}", headers=coordinator,
                  json={"shares": {"outreach_sessions": 4}}))
    ok(client.post(f"/api/v1/plans/{plan['id']}/issue", headers=coordinator, json={
        "issuing_authority": "UBND phường Nha Trang", "document_number": "12/KH-UBND", "document_date": "2026-05-20",
        "signer": "Chủ tịch"}))
    clock.today = lambda: date(2026, 6, 8)
    report = f"/api/v1/tasks/{task['id']}/assignments/{UNIT}/reports/W1"
    ok(client.put(report, headers=reporter, json={"values": {"outreach_sessions": 2}}), 201)
    ok(client.post(f"{report}/submit", headers={**reporter, "If-Match": '"1"'}, json={}))
    hotspot = ok(client.post("/api/v1/hotspots", headers=police, json={
        "place_name": "Bãi đất trống cuối hẻm 5", "commune_code": COMMUNE, "kind": "point", "activity": "use",
        "level": "low", "found_on": "2026-05-20"}), 201)
    line = ok(client.post(f"/api/v1/plans/{plan['id']}/budget-lines", headers=coordinator, json={
        "source": "local_budget", "purpose": "Tuyên truyền", "planned_vnd": 10_000_000}), 201)
    return {"plan_id": plan["id"], "task_id": task["id"], "unit_code": UNIT, "period": "W1",
            "hotspot_id": hotspot["id"], "budget_line_id": line["id"]}


def seed_notifications(client, auth) -> dict:
    """An alert of the commune to UNIT, a member of UNIT, UNIT's duty contact point (its verification is the
    delivery), a webhook endpoint of UNIT."""
    for code, kind, area in (*PLAN_UNITS, (CLINIC, "health_facility", FAR), (f"CAX-{TARGET}", "commune_police",
                                                                             TARGET)):
        UnitDirectory().keep(code, kind, [area], 1)
    alert = Raiser(EventSourcedRepository("notifications", Alert, AlertSnapshot, list_fields=alert_list_fields))(
        unit=UNIT, category="relapse_suspected", area=COMMUNE, subject="c-1")
    admin = auth(subject="admin", roles=["admin"], unit="CA-56", areas=[PROVINCE])
    ok(client.put("/api/v1/members/member-1", headers=admin, json={"unit": UNIT, "roles": ["police_liaison"]}), 201)
    point = ok(client.post(f"/api/v1/units/{UNIT}/contact-points", headers=admin,
                           json={"kind": "email", "address": "truc-ban@cax22366.gov.vn"}), 201)
    endpoint = ok(client.post("/api/v1/endpoints", headers=admin, json={
        "unit_code": UNIT, "name": "Hệ thống CAX", "url": f"http://{HOOKS}/hooks"}), 201)
    delivery = DeliveryDocument._get_collection().find_one({"target": f"unit:{UNIT}"})
    rule_id = ok(client.get("/api/v1/rules", headers=admin))[0]["id"]
    template_id = ok(client.get("/api/v1/templates", headers=admin))[0]["id"]
    return {"alert_id": alert.id, "subject": "member-1", "unit_code": UNIT, "contact_point_id": point["id"],
            "endpoint_id": endpoint["id"], "delivery_id": str(delivery["_id"]), "rule_id": rule_id, "version": 1,
            "template_id": template_id, "case_id": "c-1"}


SEEDS = {"cases": seed_cases, "plans": seed_plans, "notifications": seed_notifications}


@pytest.fixture(scope="module")
def world(services, auth):
    return {service: SEEDS[service](services.client(service), auth) for service in SEEDS}


@pytest.fixture(scope="module")
def documents(services):
    return {service: services.client(service).get("/api/v1/openapi.json").get_json() for service in APPS}


FRESH_NUMBERS = itertools.count(1)


def fresh_me_contact_point(client, headers, world):
    """One of the caller's own contact points (a member record of their own first)."""
    client.put("/api/v1/members/me", headers=headers, json={"language": "vi"})
    point = ok(client.post("/api/v1/members/me/contact-points", headers=headers, json={
        "kind": "email", "address": f"ca-nhan-{next(FRESH_NUMBERS)}@example.gov.vn"}), 201)
    return {"contact_point_id": point["id"]}


def fresh_me_member(client, headers, world):
    assert client.put("/api/v1/members/me", headers=headers, json={"language": "vi"}).status_code in (200, 201)
    return {}


def fresh_unit_contact_point(client, headers, world):
    point = ok(client.post(f"/api/v1/units/{UNIT}/contact-points", headers=world["admin"], json={
        "kind": "email", "address": f"truc-{next(FRESH_NUMBERS)}@cax22366.gov.vn"}), 201)
    return {"contact_point_id": point["id"]}


def fresh_person(client, headers, world):
    """A person of the commune of their own, to merge into the seeded spare one."""
    born = date(1960, 1, 1) + timedelta(days=next(FRESH_NUMBERS))
    merged = ok(client.post("/api/v1/people", headers=world["officer"], json={
        "full_name": "Trần Văn Bình", "birth_date": born.isoformat(), "sex": "male",
        "residence_code": COMMUNE}), 201)
    return {"person_code": merged["person_code"]}


FRESH = {"me_contact_point": fresh_me_contact_point, "me_member": fresh_me_member,
         "unit_contact_point": fresh_unit_contact_point, "person": fresh_person}


def fill(value, seeded: dict):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in seeded:
        return seeded[value[1:-1]]
    if isinstance(value, dict):
        return {k: fill(v, seeded) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, seeded) for v in value]
    return value


def request(client, operation: str, entry, seeded: dict, headers: dict):
    method, path = operation.split(" ", 1)
    values = dict(seeded)
    if entry.fresh:
        values.update(FRESH[entry.fresh](client, headers, seeded))
    url = path.format(**values) + (f"?{entry.query}" if entry.query else "")
    extra = STALE if method in ("PUT", "POST", "PATCH", "DELETE") else {}
    if entry.upload is not None:
        return client.open(url, method=method, headers={**headers, **extra}, content_type="multipart/form-data",
                           data={"register": (io.BytesIO(entry.upload), "register.csv")})
    return client.open(url, method=method, headers={**headers, **extra},
                       json=fill(entry.body, seeded) if method != "GET" else None)


def test_every_operation_has_an_entry_and_every_entry_an_operation(documents):
    problems = []
    for service, document in documents.items():
        documented = set(operations(document))
        problems += [f"{service}: no entry for {op}" for op in sorted(documented - set(TABLE[service]))]
        problems += [f"{service}: entry for a missing operation {op}"
                     for op in sorted(set(TABLE[service]) - documented)]
    assert not problems, "\n".join(problems)


CASES = [(service, operation) for service in TABLE for operation in TABLE[service]]


@pytest.mark.parametrize("service,operation", CASES, ids=[f"{s}:{o}" for s, o in CASES])
def test_authorization(services, world, headers, auth, service, operation):
    entry = TABLE[service][operation]
    client = services.client(service)
    seeded = {**world[service], "admin": auth(subject="admin", roles=["admin"], unit="CA-56", areas=[PROVINCE]),
              "officer": auth(subject="officer", roles=["police_liaison", "caseworker"], unit=UNIT, areas=[COMMUNE])}
    wrong, observed = [], set()
    for role in ROLES:
        for context in CONTEXTS:
            response = request(client, operation, entry, seeded, headers[(role, context)])
            status = response.status_code
            assert status < 500, (role, context, response.get_data(as_text=True))
            if entry.batch and status == 200:
                status = response.get_json()["reports"][0].get("problem", {}).get("status", 200)
            if status not in DENIALS:
                observed.add((role, context))
            expected = entry.expected(role, context)
            if (expected is None and status in DENIALS) or (expected is not None and status != expected):
                wrong.append(f"{role}/{context}: {status} (expected {expected or 'allowed'})")
    assert not wrong, f"{operation}\n" + "\n".join(wrong) + f"\nobserved allowed: {sorted(observed)}"
