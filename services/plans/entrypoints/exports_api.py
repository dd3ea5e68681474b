"""HTTP API of the plans' exports: a unit's deadlines as a calendar feed subscribed to by URL, and a plan's
consolidated report as XLSX (the administrative layout) and CSV."""
from __future__ import annotations

from flask import current_app, url_for
from flask.views import MethodView
from marshmallow import Schema, fields

from shared.endpoints import ETAG, ask, etag, if_match_version, takes_if_match
from shared.spreadsheets import XLSX
from shared.web import Blueprint, checks_own_credential

from services.plans.domain.commands import MintCalendarToken
from services.plans.domain.queries import ExportPlanReport, ExportPlanReportCsv, ReadUnitCalendar

exports_blp = Blueprint("exports", __name__, url_prefix="/api/v1",
                        description="Exports: a unit's deadlines as iCalendar, a plan's consolidated report")
ICALENDAR = "text/calendar"
CSV = "text/csv"
SECRET_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


class CalendarQuery(Schema):
    token = fields.String(load_default=None, metadata={
        "description": "The unit's calendar secret, from POST /units/{unit_code}/calendar-token"})


class CalendarSubscriptionOut(Schema):
    unit_code = fields.String()
    url = fields.String(metadata={"description": "The feed's address with its secret: shown this once"})
    webcal_url = fields.String(metadata={"description": "The same address for calendar apps (webcal://)"})
    generation = fields.Integer(metadata={"description": "How many secrets the unit has had; the earlier ones "
                                                         "no longer open the feed"})


@exports_blp.route("/units/<string:unit_code>/calendar.ics")
@checks_own_credential
class UnitCalendar(MethodView):
    @exports_blp.doc(security=[])
    @exports_blp.arguments(CalendarQuery, location="query", as_kwargs=True)
    @exports_blp.response(200, content_type=ICALENDAR, description=(
        "The unit's deadlines in the plans in force (iCalendar): tasks it leads, supports or is assigned, its "
        "report deadlines per reporting period, and for the coordinating unit the summary report's due date"))
    def get(self, unit_code, token):
        """A unit's deadlines, to subscribe to by URL (the secret in the URL, no bearer token)"""
        feed = current_app.extensions["service_layer"].handle(ReadUnitCalendar(unit_code, token))
        return current_app.response_class(feed, mimetype=ICALENDAR, headers={
            **SECRET_HEADERS, "Content-Disposition": f'inline; filename="{unit_code}.ics"'})


@exports_blp.route("/units/<string:unit_code>/calendar-token")
class CalendarToken(MethodView):
    @takes_if_match
    @exports_blp.response(201, CalendarSubscriptionOut, headers=ETAG)
    def post(self, unit_code):
        """Mint a new secret for the unit's calendar feed (the earlier one stops working)

        The ETag counts the unit's secrets. Not idempotent by key: a replayed answer would have to keep the secret,
        which is stored only as its hash; minting again is the retry."""
        minted = ask(MintCalendarToken(unit_code, if_match_version()))
        url = url_for("exports.UnitCalendar", unit_code=minted.unit_code, token=minted.token, _external=True)
        return ({"unit_code": minted.unit_code, "url": url, "webcal_url": "webcal://" + url.split("://", 1)[1],
                 "generation": minted.generation}, 201, {**etag(minted.generation), **SECRET_HEADERS})


def _download(content: bytes, mimetype: str, filename: str):
    return current_app.response_class(content, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@exports_blp.route("/plans/<string:plan_id>/report.xlsx")
class PlanReportWorkbook(MethodView):
    @exports_blp.response(200, content_type=XLSX, description=(
        "The consolidated report in the administrative layout: the heading block and title, then a sheet per "
        "section (indicators, units, communes, tasks, crackdown, budget), each with its totals row"))
    def get(self, plan_id):
        """The plan's consolidated report as Excel (coordinators, auditors and admins of its area)"""
        return _download(ask(ExportPlanReport(plan_id)), XLSX, f"bao-cao-ket-qua-{plan_id}.xlsx")


@exports_blp.route("/plans/<string:plan_id>/report.csv")
class PlanReportCsv(MethodView):
    @exports_blp.response(200, content_type=CSV, description=(
        "One row per unit and indicator (UTF-8 with a byte order mark); headers in Vietnamese with the English "
        "code in brackets"))
    def get(self, plan_id):
        """The plan's figures per unit and indicator as CSV (coordinators, auditors and admins of its area)"""
        return _download(ask(ExportPlanReportCsv(plan_id)), CSV, f"bao-cao-{plan_id}.csv")
