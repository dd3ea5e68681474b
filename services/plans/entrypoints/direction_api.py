"""HTTP API of the direction measures: "fewer compulsory, more voluntary rehab and methadone", per quarter and
commune, from case events."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from shared.endpoints import ask
from shared.web import Blueprint

from services.plans.domain.queries import ReadDirection

direction_blp = Blueprint("direction", __name__, url_prefix="/api/v1",
                          description="The plan's direction measured from case events: the share entering voluntary "
                                      "rehab or methadone, and relapse in aftercare")
AREA = validate.Regexp(r"^\d{2}(\d{3})?$", error="must be a 2-digit province or 5-digit commune code")
QUARTER = validate.Regexp(r"^(20\d\d|2100)Q[1-4]$", error="must be a quarter like 2026Q1, years 2000 to 2100")
DIGITS = 4


class DirectionQuery(Schema):
    area_code = fields.String(required=True, validate=AREA,
                              metadata={"description": "the province (its communes and its total) or one commune"})
    first = fields.String(required=True, data_key="from", validate=QUARTER, metadata={"example": "2026Q1"})
    last = fields.String(required=True, data_key="to", validate=QUARTER, metadata={"example": "2026Q4"})


class TrendOut(Schema):
    delta = fields.Float(allow_none=True, metadata={"description": "this quarter's figure minus the previous "
                                                                   "quarter's; null when either has none"})
    direction = fields.String(allow_none=True, validate=validate.OneOf(["rising", "falling", "flat"]))


class FiguresOut(Schema):
    area_code = fields.String(metadata={"description": "a commune, or the area asked for (the total)"})
    entering_total = fields.Integer(metadata={"description": "people entering voluntary rehab, methadone or "
                                                             "compulsory rehab in the quarter, each once"})
    entering_voluntary_or_methadone = fields.Integer()
    entering_compulsory = fields.Integer()
    share = fields.Float(allow_none=True, metadata={"description": "entering_voluntary_or_methadone / "
                                                                   "entering_total (0-1); null when nobody entered"})
    trend = fields.Nested(TrendOut, metadata={"description": "of the share, against the previous quarter"})
    aftercare_managed = fields.Integer(metadata={"description": "cases managed in aftercare at some time in the "
                                                                "quarter"})
    aftercare_relapsed = fields.Integer(metadata={"description": "of those, cases with a positive test or a "
                                                                 "reported relapse during aftercare in the quarter"})
    relapse_rate = fields.Float(allow_none=True, metadata={"description": "aftercare_relapsed / aftercare_managed "
                                                                          "(0-1); null when none was managed"})
    relapse_trend = fields.Nested(TrendOut)


class QuarterOut(Schema):
    quarter = fields.String(metadata={"example": "2026Q2"})
    total = fields.Nested(FiguresOut)
    communes = fields.List(fields.Nested(FiguresOut), metadata={"description": "each commune with any figure in "
                                                                               "the quarters asked for"})


class DirectionOut(Schema):
    area_code = fields.String()
    quarters = fields.List(fields.Nested(QuarterOut))


def _number(value):
    return None if value is None else round(float(value), DIGITS)


def _trend(trend) -> dict:
    return {"delta": _number(trend.delta), "direction": trend.direction}


def _figures(figures) -> dict:
    return {"area_code": figures.area_code, "entering_total": figures.entering_total,
            "entering_voluntary_or_methadone": figures.entering_voluntary_or_methadone,
            "entering_compulsory": figures.entering_compulsory, "share": _number(figures.share),
            "trend": _trend(figures.trend), "aftercare_managed": figures.aftercare_managed,
            "aftercare_relapsed": figures.aftercare_relapsed, "relapse_rate": _number(figures.relapse_rate),
            "relapse_trend": _trend(figures.relapse_trend)}


@direction_blp.route("/direction")
class Direction(MethodView):
    @direction_blp.arguments(DirectionQuery, location="query")
    @direction_blp.response(200, DirectionOut)
    def get(self, query):
        """The direction measures of an area per quarter and commune (plan coordinators, auditors, admin)"""
        report = ask(ReadDirection(area_code=query["area_code"], first=query["first"], last=query["last"]))
        return {"area_code": query["area_code"],
                "quarters": [{"quarter": str(q.quarter), "total": _figures(q.total),
                              "communes": [_figures(c) for c in q.communes]} for q in report]}
