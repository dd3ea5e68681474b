"""The plans pages' reads and writes, each through the plans API with the person's own token. The portal shows
what the API answered for the person's role and adds nothing; a part of a page whose read fails is left empty with
a problem to show while the others still render. A write sends the version its form was rendered at (If-Match)
and the form's idempotency key, so a stale form is refused and a form sent twice is written once."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from services.portal.domain.commands import ReviewReportFromPortal, SubmitReportFromPortal
from services.portal.domain.hotspot_map import HotspotMap, hotspot_map
from services.portal.domain.pages import NOT_FOUND, ServiceProblem
from services.portal.domain.plan_pages import (APPROVE, HOTSPOTS_SHOWN, PLAN_PAGE_SIZE, REPORTS_SHOWN, TASKS_SHOWN,
                                               BarGroup, chart_groups)
from services.portal.domain.queries import ListPlanPage, ReadHotspots, ReadPlanPage, ReadReportPage
from services.portal.service_layer.pages import _pagination


class PlansApi(Protocol):
    def get(self, service: str, path: str, token: str, params: dict | None = None) -> tuple[object, dict]: ...

    def write(self, method: str, service: str, path: str, token: str, body: dict | None = None,
              headers: dict | None = None) -> tuple[object, dict]: ...


@dataclass(frozen=True)
class PlanList:
    plans: list[dict]
    page: int
    pages: int


@dataclass
class PlanPage:
    plan: dict
    names: dict[str, dict]
    """Each indicator's code -> the plan's description of it (name_vi, name_en, measure)."""
    tasks: list[dict] = field(default_factory=list)
    reports: list[dict] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)
    """The roll-up's total per indicator: target, reported, pending, computed, percentage."""
    chart: list[BarGroup] = field(default_factory=list)
    problems: list[ServiceProblem] = field(default_factory=list)


@dataclass
class ReportPage:
    plan: dict
    task: dict
    names: dict[str, dict]
    unit_code: str
    period: dict
    report: dict | None

    @property
    def version(self) -> int:
        return int(self.report["version"]) if self.report else 0


def _names(plan: dict) -> dict[str, dict]:
    return {item["code"]: item for item in plan.get("indicators") or [] if item.get("code")}


def list_plans(query: ListPlanPage, principal, services_api: PlansApi) -> PlanList:
    body, headers = services_api.get("plans", "/plans", query.access_token,
                                     {"page": query.page, "page_size": PLAN_PAGE_SIZE})
    _total, pages = _pagination(headers, len(body))
    return PlanList(list(body), query.page, pages)


def _part(page: PlanPage, read):
    try:
        return read()
    except ServiceProblem as problem:
        page.problems.append(problem)
        return None


def read_plan_page(query: ReadPlanPage, principal, services_api: PlansApi) -> PlanPage:
    """The plan read refused is the page's answer; its tasks, reports or roll-up failing leave their part empty."""
    token, base = query.access_token, f"/plans/{query.plan_id}"
    plan, _headers = services_api.get("plans", base, token)
    page = PlanPage(plan, _names(plan))
    page.tasks = _part(page, lambda: services_api.get("plans", f"{base}/tasks", token,
                                                      {"page_size": TASKS_SHOWN})[0]) or []
    page.reports = _part(page, lambda: services_api.get("plans", f"{base}/reports", token,
                                                        {"page_size": REPORTS_SHOWN})[0]) or []
    rollup = _part(page, lambda: services_api.get("plans", f"{base}/rollup", token,
                                                  {"by": "unit", "period": "all"})[0]) or {}
    page.figures = list((rollup.get("total") or {}).get("indicators") or [])
    page.chart = chart_groups(page.figures)
    return page


def _report_path(task_id: str, unit_code: str, period: str) -> str:
    return f"/tasks/{task_id}/assignments/{unit_code}/reports/{period}"


def read_report_page(query: ReadReportPage, principal, services_api: PlansApi) -> ReportPage:
    """A report not written yet is shown as an empty draft; the period must be one of the plan's."""
    token = query.access_token
    plan, _headers = services_api.get("plans", f"/plans/{query.plan_id}", token)
    task, _headers = services_api.get("plans", f"/tasks/{query.task_id}", token)
    period = next((p for p in plan.get("reporting_periods") or [] if p.get("code") == query.period), None)
    if period is None or task.get("plan_id") != query.plan_id:
        raise ServiceProblem("plans", NOT_FOUND, 404)
    try:
        report, _headers = services_api.get("plans", _report_path(query.task_id, query.unit_code, query.period),
                                            token)
    except ServiceProblem as problem:
        if problem.kind != NOT_FOUND:
            raise
        report = None
    return ReportPage(plan, task, _names(plan), query.unit_code, period, report)


def _version_of(body: dict, headers: dict) -> int:
    etag = (headers.get("ETag") or "").strip('W/"')
    return int(etag) if (etag.isascii() and etag.isdigit()) else int(body["version"])


def submit_report(command: SubmitReportFromPortal, principal, services_api: PlansApi) -> dict:
    """The draft is saved at the form's version (none when the form showed no report yet), then submitted at the
    version that save answered."""
    path = _report_path(command.task_id, command.unit_code, command.period)
    content = {"values": dict(command.values)}
    if command.narrative:
        content["narrative"] = command.narrative
    saved, headers = services_api.write("PUT", "plans", path, command.access_token, content,
                                        {"If-Match": f'"{command.version}"'})
    submitted, _headers = services_api.write(
        "POST", "plans", f"{path}/submit", command.access_token, None,
        {"If-Match": f'"{_version_of(saved, headers)}"', "Idempotency-Key": command.idempotency_key})
    return submitted


def review_report(command: ReviewReportFromPortal, principal, services_api: PlansApi) -> dict:
    path = _report_path(command.task_id, command.unit_code, command.period)
    step = "approve" if command.outcome == APPROVE else "return"
    body = {"comments": command.comments} if command.comments or step == "return" else {}
    reviewed, _headers = services_api.write(
        "POST", "plans", f"{path}/{step}", command.access_token, body,
        {"If-Match": f'"{command.version}"', "Idempotency-Key": command.idempotency_key})
    return reviewed


@dataclass(frozen=True)
class HotspotList:
    hotspots: list[dict]
    map: HotspotMap | None
    """The hotspots that have coordinates, laid out; None when none has."""


def read_hotspots(query: ReadHotspots, principal, services_api: PlansApi) -> HotspotList:
    body, _headers = services_api.get("plans", "/hotspots", query.access_token, {"page_size": HOTSPOTS_SHOWN})
    hotspots = list(body)
    return HotspotList(hotspots, hotspot_map(hotspots))


HANDLERS = {ListPlanPage: list_plans, ReadPlanPage: read_plan_page, ReadReportPage: read_report_page,
            SubmitReportFromPortal: submit_report, ReviewReportFromPortal: review_report,
            ReadHotspots: read_hotspots}
