"""The authorization matrix of the three services: for every operation of their OpenAPI documents ("METHOD /path"
exactly as documented), which (role, context) pairs get past authorization and what the others are answered.

Contexts, relative to the resource the request names (a case, plan, hotspot, alert, unit... of commune COMMUNE):
- own: a unit of the resource's commune, that commune as its area;
- other: a unit of another commune of the province, that commune as its area;
- referred: the clinic the case is referred to, which accepted, its area elsewhere in the province;
- transfer: a unit of the commune a transfer of the case is pending to, that commune as its area.
Plans and notifications know no referrals or transfers: for them the last two are just two more other areas.

"Allowed" means the answer is not 401, 403 or 404 (a 2xx, or a refusal of the content: 409, 412, 422). A denial
answers `denied`, or 404 for the pairs in `hidden` (the cases service does not say that a case outside the caller's
jurisdiction exists)."""
from __future__ import annotations

from dataclasses import dataclass
from itertools import product

from services.roles import ROLES

CONTEXTS = ("own", "other", "referred", "transfer")
EVERYONE = frozenset(product(ROLES, CONTEXTS))


def pairs(roles, contexts=CONTEXTS) -> frozenset:
    return frozenset(product(roles, contexts))


@dataclass(frozen=True)
class Entry:
    """`allowed`: the pairs let through; the others answer `denied`, or 404 if in `hidden`. The request: path
    parameters are the seeded values of their names; `body` (a string "{name}" is the seeded value of that name),
    `query`; `fresh` names the factory of the test that makes a resource of its own for each request (a write
    that would take the seeded one away, or one that needs the caller's own); `batch`: the answer is 200 whatever
    its items' outcomes, so the status is that of its one item."""
    allowed: frozenset
    denied: int = 403
    hidden: frozenset = frozenset()
    body: dict | None = None
    query: str = ""
    fresh: str | None = None
    batch: bool = False
    upload: bytes | None = None
    """A register file, sent as the multipart field `register` instead of a JSON body."""

    def expected(self, role: str, context: str) -> int | None:
        """None when the pair is allowed, else the status of the denial."""
        if (role, context) in self.allowed:
            return None
        return 404 if (role, context) in self.hidden else self.denied


TABLE: dict[str, dict[str, Entry]] = {}

OWN, ELSEWHERE = ("own",), ("other", "referred", "transfer")
CASE_READERS = ("caseworker", "police_liaison", "health_worker", "admin")
CASE_OFFICERS = ("caseworker", "police_liaison")
WORKFLOW_ACTORS = (*CASE_OFFICERS, "health_worker")
COORDINATORS = ("plan_coordinator", "admin")
OVERSEERS = ("plan_coordinator", "auditor", "admin")
HOTSPOT_READERS = ("police_liaison", "plan_coordinator", "auditor", "admin")
HOTSPOT_KEEPERS = ("police_liaison", "plan_coordinator")
CONFIG_READERS = ("plan_coordinator", "auditor", "admin")


def everywhere(*roles) -> frozenset:
    return pairs(roles)


def own(*roles) -> frozenset:
    return pairs(roles, OWN)


def seen_by(seen: frozenset, allowed: frozenset | None = None, **request) -> Entry:
    """A resource that answers 404 to whoever may not see it, 403 to whoever sees it and may not do this."""
    return Entry(seen if allowed is None else allowed, hidden=EVERYONE - seen, **request)


def scoped(roles, allowed: frozenset, **request) -> Entry:
    """A resource of an area: 404 to `roles` elsewhere (as to an unknown one), 403 to other roles."""
    return Entry(allowed, hidden=pairs(roles, ELSEWHERE), **request)


