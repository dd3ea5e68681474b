"""The case page's writes: a workflow step, a visit, a drug test, the follow-up plan, support given, each sent to the
cases API with the person's own token and the version the form was rendered from as If-Match (and the form's
Idempotency-Key where the API takes one). The API decides whether the person may and checks every field; its
refusal is raised as a ServiceProblem for the page to show next to the form."""
from __future__ import annotations

from typing import Protocol

from services.portal.domain.case_actions import (DRUG_TEST_CONTROLS, DRUG_TEST_FORM, FOLLOW_UP_CONTROLS,
                                                 FOLLOW_UP_FORM, STEP_FORM, SUPPORT_CONTROLS, SUPPORT_FORM,
                                                 VISIT_CONTROLS, VISIT_FORM, request_body, step_form)
from services.portal.domain.commands import ActOnCase
from services.portal.domain.pages import STALE, ServiceProblem


class CasesApi(Protocol):
    def get(self, service: str, path: str, token: str, params: dict | None = None) -> tuple[object, dict]: ...

    def write(self, method: str, service: str, path: str, token: str, body: dict | None = None,
              headers: dict | None = None) -> tuple[object, dict]: ...


def _step(command: ActOnCase, services_api: CasesApi) -> tuple[str, dict, bool]:
    """The step's controls are those the API lists for it now: a step no longer allowed is refused by the API."""
    allowed, _headers = services_api.get("cases", f"/cases/{command.case_id}/transitions", command.access_token)
    forms = {item.get("name"): step_form(item) for item in allowed or [] if isinstance(item, dict)}
    form = forms.get(command.transition) or step_form({"name": command.transition})
    body = {"transition": command.transition, **request_body(form.controls, dict(command.posted))}
    return "/transitions", body, False


WRITES = {VISIT_FORM: ("POST", "/visits", VISIT_CONTROLS),
          DRUG_TEST_FORM: ("POST", "/drug-tests", DRUG_TEST_CONTROLS),
          SUPPORT_FORM: ("POST", "/support", SUPPORT_CONTROLS),
          FOLLOW_UP_FORM: ("PUT", "/follow-up", FOLLOW_UP_CONTROLS)}
"""Each form's write: a POST that records (and takes the form's Idempotency-Key), or a PUT that sets."""


def act_on_case(command: ActOnCase, principal, services_api: CasesApi) -> dict:
    """The case as the API answers it after the write."""
    if command.version < 1:
        raise ServiceProblem("cases", STALE, 412)
    method = "POST"
    if command.action == STEP_FORM:
        path, body, idempotent = _step(command, services_api)
    else:
        method, path, controls = WRITES[command.action]
        body, idempotent = request_body(controls, dict(command.posted)), method == "POST"
    headers = {"If-Match": f'"{command.version}"'}
    if idempotent and command.idempotency_key:
        headers["Idempotency-Key"] = command.idempotency_key
    case, _headers = services_api.write(method, "cases", f"/cases/{command.case_id}{path}", command.access_token,
                                        body, headers)
    return case


HANDLERS = {ActOnCase: act_on_case}
