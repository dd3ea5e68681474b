"""What the plans API takes and answers for plans, tasks and assignments (marshmallow; flask-smorest documents
them)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from services.plans.domain.model import INDICATORS
from services.plans.domain.plan import PLAN_KINDS, PLAN_STATUSES, IndicatorTarget
from services.plans.domain.progress import TASK_STATUSES
from services.plans.domain.task import PLACE_TYPES, TAGS

AREA = validate.Regexp(r"^\d{2}(\d{3})?$", error="must be a 2-digit province or 5-digit commune code")
CODE = validate.Regexp(r"^[A-Za-z0-9_-]{2,64}$", error="letters, digits, _ or -, 2 to 64 characters")
DOCUMENT_NUMBER = validate.Regexp(r"^\d{1,6}/[0-9A-Za-zĐđ./-]{1,40}$",
                                  error='a document number such as "2057/KH-UBND"')
SHORT = validate.Length(min=1, max=300)
LONG = validate.Length(max=10_000)
REASON = validate.Length(min=5, max=2000)
TARGET = validate.Range(min=0, max=1e12, error="must be a number from 0 to 1e12")


class IndicatorTargetIn(Schema):
    code = fields.String(required=True, validate=validate.OneOf(list(INDICATORS)))
    target = fields.Float(required=True, validate=TARGET, allow_nan=False)

    @post_load
    def target_of(self, data, **kwargs):
        return IndicatorTarget(data["code"], data["target"])


def _period_is_ordered(data) -> None:
    if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
        raise ValidationError("is before starts_on", "ends_on")


class PlanFields(Schema):
    title = fields.String(validate=SHORT)
    kind = fields.String(validate=validate.OneOf(PLAN_KINDS))
    theme = fields.String(validate=SHORT, allow_none=True)
    slogan = fields.String(validate=SHORT, allow_none=True)
    goals = fields.String(validate=LONG, allow_none=True)
    requirements = fields.String(validate=LONG, allow_none=True)
    starts_on = fields.Date()
    ends_on = fields.Date()
    summary_report_due_on = fields.Date(allow_none=True,
                                        metadata={"description": "when the province's summary report is due upward"})
    indicators = fields.List(fields.Nested(IndicatorTargetIn), validate=validate.Length(max=50))

    @validates_schema
    def period(self, data, **kwargs):
        _period_is_ordered(data)


class PlanIn(PlanFields):
    title = fields.String(required=True, validate=SHORT)
    kind = fields.String(required=True, validate=validate.OneOf(PLAN_KINDS))
    area_code = fields.String(required=True, validate=AREA)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    indicators = fields.List(fields.Nested(IndicatorTargetIn), load_default=list, validate=validate.Length(max=50))


class PlanChangesIn(PlanFields):
    """Fields of a draft to change; those left out stay (an empty body changes nothing)."""


class IssueIn(Schema):
    issuing_authority = fields.String(required=True, validate=SHORT,
                                      metadata={"example": "Ủy ban nhân dân tỉnh Khánh Hòa"})
    document_number = fields.String(required=True, validate=DOCUMENT_NUMBER, metadata={"example": "2057/KH-UBND"})
    document_date = fields.Date(required=True)
    signer = fields.String(required=True, validate=SHORT)


class AmendmentChangesIn(Schema):
    title = fields.String(validate=SHORT)
    theme = fields.String(validate=SHORT, allow_none=True)
    slogan = fields.String(validate=SHORT, allow_none=True)
    goals = fields.String(validate=LONG, allow_none=True)
    requirements = fields.String(validate=LONG, allow_none=True)
    ends_on = fields.Date()
    summary_report_due_on = fields.Date(allow_none=True)
    indicators = fields.List(fields.Nested(IndicatorTargetIn), validate=validate.Length(max=50))


class AmendmentIn(Schema):
    document_number = fields.String(required=True, validate=DOCUMENT_NUMBER)
    reason = fields.String(required=True, validate=REASON)
    amended_on = fields.Date(required=True)
    changes = fields.Nested(AmendmentChangesIn, required=True)


class CloseIn(Schema):
    closed_on = fields.Date(required=True)


class CopyIn(Schema):
    starts_on = fields.Date(required=True, metadata={"description": "the new period's first day; every date of "
                                                                    "the plan and its tasks moves by as many days"})
    title = fields.String(validate=SHORT)


class PlanListQuery(Schema):
    status = fields.String(validate=validate.OneOf(PLAN_STATUSES))
    kind = fields.String(validate=validate.OneOf(PLAN_KINDS))


class IndicatorOut(Schema):
    code = fields.String()
    name_vi = fields.String()
    name_en = fields.String()
    measure = fields.String()
    target = fields.Float()
    actual = fields.Integer(allow_none=True, metadata={"description": "counted from case events; null for "
                                                                      "indicators units report"})
    counted_from = fields.String(allow_none=True)
    kinds = fields.List(fields.String())
    per_person = fields.Boolean()
    sums = fields.String(allow_none=True)


class PlanRevisionOut(Schema):
    number = fields.Integer()
    document_number = fields.String()
    reason = fields.String()
    amended_on = fields.Date()
    changed = fields.List(fields.String())


class PeriodOut(Schema):
    code = fields.String()
    kind = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    due_on = fields.Date(metadata={"description": "units' reports for the period are due on this day"})


class PlanOut(Schema):
    id = fields.String()
    version = fields.Integer()
    status = fields.String()
    title = fields.String()
    kind = fields.String()
    area_code = fields.String()
    theme = fields.String(allow_none=True)
    slogan = fields.String(allow_none=True)
    goals = fields.String(allow_none=True)
    requirements = fields.String(allow_none=True)
    starts_on = fields.Date()
    ends_on = fields.Date()
    summary_report_due_on = fields.Date(allow_none=True)
    issuing_authority = fields.String(allow_none=True)
    document_number = fields.String(allow_none=True)
    document_date = fields.Date(allow_none=True)
    signer = fields.String(allow_none=True)
    started_on = fields.Date(allow_none=True)
    closed_on = fields.Date(allow_none=True)
    copied_from = fields.String(allow_none=True)
    revisions = fields.List(fields.Nested(PlanRevisionOut))
    indicators = fields.List(fields.Nested(IndicatorOut))
    reporting_periods = fields.List(fields.Nested(PeriodOut))


class PlanSummaryOut(Schema):
    id = fields.String()
    version = fields.Integer()
    status = fields.String()
    title = fields.String()
    kind = fields.String()
    area_code = fields.String()
    document_number = fields.String(allow_none=True)
    starts_on = fields.Date()
    ends_on = fields.Date()


class PlanHistoryEntryOut(Schema):
    type = fields.String()
    stream = fields.String(metadata={"description": "plan or task, and its id"})
    occurred_at = fields.DateTime()
    actor = fields.String(allow_none=True)
    data = fields.Dict()


class TaskFields(Schema):
    title = fields.String(validate=SHORT)
    description = fields.String(validate=LONG, allow_none=True)
    supporting_units = fields.List(fields.String(validate=CODE), validate=validate.Length(max=100))
    areas = fields.List(fields.String(validate=AREA), validate=validate.Length(max=200),
                        metadata={"description": "the areas the task covers (communes, or the province)"})
    place_types = fields.List(fields.String(validate=validate.OneOf(PLACE_TYPES)), validate=validate.Length(max=6))
    starts_on = fields.Date()
    due_on = fields.Date()
    indicators = fields.List(fields.Nested(IndicatorTargetIn), validate=validate.Length(max=50))
    tags = fields.List(fields.String(validate=validate.OneOf(list(TAGS))), validate=validate.Length(max=20))


class TaskIn(TaskFields):
    title = fields.String(required=True, validate=SHORT)
    lead_unit = fields.String(required=True, validate=CODE)
    due_on = fields.Date(required=True)

    @validates_schema
    def period(self, data, **kwargs):
        if data.get("starts_on") and data["due_on"] < data["starts_on"]:
            raise ValidationError("is before starts_on", "due_on")


class TaskChangeIn(Schema):
    changes = fields.Nested(TaskFields, required=True)
    reason = fields.String(validate=REASON, metadata={"description": "required once the plan is in force"})
    document_number = fields.String(validate=DOCUMENT_NUMBER,
                                    metadata={"description": "the amendment's number, required once the plan is in "
                                                             "force"})


class TaskListQuery(Schema):
    tag = fields.String(validate=validate.OneOf(list(TAGS)))
    status = fields.String(validate=validate.OneOf(TASK_STATUSES))
    unit_code = fields.String(validate=CODE)


IndicatorFiguresIn = Schema.from_dict(
    {code: fields.Float(validate=TARGET, allow_nan=False, metadata={"description": definition.name_en})
     for code, definition in INDICATORS.items()}, name="IndicatorFiguresIn")
"""A number per indicator, each indicator a property of its own, so the API document names the codes it takes."""


class AssignmentIn(Schema):
    shares = fields.Nested(IndicatorFiguresIn, required=True,
                           metadata={"description": "the unit's share of each of the task's targets"})


class WaiverIn(Schema):
    reason = fields.String(required=True, validate=REASON)


class AssignmentOut(Schema):
    unit_code = fields.String()
    area_code = fields.String()
    shares = fields.Dict(keys=fields.String(), values=fields.Float())
    assigned_on = fields.Date()
    status = fields.String(allow_none=True, metadata={"description": "null when waived"})
    waived_reason = fields.String(allow_none=True)
    waived_on = fields.Date(allow_none=True)


class TargetOut(Schema):
    code = fields.String()
    target = fields.Float()


class TaskOut(Schema):
    id = fields.String()
    version = fields.Integer()
    plan_id = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    lead_unit = fields.String()
    supporting_units = fields.List(fields.String())
    areas = fields.List(fields.String())
    place_types = fields.List(fields.String())
    starts_on = fields.Date()
    due_on = fields.Date()
    indicators = fields.List(fields.Nested(TargetOut))
    tags = fields.List(fields.String())
    announced = fields.Boolean(metadata={"description": "its units have been told (the plan is issued)"})
    status = fields.String(metadata={"description": ", ".join(TASK_STATUSES)})
    assignments = fields.List(fields.Nested(AssignmentOut))
    unassigned = fields.Dict(keys=fields.String(), values=fields.Float(),
                             metadata={"description": "each target less the shares assigned: the difference when "
                                                      "they do not add up"})


class VocabularyOut(Schema):
    plan_kinds = fields.List(fields.String())
    place_types = fields.List(fields.String())
    tags = fields.Dict(keys=fields.String(), values=fields.String())
    task_statuses = fields.List(fields.String())
