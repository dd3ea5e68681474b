"""HTTP API of the plans service."""
from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from shared.endpoints import ETAG, ask, etag
from shared.idempotency import idempotent
from shared.web import Blueprint

from services.plans.domain.commands import AssignTask, CreatePlan, RegisterUnit
from services.plans.domain.queries import ListPlans, ListTasks, ListUnits, ReadPlan
from services.plans.domain.model import INDICATORS, PLAN_KINDS, UNIT_KINDS

blp = Blueprint("plans", __name__, url_prefix="/api/v1", description="Action plans, tasks, indicators and units")
AREA = validate.Regexp(r"^\d{2}(\d{3})?$", error="must be a 2-digit province or 5-digit commune code")
CODE = validate.Regexp(r"^[A-Za-z0-9_-]{2,64}$", error="letters, digits, _ or -, 2 to 64 characters")


class UnitIn(Schema):
    unit_code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(UNIT_KINDS))
    area_code = fields.String(required=True, validate=AREA)
    covers = fields.List(fields.String(validate=AREA), load_default=list, validate=validate.Length(max=200))


class UnitOut(Schema):
    unit_code = fields.String(attribute="id")
    version = fields.Integer()
    name = fields.String()
    kind = fields.String()
    area_code = fields.String()
    covers = fields.List(fields.String())


class IndicatorIn(Schema):
    code = fields.String(required=True, validate=validate.OneOf(list(INDICATORS)))
    target = fields.Float(required=True, validate=validate.Range(min=0, max=1e9), allow_nan=False)


class PlanIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    kind = fields.String(required=True, validate=validate.OneOf(PLAN_KINDS))
    area_code = fields.String(required=True, validate=AREA)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    indicators = fields.List(fields.Nested(IndicatorIn), load_default=list, validate=validate.Length(max=50))


class IndicatorOut(Schema):
    code = fields.String()
    name_vi = fields.String()
    name_en = fields.String()
    measure = fields.String()
    target = fields.Float()
    actual = fields.Integer(allow_none=True)
    counted_from = fields.String(allow_none=True)
    kinds = fields.List(fields.String())
    per_person = fields.Boolean()
    sums = fields.String(allow_none=True)


class PlanOut(Schema):
    id = fields.String()
    version = fields.Integer()
    title = fields.String()
    kind = fields.String()
    area_code = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    indicators = fields.List(fields.Nested(IndicatorOut))


class PlanSummaryOut(Schema):
    id = fields.String()
    version = fields.Integer()
    title = fields.String()
    area_code = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()


class TaskIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    lead_unit = fields.String(required=True, validate=CODE)
    supporting_units = fields.List(fields.String(validate=CODE), load_default=list,
                                   validate=validate.Length(max=50))
    due_on = fields.Date(required=True)


class TaskOut(Schema):
    id = fields.String()
    version = fields.Integer()
    plan_id = fields.String()
    title = fields.String()
    lead_unit = fields.String()
    supporting_units = fields.List(fields.String())
    due_on = fields.Date()


def _plan_out(plan, counts) -> dict:
    indicators = []
    for item in plan.indicators:
        definition = INDICATORS[item["code"]]
        indicators.append({**vars(definition), "target": item["target"],
                           "actual": counts.get(item["code"], 0) if definition.counted_from else None})
    return {"id": plan.id, "version": plan.version, "title": plan.title, "kind": plan.kind,
            "area_code": plan.area_code, "starts_on": plan.starts_on, "ends_on": plan.ends_on,
            "indicators": indicators}


def _unit_out(unit) -> dict:
    return {"id": unit.id, "version": unit.version, "name": unit.name, "kind": unit.kind,
            "area_code": unit.area_code, "covers": unit.covers}


@blp.route("/units")
class Units(MethodView):
    @blp.response(200, UnitOut(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """The directory of units"""
        items, total = ask(ListUnits(pagination_parameters.first_item, pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return items

    @idempotent
    @blp.arguments(UnitIn)
    @blp.response(201, UnitOut, headers=ETAG)
    def post(self, body):
        """Register a unit (agency or commune office)"""
        unit = ask(RegisterUnit(**body))
        return _unit_out(unit), 201, etag(unit.version)


@blp.route("/plans")
class Plans(MethodView):
    @blp.response(200, PlanSummaryOut(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """Plans covering your areas"""
        items, total = ask(ListPlans(pagination_parameters.first_item, pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return items

    @idempotent
    @blp.arguments(PlanIn)
    @blp.response(201, PlanOut, headers=ETAG)
    def post(self, body):
        """Create a plan with its indicators and targets"""
        plan = ask(CreatePlan(**body))
        return _plan_out(plan, {}), 201, {**etag(plan.version), "Location": url_for("plans.Plan", plan_id=plan.id)}


@blp.route("/plans/<string:plan_id>")
class Plan(MethodView):
    @blp.response(200, PlanOut, headers=ETAG)
    def get(self, plan_id):
        """A plan with its indicators' targets and counted results"""
        plan, counts = ask(ReadPlan(plan_id))
        return _plan_out(plan, counts), 200, etag(plan.version)


@blp.route("/plans/<string:plan_id>/tasks")
class Tasks(MethodView):
    @blp.response(200, TaskOut(many=True))
    @blp.paginate()
    def get(self, plan_id, pagination_parameters):
        """The plan's tasks"""
        items, total = ask(ListTasks(plan_id, pagination_parameters.first_item, pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return items

    @idempotent
    @blp.arguments(TaskIn)
    @blp.response(201, TaskOut, headers=ETAG)
    def post(self, body, plan_id):
        """Assign a task to a lead unit and supporting units"""
        task = ask(AssignTask(plan_id=plan_id, **body))
        return vars(task) | {"id": task.id, "version": task.version}, 201, etag(task.version)
