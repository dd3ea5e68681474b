"""The case page's action forms: a workflow step, a visit, a drug test, the follow-up plan, support given, as the
cases API takes them.

A step's form is made from the API's answer of the steps the caller may take now (each with the decision fields it
requires); the form's controls are named as the API names its fields ("effective_on", "decision.decision_date"),
so a field the API refuses is the control the page marks. The version the form was rendered from travels with it
and goes back as If-Match, so a case that changed meanwhile is never written unseen."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

DATE, TEXT, TEXTAREA, NUMBER, CHOICE, LINES, CHOICES, DONG = (
    "date", "text", "textarea", "number", "choice", "lines", "choices", "dong")
DECISION_KINDS = {"decision_number": TEXT, "decision_date": DATE, "issuing_authority": TEXT, "document_ref": TEXT,
                  "term_months": NUMBER, "reason_code": CHOICE, "reason": TEXTAREA, "drugs_declared": LINES,
                  "guardian_consent_ref": TEXT, "term_reduction_months": NUMBER}
"""The cases API's decision fields (its `Decision`) by the control that takes each; a field it adds later is text."""
VISIT_KINDS = ("home_visit", "office_check_in", "phone_call")
VISIT_OUTCOMES = ("met", "not_home", "refused", "moved_away")
TEST_RESULTS = ("negative", "positive")
SUBSTANCES = ("amphetamine", "benzodiazepines", "buprenorphine", "cannabis", "cocaine", "codeine", "fentanyl",
              "heroin", "ketamine", "mdma", "methadone", "methamphetamine", "morphine", "opium", "other", "oxycodone",
              "synthetic_cannabinoids", "tramadol")
"""The cases API's choices as its schemas list them; it checks them again and has the last word."""
SUPPORT_KINDS = ("counselling", "vocational_training", "job_placement", "schooling", "social_support", "loan")
FUNDING_SOURCES = ("state_budget", "local_budget", "social_policy_bank", "enterprise", "community", "ngo", "family",
                   "other")
STEP_FORM, VISIT_FORM, DRUG_TEST_FORM, FOLLOW_UP_FORM, SUPPORT_FORM = (
    "step", "visit", "drug_test", "follow_up", "support")
DAY_AS_WRITTEN = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
DONG_AS_WRITTEN = re.compile(r"\d{1,3}([. ]\d{3})+|\d+")
"""An amount of đồng as people write it: 1.500.000, 1 500 000 or 1500000 (đồng have no decimals)."""


@dataclass(frozen=True)
class Control:
    name: str
    kind: str
    required: bool
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepForm:
    transition: str
    to: str
    controls: tuple[Control, ...]


def step_form(allowed: dict) -> StepForm:
    """The step's effective date, then the decision fields it requires, its reason list when it has one, and a
    reason in words (which a term below the legal minimum needs)."""
    requires = [name for name in allowed.get("requires") or [] if isinstance(name, str)]
    reasons = tuple(allowed.get("reasons") or ())
    controls = [Control("effective_on", DATE, True)]
    controls += [Control(f"decision.{name}", DECISION_KINDS.get(name, TEXT), True,
                         reasons if name == "reason_code" else ()) for name in requires]
    if reasons and "reason_code" not in requires:
        controls.append(Control("decision.reason_code", CHOICE, False, reasons))
    if "reason" not in requires:
        controls.append(Control("decision.reason", TEXTAREA, False))
    return StepForm(str(allowed.get("name", "")), str(allowed.get("to", "")), tuple(controls))


VISIT_CONTROLS = (Control("visited_on", DATE, True), Control("kind", CHOICE, True, VISIT_KINDS),
                  Control("outcome", CHOICE, True, VISIT_OUTCOMES), Control("notes", TEXTAREA, False))
DRUG_TEST_CONTROLS = (Control("tested_on", DATE, True), Control("result", CHOICE, True, TEST_RESULTS),
                      Control("substances", CHOICES, False, SUBSTANCES))
FOLLOW_UP_CONTROLS = (Control("every_days", NUMBER, True), Control("first_on", DATE, True))
SUPPORT_CONTROLS = (Control("kind", CHOICE, True, SUPPORT_KINDS), Control("provided_on", DATE, True),
                    Control("amount_vnd", DONG, False), Control("funding_source", CHOICE, False, FUNDING_SOURCES),
                    Control("details", TEXTAREA, False))
"""An amount and its funding source are required for social support and loans: the API says so by name."""


def dong(text: str) -> int | str:
    """"1.500.000 ₫" as 1500000; anything else as typed, for the API to refuse by name."""
    bare = text.replace("₫", "").replace("đồng", "").replace("đ", "").strip()
    return int(re.sub(r"[. ]", "", bare)) if DONG_AS_WRITTEN.fullmatch(bare) else text


def iso_day(text: str) -> str:
    """A day typed as dd/mm/yyyy (a browser without a date picker) as the API's yyyy-mm-dd; anything else as
    typed, for the API to refuse by name."""
    written = DAY_AS_WRITTEN.fullmatch(text)
    if written:
        try:
            return date(int(written[3]), int(written[2]), int(written[1])).isoformat()
        except ValueError:
            return text
    return text


def _value(control: Control, raw: list[str]):
    text = raw[0].strip() if raw else ""
    if control.kind == CHOICES:
        return [value for value in raw if value]
    if control.kind == LINES:
        return [line.strip() for line in text.splitlines() if line.strip()]
    if control.kind == NUMBER and (text.isascii() and text.isdigit()):
        return int(text)
    if control.kind == DATE:
        return iso_day(text)
    if control.kind == DONG and text:
        return dong(text)
    return text


def request_body(controls: tuple[Control, ...], posted: dict[str, list[str]]) -> dict:
    """The API's JSON body from the posted controls: an empty control is left out (so the API names it when it is
    required), dotted names nest."""
    body: dict = {}
    for control in controls:
        value = _value(control, posted.get(control.name, []))
        if value in ("", []):
            continue
        *parents, leaf = control.name.split(".")
        target = body
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    return body

