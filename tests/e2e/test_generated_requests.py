"""Generated requests against every service's OpenAPI document, from a real gunicorn, with every schemathesis check.

schemathesis' engine runs what `schemathesis run --checks all` runs (the coverage, fuzzing and stateful phases, and
explicit examples where a document has some; positive and negative data, NUL characters included) and every
check: no 500, documented statuses, content types and headers, responses matching their schemas, invalid data
refused, valid data accepted, missing required headers refused, unsupported methods answered 405 with `Allow`,
authentication enforced, no use after delete. `object_level_authorization` is inert: it needs several identities
configured for schemathesis' WFC auth; tests/integration/test_access.py covers who sees what.

Path parameters name records that exist (a plan, a case, a person, a referral, an alert, an acknowledgement link
signed as the service signs them), so operations on sub-resources are exercised past their 404.
tests/integration/test_generated_input.py fuzzes in-process for 500s.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict

import jsonschema_rs
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from schemathesis.engine import Status, events, from_schema

from shared.clock import Clock
from shared.endpoints import IF_MATCH_PATTERN
from shared.settings import Settings
from services.notifications.adapters.ack_links import SignedAckLinks
from services.plans.domain.model import INDICATORS
from tests.e2e.conftest import COMMUNE, inbox_for, open_case
from tests.support import SERVICES, wait_for

pytestmark = pytest.mark.e2e

FUZZER = {"subject": "fuzzer", "roles": ["caseworker", "plan_coordinator", "police_liaison", "unit_reporter"],
          "unit": f"UBX-{COMMUNE}", "areas": ["56"]}

REPORT_RULES = {"period", "unit_code", "values", *(f"values.{code}" for code in INDICATORS), "crackdown",
                "crackdown.seizures.*.measure", "crackdown.seizures.*.quantity", "documents.*.issued_on"}
"""A report's figures are for the task's indicators and agree with its crackdown figures; a drug's measure is its
own; a police unit alone reports crackdown figures; the period is the plan's."""
RULE_REFERENCES = {"event_type", "subject_field", "unit_fields", "area_field", "ack_due_field", "conditions.*.field",
                   "conditions.*.value", "unit_kinds", "channels", "endpoints", "template", "resolved_by",
                   "resolved_by.*", "resolve_fields", "escalation", "ack_required", "area_scope", "roles"}
