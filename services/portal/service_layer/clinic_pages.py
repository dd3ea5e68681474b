"""The methadone page's reads and writes, and the case page's referrals and transfers, each sent to the cases API
with the person's own token; the referral form's units come from the plans API's directory. Writes carry the
version the form was rendered from as If-Match (and the form's Idempotency-Key where the API takes one); the API
decides whether the person may and checks every field, and its refusal is raised as a ServiceProblem for the page
to show next to the form."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from services.portal.domain.case_actions import request_body
from services.portal.domain.clinic_pages import (BREACH_CONTROLS, BREACH_FORM, DECISION_FORM, DISMISS_CONTROLS,
                                                 DISMISS_FORM, DOSE_CONTROLS, DOSE_FORM, DOSE_LOG_SHOWN,
                                                 PHASE_CONTROLS, PHASE_FORM, REFERRAL_FORM, TRANSFER_CONTROLS,
                                                 TRANSFER_FORM, decision_controls, dose_amount, referral_controls)
from services.portal.domain.commands import ActOnTherapy, ShareFromCasePage
from services.portal.domain.queries import ReadMethadonePage, ReadReferralUnits
from services.portal.domain.pages import NOT_PERMITTED, STALE, ServiceProblem

UNITS_LISTED = 100
"""The plans API's largest page: a province's directory of units fits in it."""


class CasesApi(Protocol):
    def get(self, service: str, path: str, token: str, params: dict | None = None) -> tuple[object, dict]: ...

    def write(self, method: str, service: str, path: str, token: str, body: dict | None = None,
              headers: dict | None = None) -> tuple[object, dict]: ...


@dataclass
class MethadonePage:
    case: dict
    therapy: dict
    doses: list[dict] = field(default_factory=list)
    problems: list[ServiceProblem] = field(default_factory=list)


def read_methadone_page(query: ReadMethadonePage, principal, services_api: CasesApi) -> MethadonePage:
    """A case answered without its therapy section is not the caller's to see clinically (the API leaves the
    section out): refused as not permitted. A refused dose log leaves the rest of the page with a message."""
    case, _headers = services_api.get("cases", f"/cases/{query.case_id}", query.access_token)
    therapy = case.get("therapy") if isinstance(case, dict) else None
    if not isinstance(therapy, dict):
        raise ServiceProblem("cases", NOT_PERMITTED, 403)
    page = MethadonePage(case, therapy)
    try:
        doses, _headers = services_api.get("cases", f"/cases/{query.case_id}/methadone/doses", query.access_token)
        page.doses = sorted((d for d in doses or [] if isinstance(d, dict)),
                            key=lambda d: str(d.get("given_on", "")), reverse=True)[:DOSE_LOG_SHOWN]
    except ServiceProblem as problem:
        page.problems.append(problem)
    return page


def read_referral_units(query: ReadReferralUnits, principal, services_api: CasesApi) -> list[dict]:
    """The directory's units by code and name; none when the plans service cannot say (the page says so)."""
    body, _headers = services_api.get("plans", "/units", query.access_token, {"page_size": UNITS_LISTED})
    return [unit for unit in body or [] if isinstance(unit, dict) and unit.get("unit_code")]


def _dose_body(posted: dict) -> dict:
    body = request_body(DOSE_CONTROLS[:1], posted)
    if posted.get("missed"):
        body["missed"] = True
    amount = (posted.get("dose_mg") or [""])[0]
    if amount.strip():
        body["dose_mg"] = dose_amount(amount)
    return body


THERAPY_WRITES = {DOSE_FORM: ("POST", "/methadone/doses", True), PHASE_FORM: ("PUT", "/methadone/phase", False),
                  BREACH_FORM: ("POST", "/methadone/breaches", True), DISMISS_FORM: ("PUT", "", False)}
THERAPY_BODIES = {DOSE_FORM: _dose_body, PHASE_FORM: lambda posted: request_body(PHASE_CONTROLS, posted),
                  BREACH_FORM: lambda posted: request_body(BREACH_CONTROLS, posted),
                  DISMISS_FORM: lambda posted: request_body(DISMISS_CONTROLS, posted)}


def _if_match(version: int) -> dict:
    if version < 1:
        raise ServiceProblem("cases", STALE, 412)
    return {"If-Match": f'"{version}"'}


def act_on_therapy(command: ActOnTherapy, principal, services_api: CasesApi) -> dict:
    """The case as the API answers it after the write."""
    headers = _if_match(command.version)
    method, path, idempotent = THERAPY_WRITES[command.action]
    if command.action == DISMISS_FORM:
        path = f"/methadone/termination-proposals/{command.proposal_id}/dismissal"
    if idempotent and command.idempotency_key:
        headers["Idempotency-Key"] = command.idempotency_key
    case, _headers = services_api.write(method, "cases", f"/cases/{command.case_id}{path}", command.access_token,
                                        THERAPY_BODIES[command.action](dict(command.posted)), headers)
    return case


SHARE_WRITES = {REFERRAL_FORM: ("POST", "/referrals", referral_controls(())),
                TRANSFER_FORM: ("POST", "/transfers", TRANSFER_CONTROLS),
                DECISION_FORM: ("PUT", "", decision_controls(()))}


def share_from_case_page(command: ShareFromCasePage, principal, services_api: CasesApi) -> dict:
    """The cases API takes no Idempotency-Key on these: If-Match alone keeps a second post from writing twice."""
    headers = _if_match(command.version)
    method, path, controls = SHARE_WRITES[command.action]
    if command.action == DECISION_FORM:
        path = f"/shares/{command.share_id}/decision"
    case, _headers = services_api.write(method, "cases", f"/cases/{command.case_id}{path}", command.access_token,
                                        request_body(controls, dict(command.posted)), headers)
    return case


HANDLERS = {ReadMethadonePage: read_methadone_page, ReadReferralUnits: read_referral_units,
            ActOnTherapy: act_on_therapy, ShareFromCasePage: share_from_case_page}