COMMUNE, OTHER, SECOND_CLINIC = "22366", "22333", "TTYT-KH"
CASE_PERSON = {"full_name": "Phạm Văn Cường", "birth_date": "1992-02-02", "sex": "male"}
PERSON = {**CASE_PERSON, "residence_code": COMMUNE}
SEES_CASE = pairs(CASE_READERS, ("own", "referred", "transfer"))
"""A case is seen by the readers of its commune, of the unit it is referred to and of the commune a transfer is
pending to; to anyone else it does not exist."""
ACTS_ON_CASE = ("own", "referred")
"""A case is changed by its commune and by the unit whose referral was accepted."""
TREATING_CLINIC = pairs(("health_worker",), ("referred",))
BREAK_GLASS = {"section": "support", "reason_code": "medical_emergency",
               "reason": "Người bệnh nhập viện cấp cứu, cần biết hỗ trợ đang nhận"}


def case(allowed: frozenset, **request) -> Entry:
    return seen_by(SEES_CASE, allowed, **request)


TABLE["cases"] = {
    "GET /api/v1/cases": Entry(everywhere(*CASE_READERS)),
    "POST /api/v1/cases": Entry(own(*CASE_OFFICERS), body={"person": CASE_PERSON, "commune_code": COMMUNE,
                                                           "opened_on": "2026-08-03"}),
    "GET /api/v1/cases/counts": Entry(everywhere(*CASE_READERS)),
    "GET /api/v1/cases/my-work": Entry(EVERYONE),
    "GET /api/v1/cases/export.xlsx": Entry(everywhere(*CASE_READERS), query="purpose=inspection"),
    # an officer of another area is answered 200 with each row refused (the import decides row by row)
    "POST /api/v1/register-imports": Entry(pairs(CASE_OFFICERS), upload=(
        "Số hồ sơ,Họ và tên,Ngày sinh,Giới tính,Mã xã,Ngày lập hồ sơ\n"
        f"HS-MATRIX,Đinh Văn Nhập,1990-01-02,Nam,{COMMUNE},2026-08-03\n").encode("utf-8")),
    "GET /api/v1/cases/{case_id}": case(SEES_CASE),
    # QUESTION (lead): the case officers of a referred unit (a facility's caseworker) may reassign the case's
    # worker, as may_act lets them; the transfer below was narrowed to the commune, this was left as it is.
    "PUT /api/v1/cases/{case_id}/assigned-worker": case(pairs(CASE_OFFICERS, ACTS_ON_CASE),
                                                        body={"worker_id": "cw-9"}),
    "GET /api/v1/cases/{case_id}/transitions": case(SEES_CASE),
    "POST /api/v1/cases/{case_id}/transitions": case(pairs(WORKFLOW_ACTORS, ACTS_ON_CASE), body={
        "transition": "refer_for_assessment", "effective_on": "2026-08-20"}),
    "PUT /api/v1/cases/{case_id}/phase": case(pairs(CASE_OFFICERS, ACTS_ON_CASE),
                                              body={"phase": "detox", "effective_on": "2026-08-20"}),
    "POST /api/v1/cases/{case_id}/drug-tests": case(pairs(("police_liaison", "health_worker"), ACTS_ON_CASE),
                                                    body={"tested_on": "2026-08-20", "result": "negative"}),
    "GET /api/v1/cases/{case_id}/history": case(SEES_CASE),
    "GET /api/v1/workflows": Entry(EVERYONE),
    "GET /api/v1/people": Entry(everywhere(*CASE_READERS), query="q=le+van+hoa"),
    "POST /api/v1/people": Entry(own(*CASE_OFFICERS), body=PERSON),
    "GET /api/v1/people/{person_code}": seen_by(own(*CASE_READERS)),
    "POST /api/v1/people/{person_code}/merge": seen_by(own(*CASE_READERS), own(*CASE_OFFICERS),
                                                       body={"into": "{spare_person}"}, fresh="person"),
    "POST /api/v1/cases/{case_id}/referrals": case(pairs(WORKFLOW_ACTORS, ACTS_ON_CASE), body={
        "to_unit": SECOND_CLINIC, "reason": "Điều trị methadone"}),
    # fixed with this matrix: the officers of a referred unit could ask to hand the case to another commune
    "POST /api/v1/cases/{case_id}/transfers": case(own(*CASE_OFFICERS), body={
        "to_commune": OTHER, "reason": "Chuyển nơi cư trú"}),
    "PUT /api/v1/cases/{case_id}/shares/{share_id}/decision": case(pairs(CASE_OFFICERS, ("transfer",)), body={
        "decision": "accepted", "reason": "Tiếp nhận hồ sơ"}),
    "POST /api/v1/cases/{case_id}/consents": case(TREATING_CLINIC, body={
        "to_unit": SECOND_CLINIC, "sections": ["support"], "purpose": "treatment", "reference": "PĐY-1/2026",
        "valid_from": "2026-08-20"}),
    "PUT /api/v1/cases/{case_id}/consents/{consent_id}/revocation": case(
        pairs(WORKFLOW_ACTORS, ACTS_ON_CASE), body={"reason": "Người bệnh rút lại đồng ý"}),
    "POST /api/v1/cases/{case_id}/break-glass": case(pairs(("health_worker",), ("own", "referred", "transfer")),
                                                     body=BREAK_GLASS),
    "PUT /api/v1/cases/{case_id}/break-glass/{grant_id}/revocation": case(TREATING_CLINIC, body={
        "reason": "Đã xử trí xong ca cấp cứu"}),
    "GET /api/v1/cases/{case_id}/disclosures": scoped(("auditor",), own("auditor")),
    "GET /api/v1/cases/{case_id}/disclosures.xlsx": scoped(("auditor",), own("auditor")),
    "PUT /api/v1/cases/{case_id}/follow-up": case(pairs(CASE_OFFICERS, ACTS_ON_CASE),
                                                  body={"every_days": 30, "first_on": "2026-09-01"}),
    "POST /api/v1/cases/{case_id}/visits": case(pairs(CASE_OFFICERS, ACTS_ON_CASE), body={
        "visited_on": "2026-08-20", "kind": "home_visit", "outcome": "met"}),
    "POST /api/v1/cases/{case_id}/support": case(pairs(("caseworker",), ACTS_ON_CASE),
                                                 body={"kind": "counselling", "provided_on": "2026-08-20"}),
    "PUT /api/v1/cases/{case_id}/methadone/phase": case(TREATING_CLINIC, body={"phase": "titration",
                                                                               "effective_on": "2026-08-20"}),
    "GET /api/v1/cases/{case_id}/methadone/doses": case(TREATING_CLINIC),
    "POST /api/v1/cases/{case_id}/methadone/doses": case(TREATING_CLINIC, body={"given_on": "2026-08-20",
                                                                                "dose_mg": 30}),
    "POST /api/v1/cases/{case_id}/methadone/breaches": case(TREATING_CLINIC, body={"kind": "protocol",
                                                                                   "occurred_on": "2026-08-20"}),
    "PUT /api/v1/cases/{case_id}/methadone/termination-proposals/{proposal_id}/dismissal": case(
        TREATING_CLINIC, body={"reason": "Tiếp tục điều trị có theo dõi"}),
    "GET /api/v1/audit": Entry(everywhere("auditor")),
}