"""What a routing rule names that must exist or agree (an event type and its fields, a template fitting them, an
endpoint, a deadline for an acknowledgement), or names once."""
DOMAIN_RULES = {
    "POST /api/v1/units": {"area_code", "covers.*"},
    "POST /api/v1/plans": {"area_code", "ends_on", "indicators", "summary_report_due_on"},
    "PATCH /api/v1/plans/{plan_id}": {"starts_on", "ends_on", "indicators", "summary_report_due_on"},
    "POST /api/v1/plans/{plan_id}/issue": {"document_date"},
    "POST /api/v1/plans/{plan_id}/amendments": {"reason", "amended_on", "changes.ends_on",
                                                "changes.summary_report_due_on", "changes.indicators"},
    "POST /api/v1/plans/{plan_id}/close": {"closed_on"},
    "GET /api/v1/plans/{plan_id}/rollup": {"period"},
    "POST /api/v1/plans/{plan_id}/tasks": {"lead_unit", "supporting_units", "supporting_units.*", "areas.*",
                                           "starts_on", "due_on", "indicators"},
    "PATCH /api/v1/tasks/{task_id}": {"reason", "document_number", "supporting_units", "supporting_units.*",
                                      "areas.*", "starts_on", "due_on", "indicators"},
    "PUT /api/v1/tasks/{task_id}/assignments/{unit_code}": {"unit_code", *(f"shares.{code}" for code in INDICATORS)},
    "POST /api/v1/tasks/{task_id}/assignments/{unit_code}/waiver": {"unit_code", "reason"},
    "PUT /api/v1/tasks/{task_id}/assignments/{unit_code}/reports/{period}": REPORT_RULES,
    "POST /api/v1/tasks/{task_id}/assignments/{unit_code}/reports/{period}/revisions": REPORT_RULES | {"reason"},
    "GET /api/v1/direction": {"area_code", "from", "to"},
    "GET /api/v1/cases": {"national_id"},
    "GET /api/v1/cases/export.xlsx": {"national_id"},
    "POST /api/v1/cases": {"commune_code", "person", "person_code", "person.birth_date", "person.national_id",
                           "person.phone", "person.guardian", "person.guardian.phone", "stage", "opened_on"},
    "GET /api/v1/people": {"national_id"},
    "POST /api/v1/people": {"birth_date", "national_id", "phone", "guardian", "guardian.phone"},
    "POST /api/v1/people/{person_code}/merge": {"into"},
    "POST /api/v1/cases/{case_id}/drug-tests": {"tested_on"},
    "POST /api/v1/register-imports": {"register"},
    "POST /api/v1/cases/{case_id}/transfers": {"to_commune"},
    "POST /api/v1/cases/{case_id}/referrals": {"to_unit", "consent", "consent.purpose", "consent.basis",
                                               "consent.valid_until", "consent.reference"},
    "POST /api/v1/cases/{case_id}/consents": {"to_unit", "purpose", "basis", "valid_until", "reference"},
    "PUT /api/v1/cases/{case_id}/phase": {"phase"},
    "PUT /api/v1/cases/{case_id}/follow-up": {"first_on"},
    "POST /api/v1/cases/{case_id}/visits": {"visited_on"},
    "POST /api/v1/cases/{case_id}/support": {"provided_on", "amount_vnd", "funding_source"},
    "POST /api/v1/cases/{case_id}/methadone/breaches": {"stage"},
    "POST /api/v1/hotspots": {"commune_code", "found_on", "task_ids", "task_ids.*"},
    "POST /api/v1/hotspots/{hotspot_id}/transitions": {"effective_on"},
    "PUT /api/v1/hotspots/{hotspot_id}/tasks": {"task_ids", "task_ids.*"},
    "POST /api/v1/plans/{plan_id}/budget-lines": {"task_id"},
    "POST /api/v1/budget-lines/{budget_line_id}/spending": {"spent_on"},
    "POST /api/v1/rules/dry-run": {"rule_id", "event.area_code", "event.data.notify_police_by",
                                   *(f"rule.{name}" for name in RULE_REFERENCES)},
    "POST /api/v1/templates/preview": {"template_id", "channel", "event.area_code", "event.data", "template.variants",
                                       "template.variants.*.subject", "template.variants.*.html",
                                       "template.variants.*.text"},
    "PUT /api/v1/members/me": {"quiet_hours.end"},
    "PUT /api/v1/members/{subject}": {"unit", "quiet_hours.end"},
    "PUT /api/v1/units/{unit_code}/settings": {"quiet_hours.end"},
    "POST /api/v1/members/me/contact-points": {"address"},
    "POST /api/v1/units/{unit_code}/contact-points": {"address"},
    "POST /api/v1/members/me/contact-points/{contact_point_id}/verification": {"code"},
    "POST /api/v1/units/{unit_code}/contact-points/{contact_point_id}/verification": {"code"},
}
"""Fields whose rules a JSON Schema cannot state, so a schema-valid request may break them (422 naming the field):
codes that must be in reference data (`area_code`, `commune_code`, `to_commune`, a national ID's province of birth
registration, a phone number's numbering plan, the consent purposes and exceptions of the case's workflow), records
that must exist (`lead_unit`, `person_code`, `into`, a unit's assignment, a unit of the directory as `to_unit`,
which a referral to a clinic needs the person's `consent` for, a consent's `reference` that is not blank once
trimmed as Python trims, which a JSON Schema pattern cannot say), an indicator of the task (`shares.<code>`, `values.<code>`), shares that add up over a target,
dates relative to other fields or records (`ends_on` after `starts_on`, a task due within its plan, a case not
opened before the person's birth, a test or visit not before the case was opened), ages on a date (a minor needs a
guardian), an indicator listed twice (unique by its code), fields one kind requires and another forbids
(`amount_vnd` for a loan), what the case's stage or regime allows (`phase`, `stage`), quiet hours ending where
they start (`quiet_hours.end`), a contact point's address as its `kind` needs it (an e-mail address, or a mobile
number of the numbering plan), the one-time code that was sent (`code`). A static rule the schema
could state (a minimum length) is not listed: refusing what the document allows is a documentation bug."""


