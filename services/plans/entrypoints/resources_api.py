"""HTTP API of a plan's resources: budget lines per plan and per task, and the money spent against them."""
from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from shared.endpoints import ETAG, ask, etag, if_match_version, takes_if_match
from shared.idempotency import idempotent
from shared.refusals import VISIBLE
from shared.web import Blueprint

from services.plans.domain.commands import PlanBudgetLine, RecordSpending
from services.plans.domain.queries import ListBudgetLines, ReadBudgetLine
from services.plans.domain.resources import BUDGET_SOURCES, MAX_VND

resources_blp = Blueprint("resources", __name__, url_prefix="/api/v1",
                          description="A plan's resources: budget lines, planned and spent, in đồng")


def _vnd(minimum: int, description: str):
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=minimum, max=MAX_VND),
                          metadata={"description": description})


class BudgetLineIn(Schema):
    task_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=64),
                            metadata={"description": "A task of this plan; left out for the plan as a whole"})
    source = fields.String(required=True, validate=validate.OneOf(BUDGET_SOURCES), metadata={
        "description": "state_budget, local_budget, socialisation (xã hội hóa, donations), enterprises or "
                       "international"})
    purpose = fields.String(required=True, validate=[validate.Length(min=1, max=500),
                                                     validate.Regexp(VISIBLE, error="say what the money is for")])
    planned_vnd = _vnd(0, "Planned, in whole đồng")


class SpendingIn(Schema):
    amount_vnd = _vnd(1, "Spent, in whole đồng")
    spent_on = fields.Date(required=True, metadata={
        "description": "Not before the plan starts (bills of its period may be paid after it ends), not in the "
                       "future"})
    document_ref = fields.String(allow_none=True, validate=validate.Length(max=200),
                                 metadata={"description": "The voucher or invoice (chứng từ)"})
    note = fields.String(allow_none=True, validate=validate.Length(max=1000))


class SpendingOut(Schema):
    entry_id = fields.String()
    amount_vnd = fields.Integer()
    spent_on = fields.Date()
    document_ref = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class BudgetLineOut(Schema):
    id = fields.String()
    version = fields.Integer()
    plan_id = fields.String()
    task_id = fields.String(allow_none=True)
    source = fields.String()
    purpose = fields.String()
    planned_vnd = fields.Integer()
    spent_vnd = fields.Integer()
    overspent = fields.Boolean(metadata={"description": "More spent than planned: allowed, and flagged"})
    spending = fields.List(fields.Nested(SpendingOut))


class SourceTotalOut(Schema):
    source = fields.String()
    planned_vnd = fields.Integer()
    spent_vnd = fields.Integer()


class TaskTotalOut(Schema):
    task_id = fields.String(allow_none=True, metadata={"description": "None: the plan's own lines"})
    planned_vnd = fields.Integer()
    spent_vnd = fields.Integer()


class TotalsOut(Schema):
    planned_vnd = fields.Integer()
    spent_vnd = fields.Integer()
    by_source = fields.List(fields.Nested(SourceTotalOut))
    by_task = fields.List(fields.Nested(TaskTotalOut))


class BudgetOut(Schema):
    lines = fields.List(fields.Nested(BudgetLineOut))
    totals = fields.Nested(TotalsOut)


def _line_out(line) -> dict:
    return {"id": line.id, "version": line.version, "plan_id": line.plan_id, "task_id": line.task_id,
            "source": line.source, "purpose": line.purpose, "planned_vnd": line.planned_vnd,
            "spent_vnd": line.spent_vnd, "overspent": line.overspent, "spending": line.spending}


def _budget_out(lines, totals) -> dict:
    return {"lines": [_line_out(line) for line in lines], "totals": {
        "planned_vnd": sum(planned for planned, _ in totals.by_source.values()),
        "spent_vnd": sum(spent for _, spent in totals.by_source.values()),
        "by_source": [{"source": source, "planned_vnd": planned, "spent_vnd": spent}
                      for source, (planned, spent) in sorted(totals.by_source.items())],
        "by_task": [{"task_id": task_id, "planned_vnd": planned, "spent_vnd": spent}
                    for task_id, (planned, spent) in sorted(totals.by_task.items(), key=lambda t: t[0] or "")]}}


@resources_blp.route("/plans/<string:plan_id>/budget-lines")
class BudgetLines(MethodView):
    @resources_blp.response(200, BudgetOut)
    def get(self, plan_id):
        """The plan's budget lines, with planned and spent totals by source and by task"""
        return _budget_out(*ask(ListBudgetLines(plan_id)))

    @idempotent
    @resources_blp.arguments(BudgetLineIn)
    @resources_blp.response(201, BudgetLineOut, headers=ETAG)
    def post(self, body, plan_id):
        """Plan a budget line for the plan or one of its tasks (accepts Idempotency-Key)"""
        line = ask(PlanBudgetLine(plan_id=plan_id, **body))
        return _line_out(line), 201, {**etag(line.version),
                                      "Location": url_for("resources.BudgetLine", budget_line_id=line.id)}


@resources_blp.route("/budget-lines/<string:budget_line_id>")
class BudgetLine(MethodView):
    @resources_blp.response(200, BudgetLineOut, headers=ETAG)
    def get(self, budget_line_id):
        """A budget line with what was spent against it"""
        line = ask(ReadBudgetLine(budget_line_id))
        return _line_out(line), 200, etag(line.version)


@resources_blp.route("/budget-lines/<string:budget_line_id>/spending")
class Spending(MethodView):
    @idempotent
    @takes_if_match
    @resources_blp.arguments(SpendingIn)
    @resources_blp.response(201, BudgetLineOut, headers=ETAG)
    def post(self, body, budget_line_id):
        """Record money spent against the line (accepts Idempotency-Key); more than planned is flagged `overspent`"""
        line = ask(RecordSpending(budget_line_id=budget_line_id, expected_version=if_match_version(), **body))
        return _line_out(line), 201, etag(line.version)