PLAN_SEEN = pairs(ROLES, OWN)
"""A plan in force is seen by everyone of the areas it covers (here the commune's)."""
REPORT_SEEN = own("plan_coordinator", "unit_reporter", "auditor", "admin")
"""The report of UNIT (own context: the reporting unit) is seen by its reporters and the overseers of the area;
the task's lead unit is in no context."""
REPORT = "/api/v1/tasks/{task_id}/assignments/{unit_code}/reports/{period}"


def plan(allowed: frozenset = PLAN_SEEN, **request) -> Entry:
    return seen_by(PLAN_SEEN, allowed, **request)


TABLE["plans"] = {
    "GET /api/v1/units": Entry(EVERYONE),
    "POST /api/v1/units": Entry(own(*COORDINATORS), body={"unit_code": "TYT-22366", "name": "Trạm y tế",
                                                          "kind": "health_facility", "area_code": COMMUNE}),
    "GET /api/v1/vocabulary": Entry(EVERYONE),
    "GET /api/v1/plans": Entry(EVERYONE),
    "POST /api/v1/plans": Entry(own(*COORDINATORS), body={
        "title": "Kế hoạch chuyên đề", "kind": "thematic", "area_code": COMMUNE, "starts_on": "2026-07-01",
        "ends_on": "2026-07-31"}),
    "GET /api/v1/plans/{plan_id}": plan(),
    "PATCH /api/v1/plans/{plan_id}": plan(own(*COORDINATORS), body={"title": "Kế hoạch sửa đổi"}),
    "POST /api/v1/plans/{plan_id}/issue": plan(own(*COORDINATORS), body={
        "issuing_authority": "UBND phường", "document_number": "13/KH-UBND", "document_date": "2026-05-21",
        "signer": "Chủ tịch"}),
    "POST /api/v1/plans/{plan_id}/start": plan(own(*COORDINATORS), body={}),
    "POST /api/v1/plans/{plan_id}/amendments": plan(own(*COORDINATORS), body={
        "document_number": "14/KH-UBND", "reason": "Điều chỉnh tên", "amended_on": "2026-05-25",
        "changes": {"title": "Kế hoạch điều chỉnh"}}),
    "POST /api/v1/plans/{plan_id}/close": plan(own(*COORDINATORS), body={"closed_on": "2026-07-01"}),
    "POST /api/v1/plans/{plan_id}/copies": plan(own(*COORDINATORS), body={"starts_on": "2027-06-01"}),
    "GET /api/v1/plans/{plan_id}/history": plan(),
    "GET /api/v1/plans/{plan_id}/tasks": plan(),
    "POST /api/v1/plans/{plan_id}/tasks": plan(own(*COORDINATORS), body={
        "title": "Nhiệm vụ mới", "due_on": "2026-06-20", "lead_unit": f"UBX-{COMMUNE}"}),
    "GET /api/v1/tasks/{task_id}": plan(),
    "PATCH /api/v1/tasks/{task_id}": plan(own(*COORDINATORS), body={"changes": {"title": "Nhiệm vụ sửa đổi"}}),
    "PUT /api/v1/tasks/{task_id}/assignments/{unit_code}": plan(own(*COORDINATORS),
                                                               body={"shares": {"outreach_sessions": 3}}),
    "POST /api/v1/tasks/{task_id}/assignments/{unit_code}/waiver": plan(own(*COORDINATORS),
                                                                       body={"reason": "Không còn phù hợp"}),
    "GET /api/v1/my/tasks": Entry(EVERYONE),
    "GET /api/v1/direction": Entry(own(*OVERSEERS), query=f"area_code={COMMUNE}&from=2026Q1&to=2026Q4"),
    "GET /api/v1/hotspots": Entry(everywhere(*HOTSPOT_READERS)),
    "POST /api/v1/hotspots": Entry(own(*HOTSPOT_KEEPERS), body={
        "place_name": "Quán nước đầu hẻm 7", "commune_code": COMMUNE, "kind": "point", "activity": "use",
        "level": "low", "found_on": "2026-05-21"}),
    "GET /api/v1/hotspots.geojson": Entry(everywhere(*HOTSPOT_READERS)),
    "GET /api/v1/hotspots/{hotspot_id}": seen_by(own(*HOTSPOT_READERS)),
    "POST /api/v1/hotspots/{hotspot_id}/transitions": seen_by(own(*HOTSPOT_READERS), own(*HOTSPOT_KEEPERS), body={
        "to": "under_surveillance", "effective_on": "2026-05-24", "note": "Đưa vào theo dõi"}),
    "PUT /api/v1/hotspots/{hotspot_id}/tasks": seen_by(own(*HOTSPOT_READERS), own(*HOTSPOT_KEEPERS),
                                                       body={"task_ids": ["{task_id}"]}),
    "GET /api/v1/plans/{plan_id}/budget-lines": plan(),
    "POST /api/v1/plans/{plan_id}/budget-lines": plan(own(*COORDINATORS), body={
        "source": "local_budget", "purpose": "In ấn", "planned_vnd": 1_000_000}),
    "GET /api/v1/budget-lines/{budget_line_id}": plan(),
    "POST /api/v1/budget-lines/{budget_line_id}/spending": plan(own(*COORDINATORS), body={
        "amount_vnd": 1000, "spent_on": "2026-05-24"}),
    f"GET {REPORT}": seen_by(REPORT_SEEN),
    f"PUT {REPORT}": seen_by(REPORT_SEEN, own("unit_reporter"), body={"values": {"outreach_sessions": 3}}),
    f"POST {REPORT}/submit": seen_by(REPORT_SEEN, own("unit_reporter"), body={}),
    "POST /api/v1/units/{unit_code}/reports/submissions": seen_by(REPORT_SEEN, own("unit_reporter"), batch=True,
                                                                  body={"reports": [{"task_id": "{task_id}",
                                                                                     "period": "W1",
                                                                                     "version": 999}]}),
    f"POST {REPORT}/return": seen_by(REPORT_SEEN, own(*COORDINATORS), body={"comments": "Bổ sung số liệu"}),
    f"POST {REPORT}/approve": seen_by(REPORT_SEEN, own(*COORDINATORS), body={}),
    f"POST {REPORT}/revisions": seen_by(REPORT_SEEN, own("unit_reporter"), body={
        "reason": "Sửa số liệu", "values": {"outreach_sessions": 3}}),
    "GET /api/v1/plans/{plan_id}/reports": plan(),
    "POST /api/v1/units/{unit_code}/calendar-token": Entry(own("plan_coordinator", "unit_reporter", "admin"),
                                                           body={}),
    "GET /api/v1/plans/{plan_id}/report.xlsx": seen_by(own(*OVERSEERS)),
    "GET /api/v1/plans/{plan_id}/report.csv": seen_by(own(*OVERSEERS)),
    "GET /api/v1/plans/{plan_id}/rollup": seen_by(own(*OVERSEERS)),
    "GET /api/v1/audit": Entry(everywhere("auditor")),
}