def _field_pattern(path: str) -> str:
    return re.sub(r"(?<=\.)\d+(?=\.|$)", "*", path)


def _refused_by_a_domain_rule(case, response) -> bool:
    """A 422 naming only fields listed in DOMAIN_RULES for this operation."""
    if response.status_code != 422:
        return False
    fields = {_field_pattern(name) for name in json.loads(response.content).get("errors", {})}
    return bool(fields) and fields <= DOMAIN_RULES.get(case.operation.label, set())


def _stale_version(response) -> bool:
    """412 to a well-formed If-Match naming another version than the current one: which version is current is
    state, like a 409, not something a schema can say."""
    return response.status_code == 412 and "current_version" in json.loads(response.content)


ONE_TIME_LINKS = {"GET /api/v1/ack/{token}", "POST /api/v1/ack/{token}"}
"""Operations on a signed one-time link (records' `token`): the first POST acknowledges and spends it."""


def _spent_link(case, response) -> bool:
    """410 to the one-time link after an earlier request of the run spent it: whether a link was used is state,
    like a 409, not something a schema can say."""
    return (response.status_code == 410 and case.operation.label in ONE_TIME_LINKS
            and "used already" in json.loads(response.content).get("detail", ""))


def _refused_for_nul(response) -> bool:
    """The input guard refuses NUL in any string (docs/architecture.md, HTTP conventions), which JSON Schema could
    only say with a pattern on every string; a 400 saying so, to a request that held NUL, is by design."""
    if response.status_code != 400:
        return False
    messages = [m for ms in json.loads(response.content).get("errors", {}).values() for m in ms]
    sent = f"{response.request.url} {response.request.body or ''}"
    return bool(messages) and all("NUL" in m for m in messages) and ("%00" in sent or "\\u0000" in sent)


def _sent_a_malformed_if_match(response) -> bool:
    """schemathesis' coverage phase sends some requests it calls positive with `If-Match: 0`, which breaks the
    pattern the document gives; such a request is not schema-valid, and its 412 is the documented answer."""
    sent = response.request.headers.get("If-Match")
    return sent is not None and re.fullmatch(IF_MATCH_PATTERN, sent) is None


@schemathesis.check
def valid_data_is_accepted_unless_a_domain_rule_refuses_it(ctx, response, case):
    """schemathesis' positive_data_acceptance, which expects a schema-valid request to be accepted; here a schema-
    valid request may still break a rule no JSON Schema can state (DOMAIN_RULES), name a version that is no longer
    current (412) or a one-time link used already (410), or hold NUL (refused by design)."""
    if (_refused_by_a_domain_rule(case, response) or _stale_version(response) or _spent_link(case, response)
            or _refused_for_nul(response) or _sent_a_malformed_if_match(response)):
        return None
    return positive_data_acceptance(ctx, response, case)


@pytest.fixture(scope="module")
def fuzzer(as_user):
    return as_user(**FUZZER)


