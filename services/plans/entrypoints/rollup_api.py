"""HTTP API of the roll-up: the dashboard's one request, answered from the maintained projection."""
from __future__ import annotations

import dataclasses

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from shared.endpoints import ask
from shared.web import Blueprint

from services.plans.domain.progress import TASK_STATUSES
from services.plans.domain.queries import ReadRollup
from services.plans.domain.rollup import ALL, BY

rollup_blp = Blueprint("rollup", __name__, url_prefix="/api/v1",
                       description="The plan's roll-up by unit and by area: targets, reported, computed, status")


PERIOD_CODE = r"^(W[1-9][0-9]?|[0-9]{4}-(0[1-9]|1[0-2])|final|all)$"
"""The shape of a period's code; which codes a plan has depends on its kind and dates."""


class RollupQuery(Schema):
    by = fields.String(load_default="unit", validate=validate.OneOf(BY),
                       metadata={"description": "a row per unit, or per area (commune; the plan's own area holds "
                                                "the provincial units' part)"})
    period = fields.String(load_default=ALL, validate=validate.Regexp(PERIOD_CODE, error="a period code such as "
                                                                                      "W1, 2026-06, final or all"),
                           metadata={"description": "a reporting period of the plan (W1..., 2026-06, final), or "
                                                    "`all` for the whole plan", "example": ALL})


class IndicatorFiguresOut(Schema):
    code = fields.String()
    target = fields.Float(metadata={"description": "the shares assigned (a task nobody is assigned: its targets, "
                                                   "at its lead unit)"})
    reported = fields.Float(metadata={"description": "approved figures; for `all`, an approved final report's, "
                                                     "or else the approved interim reports' sum"})
    pending = fields.Float(metadata={"description": "submitted and awaiting approval"})
    computed = fields.Float(allow_none=True, metadata={"description": "counted from case events in the row's "
                                                                      "areas and the period; null for an indicator "
                                                                      "units report"})
    percentage = fields.Float(allow_none=True, metadata={"description": "reported (computed, for a computed "
                                                                        "indicator) over target, in percent; null "
                                                                        "without a target"})
    plan_target = fields.Float(allow_none=True, metadata={"description": "the total only: the plan's own target"})
    unassigned = fields.Float(allow_none=True, metadata={"description": "the total only: what the tasks' targets "
                                                                        "leave unassigned to units"})


class ReportCountsOut(Schema):
    expected = fields.Integer(metadata={"description": "reports the assignments owe"})
    due = fields.Integer(metadata={"description": "of those, due by today"})
    submitted = fields.Integer()
    approved = fields.Integer()
    late = fields.Integer(metadata={"description": "submitted after their due date"})
    missing = fields.Integer(metadata={"description": "past due, none submitted"})


class RollupRowOut(Schema):
    kind = fields.String(validate=validate.OneOf(["unit", "area", "total"]))
    code = fields.String(metadata={"description": "the unit's code, or the area's (current) code"})
    name = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf(TASK_STATUSES),
                           metadata={"description": "its assignments' statuses combined"})
    statuses = fields.Dict(keys=fields.String(), values=fields.Integer(),
                           metadata={"description": "how many of its assignments are in each status"})
    reports = fields.Nested(ReportCountsOut)
    indicators = fields.List(fields.Nested(IndicatorFiguresOut))
    areas = fields.List(fields.String(), metadata={"description": "a unit's areas of work"})
    tasks = fields.Dict(keys=fields.String(), values=fields.String(),
                        metadata={"description": "the total only: each task's status"})
    as_of = fields.AwareDateTime(metadata={"description": "when the row was last folded"})


class RollupOut(Schema):
    plan_id = fields.String()
    by = fields.String()
    period = fields.String()
    periods = fields.List(fields.String(), metadata={"description": "the plan's periods, and `all`"})
    as_of = fields.AwareDateTime(allow_none=True, metadata={"description": "when the oldest row shown was folded"})
    total = fields.Nested(RollupRowOut, allow_none=True, metadata={"description": "the province (the plan's area)"})
    rows = fields.List(fields.Nested(RollupRowOut))


@rollup_blp.route("/plans/<string:plan_id>/rollup")
class Rollup(MethodView):
    @rollup_blp.arguments(RollupQuery, location="query")
    @rollup_blp.response(200, RollupOut)
    def get(self, query, plan_id):
        """The plan's roll-up: the province total and a row per unit or area (standing office: every row; a unit's
        reporters: their unit's row and the total)"""
        return dataclasses.asdict(ask(ReadRollup(plan_id=plan_id, by=query["by"], period=query["period"])))