RULE = {"event_type": "cases.case.opened", "category": "case_opened", "subject_type": "case",
        "subject_field": "case_id", "template": "case_opened"}
VARIANTS = [{"channel": "in_app", "language": "vi", "subject": "Hồ sơ mới", "text": "Có hồ sơ mới"}]
SEES_ALERT = own(*CASE_READERS)
"""The seeded alert is about a case, to UNIT in COMMUNE: for the roles that work cases in that unit."""
UNIT_ADMIN = own("admin")

TABLE["notifications"] = {
    "GET /api/v1/inbox": Entry(EVERYONE),
    "GET /api/v1/inbox/counts": Entry(EVERYONE),
    "GET /api/v1/inbox/{alert_id}": seen_by(SEES_ALERT),
    "GET /api/v1/inbox/{alert_id}/state": seen_by(SEES_ALERT),
    "PUT /api/v1/inbox/{alert_id}/state": seen_by(SEES_ALERT, body={"state": "read"}),
    "PUT /api/v1/inbox/{alert_id}/acknowledgement": seen_by(SEES_ALERT, body={}),
    "GET /api/v1/cases/{case_id}/disclosures": scoped(("auditor", "admin"), own("auditor", "admin")),
    "GET /api/v1/rules": Entry(everywhere(*CONFIG_READERS)),
    "POST /api/v1/rules": Entry(everywhere("admin"), body={"id": "matrix_rule", **RULE}),
    "POST /api/v1/rules/dry-run": Entry(everywhere(*CONFIG_READERS), body={"event": {"type": "cases.case.opened"},
                                                                           "rule_id": "{rule_id}"}),
    "GET /api/v1/rules/{rule_id}": Entry(everywhere(*CONFIG_READERS)),
    "PUT /api/v1/rules/{rule_id}": Entry(everywhere("admin"), body=RULE),
    "GET /api/v1/rules/{rule_id}/versions": Entry(everywhere(*CONFIG_READERS)),
    "GET /api/v1/rules/{rule_id}/versions/{version}": Entry(everywhere(*CONFIG_READERS)),
    "GET /api/v1/templates": Entry(everywhere(*CONFIG_READERS)),
    "POST /api/v1/templates": Entry(everywhere("admin"), body={"id": "matrix_template", "variants": VARIANTS}),
    "POST /api/v1/templates/preview": Entry(everywhere(*CONFIG_READERS), body={
        "event": {"type": "cases.case.opened"}, "channel": "in_app", "template_id": "{template_id}"}),
    "GET /api/v1/templates/{template_id}": Entry(everywhere(*CONFIG_READERS)),
    "PUT /api/v1/templates/{template_id}": Entry(everywhere("admin"), body={"variants": VARIANTS}),
    "GET /api/v1/templates/{template_id}/versions": Entry(everywhere(*CONFIG_READERS)),
    "GET /api/v1/templates/{template_id}/versions/{version}": Entry(everywhere(*CONFIG_READERS)),
    "GET /api/v1/members/me": Entry(EVERYONE, fresh="me_member"),
    "PUT /api/v1/members/me": Entry(EVERYONE, body={"language": "vi"}),
    "GET /api/v1/members": Entry(UNIT_ADMIN, query=f"unit=CAX-{COMMUNE}"),
    "GET /api/v1/members/{subject}": seen_by(UNIT_ADMIN),
    "PUT /api/v1/members/{subject}": scoped(("admin",), UNIT_ADMIN, body={"unit": f"CAX-{COMMUNE}"}),
    "GET /api/v1/units/{unit_code}/settings": Entry(UNIT_ADMIN),
    "PUT /api/v1/units/{unit_code}/settings": Entry(UNIT_ADMIN, body={"language": "vi"}),
    "GET /api/v1/members/me/contact-points": Entry(EVERYONE),
    "POST /api/v1/members/me/contact-points": Entry(EVERYONE, body={"kind": "email",
                                                                    "address": "ca-nhan@example.gov.vn"}),
    "DELETE /api/v1/members/me/contact-points/{contact_point_id}": Entry(EVERYONE, fresh="me_contact_point"),
    "POST /api/v1/members/me/contact-points/{contact_point_id}/verification": Entry(
        EVERYONE, body={"code": "000000"}, fresh="me_contact_point"),
    "GET /api/v1/units/{unit_code}/contact-points": Entry(UNIT_ADMIN),
    "POST /api/v1/units/{unit_code}/contact-points": Entry(UNIT_ADMIN, body={"kind": "email",
                                                                             "address": "truc@example.gov.vn"}),
    "DELETE /api/v1/units/{unit_code}/contact-points/{contact_point_id}": Entry(UNIT_ADMIN,
                                                                                fresh="unit_contact_point"),
    "POST /api/v1/units/{unit_code}/contact-points/{contact_point_id}/verification": Entry(
        UNIT_ADMIN, body={"code": "000000"}),
    "GET /api/v1/endpoints": Entry(UNIT_ADMIN, query=f"unit_code=CAX-{COMMUNE}"),
    "POST /api/v1/endpoints": Entry(UNIT_ADMIN, body={"unit_code": f"CAX-{COMMUNE}", "name": "Hệ thống khác",
                                                      "url": "http://127.0.0.1:9/other"}),
    "GET /api/v1/endpoints/{endpoint_id}": scoped(("admin",), UNIT_ADMIN),
    "PUT /api/v1/endpoints/{endpoint_id}": scoped(("admin",), UNIT_ADMIN, body={"name": "Hệ thống CAX mới"}),
    "POST /api/v1/endpoints/{endpoint_id}/secret-rotation": scoped(("admin",), UNIT_ADMIN, body={}),
    "POST /api/v1/agencies/{unit_code}/feed-token": Entry(own(*CASE_READERS), body={}),
    "GET /api/v1/deliveries/dead-letters": Entry(everywhere("admin")),
    # fixed with this matrix: a contact point's verification delivery named no unit, so admins of any area read
    # (and could resend) it; the seeded delivery is the unit's contact point's
    "GET /api/v1/deliveries/{delivery_id}": scoped(("admin",), UNIT_ADMIN),
    "POST /api/v1/deliveries/{delivery_id}/resend": scoped(("admin",), UNIT_ADMIN, body={}),
    "GET /api/v1/audit": Entry(everywhere("auditor")),
}