@pytest.fixture(scope="module")
def records(system, fuzzer, coordinator, yearly_plan):
    """One record of each kind the APIs name in their paths, visible to the fuzzer."""
    task = coordinator("POST", "plans", f"/plans/{yearly_plan}/tasks", json={
        "title": "Kiểm tra định kỳ", "lead_unit": f"CAX-{COMMUNE}", "due_on": "2026-11-30",
        "indicators": [{"code": "outreach_sessions", "target": 100}]})
    assert task.status_code == 201, task.text
    assigned = coordinator("PUT", "plans", f"/tasks/{task.json()['id']}/assignments/UBX-{COMMUNE}",
                           json={"shares": {"outreach_sessions": 10}})
    assert assigned.status_code == 200, assigned.text
    issued = coordinator("POST", "plans", f"/plans/{yearly_plan}/issue", json={
        "issuing_authority": "Ủy ban nhân dân tỉnh", "document_number": "1/KH-UBND", "document_date": "2026-01-02",
        "signer": "Chủ tịch"})
    assert issued.status_code == 200, issued.text
    period = "2026-06"
    report = fuzzer("PUT", "plans", f"/tasks/{task.json()['id']}/assignments/UBX-{COMMUNE}/reports/{period}",
                    json={"values": {"outreach_sessions": 2}})
    assert report.status_code == 201, report.text
    case = open_case(fuzzer)
    referred = fuzzer("POST", "cases", f"/cases/{case['id']}/referrals",
                      json={"to_unit": "CAX-22333", "reason": "hỗ trợ điều trị"})
    assert referred.status_code == 201, referred.text
    [share_id] = referred.json()["shares"]
    [alert] = wait_for(lambda: inbox_for(fuzzer, case["id"]), 30, message="the case's alert in the fuzzer's inbox")
    ack_links = SignedAckLinks.from_settings(Settings.from_env("notifications", system.env), Clock())
    ack_token = ack_links.link_for(alert["id"], f"member:{FUZZER['subject']}").rsplit("/", 1)[1]
    hotspot = fuzzer("POST", "plans", "/hotspots", json={
        "place_name": "Điểm kiểm tra", "commune_code": COMMUNE, "kind": "point", "activity": "use", "level": "low",
        "found_on": "2026-06-01"})
    assert hotspot.status_code == 201, hotspot.text
    budget_line = fuzzer("POST", "plans", f"/plans/{yearly_plan}/budget-lines", json={
        "source": "local_budget", "purpose": "Tuyên truyền", "planned_vnd": 1_000_000})
    assert budget_line.status_code == 201, budget_line.text
    return {"plans": {"plan_id": yearly_plan, "hotspot_id": hotspot.json()["id"],
                      "budget_line_id": budget_line.json()["id"], "task_id": task.json()["id"],
                      "unit_code": f"UBX-{COMMUNE}", "period": period},
            "cases": {"case_id": case["id"], "person_code": case["person_code"], "share_id": share_id},
            "notifications": {"alert_id": alert["id"], "rule_id": "relapse_suspected",
                              "template_id": "relapse_suspected", "version": 1, "token": ack_token}}


def _schema(url: str, parameters: dict, headers: dict):
    loaded = schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json")
    loaded.config.update(parameters={f"path.{name}": value for name, value in parameters.items()}, headers=headers)
    loaded.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], allow_x00=True,
                                    max_examples=25)
    loaded.config.checks.update(excluded_check_names=["positive_data_acceptance"])
    # An If-Match that cannot match the current ETag, malformed or not, answers 412 (RFC 9110, 13.1.1).
    rejection = loaded.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "412"]
    loaded.config.seed = 20260801
    return loaded


def _answer(recorder, case_id: str) -> str:
    interaction = recorder.interactions.get(case_id)
    if interaction is None or interaction.response is None:
        return "(no answer)"
    meta = recorder.cases[case_id].value.meta
    phase = f"{meta.phase.name.value} {meta.generation.mode.value} {meta.phase.data!r}"[:300] if meta else ""
    return (f"[{interaction.response.status_code}] {interaction.response.content[:500].decode(errors='replace')}"
            f"\n({phase})")


