"""Reading and validating the workflow definitions; an invalid one stops start-up with a message naming it."""
from __future__ import annotations

from pathlib import Path

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from services.cases.domain.consent import CONSENT, DisclosureRules
from services.cases.domain.model import Case
from services.cases.domain.retention import RetentionRules
from services.cases.domain.ost import TerminationRules
from services.roles import ROLES
from services.cases.domain.workflow import DECISION_FIELDS, DueRule, ReduceRule, Transition, Workflow

DEFINITIONS = Path(__file__).resolve().parent.parent / "workflows"
NAME = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="must be snake_case")


class WorkflowDefinitionError(Exception):
    """A workflow file is invalid; the services refuse to start."""


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class AgeRange(_Strict):
    adult = fields.List(fields.Integer(validate=validate.Range(min=1, max=120)), required=True,
                        validate=validate.Length(equal=2))
    minor = fields.List(fields.Integer(validate=validate.Range(min=1, max=120)), required=True,
                        validate=validate.Length(equal=2))


class AgeMonths(_Strict):
    adult = fields.Integer(required=True, validate=validate.Range(min=1, max=120))
    minor = fields.Integer(required=True, validate=validate.Range(min=1, max=120))


class DueRuleSchema(_Strict):
    months = fields.Integer(validate=validate.Range(min=1, max=120))
    working_days = fields.Integer(validate=validate.Range(min=1, max=60))
    term_months = fields.Nested(AgeRange)
    months_by_age = fields.Nested(AgeMonths)

    @validates_schema
    def exactly_one(self, data, **kwargs):
        if len(data) != 1:
            raise ValidationError("give exactly one of months, working_days, term_months, months_by_age")


class StageSchema(_Strict):
    vi = fields.String(required=True)
    en = fields.String(required=True)
    phases = fields.List(fields.String(validate=NAME))


class ReduceRuleSchema(_Strict):
    due = fields.String(required=True, validate=NAME)
    months = fields.List(fields.Integer(validate=validate.Range(min=1, max=60)), required=True,
                         validate=validate.Length(equal=2))
    after_half = fields.Boolean(load_default=True)


class TransitionSchema(_Strict):
    name = fields.String(required=True, validate=NAME)
    from_ = fields.List(fields.String(), required=True, data_key="from", validate=validate.Length(min=1))
    to = fields.String(required=True)
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(min=1))
    requires = fields.List(fields.String(validate=validate.OneOf(DECISION_FIELDS)), load_default=list)
    due = fields.Dict(keys=fields.String(validate=NAME), values=fields.Nested(DueRuleSchema), load_default=dict)
    keeps_due = fields.List(fields.String(validate=NAME), load_default=list)
    reasons = fields.List(fields.String(validate=NAME), load_default=list)
    extends_by_time_away = fields.String(validate=NAME)
    consent_under_age = fields.Integer(validate=validate.Range(min=1, max=18))
    reduces = fields.Nested(ReduceRuleSchema)
    keeps_phase = fields.Boolean(load_default=False)
    emits = fields.String(required=True, validate=[
        validate.Regexp(r"^cases\.case\.[a-z_]+$", error="must be cases.case.<what happened>"),
        validate.NoneOf(list(Case.event_types), error="is the type of another event of the case")])


class OstTerminationSchema(_Strict):
    breaches = fields.Integer(validate=validate.Range(min=1, max=20))
    breach_months = fields.Integer(validate=validate.Range(min=1, max=36))
    opioid_tests = fields.Integer(validate=validate.Range(min=1, max=20))
    opioid_test_months = fields.Integer(validate=validate.Range(min=1, max=36))
    other_drugs = fields.Boolean()
    offences = fields.Boolean()


class DisclosureSchema(_Strict):
    purposes = fields.List(fields.String(validate=NAME), required=True, validate=validate.Length(min=1))
    exceptions = fields.List(fields.String(validate=[NAME, validate.NoneOf([CONSENT])]), required=True)
    break_glass_reasons = fields.List(fields.String(validate=NAME), required=True, validate=validate.Length(min=1))
    referral_consent_unit_kinds = fields.List(fields.String(validate=NAME), required=True)


class RetentionSchema(_Strict):
    closed_case_months = fields.Integer(required=True, validate=validate.Range(min=1, max=1200))


