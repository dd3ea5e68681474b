"""The case page's action forms as the template draws them: one form per step the cases API lists for the caller
now, the visit and the drug-test forms; each control labelled in the page's language, each form with the case
version it was rendered from and its own Idempotency-Key. A form comes back with what was typed in it after a
refusal, or after a sign-in that had ended while it was being filled in."""
from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l

from services.portal.domain.case_actions import (DRUG_TEST_CONTROLS, DRUG_TEST_FORM, FOLLOW_UP_CONTROLS,
                                                 FOLLOW_UP_FORM, STEP_FORM, SUPPORT_CONTROLS, SUPPORT_FORM,
                                                 VISIT_CONTROLS, VISIT_FORM)
from services.portal.entrypoints.web import form_keys, kept_form

NOTICES = {STEP_FORM: _l("Step taken."), VISIT_FORM: _l("Visit recorded."),
           DRUG_TEST_FORM: _l("Drug test recorded."), FOLLOW_UP_FORM: _l("Follow-up plan saved."),
           SUPPORT_FORM: _l("Support recorded.")}


def form_id(action: str, transition: str = "") -> str:
    return f"{STEP_FORM}:{transition}" if action == STEP_FORM else action


def case_action_forms(access_token: str, case_id: str, page, posted: dict | None = None,
                      refusal: tuple[str, str] | None = None) -> dict:
    """The template's context for the forms. `posted` (form id -> fields) fills a form in again, `refusal`
    (form id, message) is shown in it; a form kept at an ended sign-in fills in its own form."""
    steps = page.steps if page else []
    kept = kept_form()
    values = dict(posted or {})
    if kept.get("form"):
        values.setdefault(kept["form"][0], kept)
    return {"steps": steps, "visit_controls": VISIT_CONTROLS,
            "drug_test_controls": DRUG_TEST_CONTROLS, "visit_form": VISIT_FORM, "drug_test_form": DRUG_TEST_FORM,
            "follow_up_controls": FOLLOW_UP_CONTROLS, "follow_up_form": FOLLOW_UP_FORM,
            "support_controls": SUPPORT_CONTROLS, "support_form": SUPPORT_FORM,
            "form_values": values, "form_refusal": refusal or (None, None),
            "version": (page.case or {}).get("version") if page else None, "new_key": form_keys(),
            "notice": NOTICES.get(request.args.get("done", ""))}