class Findings:
    """What one engine run found: failures per (operation, check), and the statuses each operation answered."""

    def __init__(self):
        self.failures: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.statuses: dict[str, set[int]] = defaultdict(set)
        self.phases: set[str] = set()

    def scenario(self, phase: str, recorder) -> None:
        if recorder.interactions:
            self.phases.add(phase)
        for case_id, interaction in recorder.interactions.items():
            if interaction.response is not None:
                self.statuses[recorder.cases[case_id].value.operation.label].add(interaction.response.status_code)
        for case_id, checks in recorder.checks.items():
            for check in checks:
                if check.status == Status.FAILURE:
                    failure = check.failure_info.failure
                    self.failures[(failure.operation, check.name)].append(
                        f"{failure.title}: {failure.message}\n{_answer(recorder, case_id)}\n"
                        f"{check.failure_info.code_sample}")

    def error(self, label: str, error: Exception) -> None:
        self.failures[(label, "error")].append(f"{type(error).__name__}: {error}")


def run_every_check(loaded) -> Findings:
    findings = Findings()
    for event in from_schema(loaded).execute():
        if isinstance(event, events.ScenarioFinished):
            findings.scenario(event.phase.value, event.recorder)
        elif isinstance(event, events.NonFatalError):
            findings.error(event.label, event.value)
        elif isinstance(event, events.FatalError):
            findings.error("engine", event.exception)
    return findings


class FindingsByService(dict):
    """Each service's findings, made when a test first asks for them: one service's run counts toward one test's
    time limit, not all three toward the first test's (on FerretDB over PostgreSQL one run takes minutes)."""

    def __init__(self, run):
        super().__init__()
        self.run = run

    def __missing__(self, service: str) -> Findings:
        self[service] = found = self.run(service)
        return found


@pytest.fixture(scope="module")
def findings(system, records, auth) -> FindingsByService:
    return FindingsByService(lambda service: run_every_check(_schema(system.urls[service], records[service],
                                                                     auth(**FUZZER))))


def _report(failures: dict) -> str:
    return "\n\n".join(f"{label} [{check}]\n" + "\n".join(dict.fromkeys(messages))[:3000]
                       for (label, check), messages in sorted(failures.items()))


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_passes_every_check(findings, service):
    assert findings[service].phases >= {"coverage", "fuzzing", "stateful"}, findings[service].phases
    assert not findings[service].failures, _report(findings[service].failures)


UNEXERCISED = {"PUT /api/v1/cases/{case_id}/methadone/termination-proposals/{proposal_id}/dismissal":
               "no termination proposal exists: one needs a methadone patient with two protocol breaches"}


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_reached_an_existing_record(findings, service):
    """An answer other than 404 shows the path named a record that exists, so the operation itself ran."""
    only_404 = sorted(label for label, statuses in findings[service].statuses.items()
                      if statuses <= {404} and label not in UNEXERCISED)
    assert findings[service].statuses and not only_404, only_404


def test_a_body_naming_no_person_is_a_422_naming_the_field(fuzzer, records):
    """Found by generated requests on some runs only (a 404, as if the record in the path were missing)."""
    opened = fuzzer("POST", "cases", "/cases",
                    json={"person_code": "P000000000000", "commune_code": COMMUNE, "opened_on": "2026-08-02"})
    assert opened.status_code == 422 and "person_code" in opened.json()["errors"], opened.text
    merged = fuzzer("POST", "cases", f"/people/{records['cases']['person_code']}/merge",
                    json={"into": "P000000000000"})
    assert merged.status_code == 422 and "into" in merged.json()["errors"], merged.text


def test_a_transfer_reason_is_refused_for_its_length_exactly_when_the_document_says(fuzzer, records):
    """Generated requests seldom reach the reason of a transfer: to_commune must be a commune of the province."""
    document = fuzzer("GET", "cases", "/openapi.json").json()
    reason = jsonschema_rs.validator_for(document["components"]["schemas"]["TransferIn"]["properties"]["reason"])
    path = f"/cases/{records['cases']['case_id']}/transfers"
    for text in ("x" * 4, "x" * 5):
        answer = fuzzer("POST", "cases", path, json={"to_commune": "22333", "reason": text})
        refused = "reason" in answer.json().get("errors", {})
        assert refused is not reason.is_valid(text), (text, answer.text)