class WorkflowSchema(_Strict):
    regime = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9-]+$"))
    title_vi = fields.String(required=True)
    title_en = fields.String(required=True)
    opens_from = fields.Date()
    opens_before = fields.Date()
    opening_stages = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    flags = fields.List(fields.String(validate=NAME), load_default=list)
    ost_termination = fields.Nested(OstTerminationSchema, load_default=dict)
    disclosure = fields.Nested(DisclosureSchema, required=True)
    retention = fields.Nested(RetentionSchema, required=True)
    stages = fields.Dict(keys=fields.String(validate=NAME), values=fields.Nested(StageSchema), required=True)
    transitions = fields.List(fields.Nested(TransitionSchema), required=True, validate=validate.Length(min=1))

    @validates_schema
    def consistent(self, data, **kwargs):
        stages = set(data["stages"])
        errors = {}
        for stage in data["opening_stages"]:
            if stage not in stages:
                errors.setdefault("opening_stages", []).append(f"unknown stage {stage!r}")
        names = [t["name"] for t in data["transitions"]]
        for index, transition in enumerate(data["transitions"]):
            for stage in [*transition["from_"], transition["to"]]:
                if stage not in stages:
                    errors.setdefault(f"transitions.{index}", []).append(f"unknown stage {stage!r}")
            if any(r.get("term_months") for r in transition["due"].values()) and \
                    "term_months" not in transition["requires"]:
                errors.setdefault(f"transitions.{index}", []).append("a term due date requires term_months")
            if transition["reasons"] and "reason" not in transition["requires"]:
                errors.setdefault(f"transitions.{index}", []).append("reasons need `reason` in requires")
            reduces = transition.get("reduces")
            if reduces and (reduces["due"] not in transition["keeps_due"]
                            or "term_reduction_months" not in transition["requires"]):
                errors.setdefault(f"transitions.{index}", []).append(
                    "a reduction keeps the due date it reduces and requires term_reduction_months")
        if len(set(names)) != len(names):
            errors["transitions"] = ["transition names must be unique"]
        if errors:
            raise ValidationError(errors)


def _to_domain(data: dict) -> Workflow:
    transitions = tuple(Transition(
        name=t["name"], from_stages=tuple(t["from_"]), to=t["to"], roles=tuple(t["roles"]), emits=t["emits"],
        requires=tuple(t["requires"]), keeps_due=tuple(t["keeps_due"]), reasons=tuple(t["reasons"]),
        extends_by_time_away=t.get("extends_by_time_away"), consent_under_age=t.get("consent_under_age"),
        keeps_phase=t["keeps_phase"],
        reduces=ReduceRule(t["reduces"]["due"], tuple(t["reduces"]["months"]), t["reduces"]["after_half"])
        if t.get("reduces") else None,
        due={name: DueRule(months=r.get("months"), working_days=r.get("working_days"),
                           term_months={k: tuple(v) for k, v in r["term_months"].items()} if "term_months" in r
                           else None,
                           months_by_age=r.get("months_by_age")) for name, r in t["due"].items()})
        for t in data["transitions"])
    return Workflow(regime=data["regime"], title_vi=data["title_vi"], title_en=data["title_en"],
                    opens_from=data.get("opens_from"), opens_before=data.get("opens_before"),
                    opening_stages=tuple(data["opening_stages"]), stages=data["stages"], transitions=transitions,
                    flags=tuple(data["flags"]), ost_termination=TerminationRules(**data["ost_termination"]),
                    disclosure=DisclosureRules(**{k: tuple(v) for k, v in data["disclosure"].items()}),
                    retention=RetentionRules(**data["retention"]))


def load_workflows(directory: Path = DEFINITIONS) -> dict[str, Workflow]:
    workflows: dict[str, Workflow] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            workflow = _to_domain(WorkflowSchema().load(yaml.safe_load(path.read_text(encoding="utf-8"))))
        except (ValidationError, yaml.YAMLError, TypeError, AttributeError) as exc:
            detail = exc.messages if isinstance(exc, ValidationError) else exc
            raise WorkflowDefinitionError(f"invalid workflow definition {path.name}: {detail}") from None
        if workflow.regime in workflows:
            raise WorkflowDefinitionError(f"{path.name}: regime {workflow.regime} is defined twice")
        workflows[workflow.regime] = workflow
    if not workflows:
        raise WorkflowDefinitionError(f"no workflow definitions in {directory}")
    return workflows
