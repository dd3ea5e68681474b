"""The read model of the plans service: lists of units, plans and tasks, and indicator totals, answered from the
snapshots and the indicator ledger (cosmicpython's views.py). The service layer reaches it through
`ports.PlanViews`."""
from __future__ import annotations

from datetime import date

from services.plans.adapters.documents import (BudgetLineSnapshot, HotspotSnapshot, IndicatorContribution,
                                               PlanSnapshot, ReportSnapshot, TaskSnapshot, UnitSnapshot)
from services.plans.adapters.ledger import counted_on
from services.plans.domain.queries import HotspotFilters
from services.plans.domain.task import Task
from services.plans.service_layer.ports import (BudgetLineRow, BudgetTotals, ComputedFigure, HotspotRow, PlanRow,
                                               ReportRow, UnitRow)


class PlanViews:
    def units(self, first: int, limit: int) -> tuple[list[UnitRow], int]:
        query = UnitSnapshot.objects.order_by("id")
        return [UnitRow(id=s.id, version=s.version, name=s.state["name"], kind=s.state["kind"],
                        area_code=s.state["area_code"], covers=list(s.state["covers"]))
                for s in query.skip(first).limit(limit)], query.count()

    def plans(self) -> list[PlanRow]:
        """A plan stored before drafts existed was issued by being created: it reads as in progress."""
        return [PlanRow(id=s.id, version=s.version, title=s.state["title"], kind=s.state["kind"],
                        status=s.state.get("status", "in_progress"), area_code=s.area_code,
                        starts_on=date.fromisoformat(s.starts_on), ends_on=date.fromisoformat(s.ends_on),
                        indicator_codes=tuple(i["code"] for i in s.state["indicators"]),
                        document_number=s.state.get("document_number"))
                for s in PlanSnapshot.objects.order_by("-starts_on", "id")]

    def task_ids(self, plan_id: str) -> list[str]:
        return [s.id for s in TaskSnapshot.objects(plan_id=plan_id).only("id").order_by("id")]

    def plan_tasks(self, plan_id: str) -> list[Task]:
        tasks = [Task.from_snapshot(s.id, s.state, s.version) for s in TaskSnapshot.objects(plan_id=plan_id)]
        return sorted(tasks, key=lambda task: (task.due_on, task.id))

    def reports_of_plan(self, plan_id: str) -> list[ReportRow]:
        return [_report_row(s) for s in ReportSnapshot.objects(plan_id=plan_id)]

    def reports_of_task(self, task_id: str) -> list[ReportRow]:
        return [_report_row(s) for s in ReportSnapshot.objects(task_id=task_id)]

    def reports_of_assignment(self, task_id: str, unit_code: str) -> list[ReportRow]:
        """Filtered on the task (indexed), then on the unit."""
        return [row for row in self.reports_of_task(task_id) if row.unit_code == unit_code]

    def reports(self, plan_id: str, unit_code: str | None, period: str | None,
                status: str | None) -> list[ReportRow]:
        wanted = {"unit_code": unit_code, "period": period, "status": status}
        return [row for row in self.reports_of_plan(plan_id)
                if all(value is None or getattr(row, name) == value for name, value in wanted.items())]

    def indicator_totals(self, plan_id: str) -> dict[str, int]:
        """Each indicator's total; a contribution stored before amounts existed counts 1."""
        totals: dict[str, int] = {}
        for row in IndicatorContribution._get_collection().find({"plan_id": plan_id},
                                                                {"indicator_code": 1, "amount": 1}):
            totals[row["indicator_code"]] = totals.get(row["indicator_code"], 0) + row.get("amount", 1)
        return totals

    def hotspots(self, communes: list[str], filters: HotspotFilters, first: int,
                 limit: int) -> tuple[list[HotspotRow], int]:
        query = HotspotSnapshot.objects(commune_code__in=communes)
        for name in ("status", "kind"):
            if getattr(filters, name):
                query = query.filter(**{name: getattr(filters, name)})
        if filters.task_id:
            query = query.filter(task_ids=filters.task_id)
        query = query.order_by("-found_on", "id")
        return [_hotspot_row(s) for s in query.skip(first).limit(limit)], query.count()

    def budget_lines(self, plan_id: str) -> list[BudgetLineRow]:
        """The plan's own lines first, then each task's, by source."""
        rows = [_budget_line_row(s) for s in BudgetLineSnapshot.objects(plan_id=plan_id)]
        return sorted(rows, key=lambda r: (r.task_id is not None, r.task_id or "", r.source, r.purpose, r.id))

    def budget_totals(self, plan_id: str) -> BudgetTotals:
        by_source: dict[str, tuple[int, int]] = {}
        by_task: dict[str | None, tuple[int, int]] = {}
        for row in self.budget_lines(plan_id):
            for totals, key in ((by_source, row.source), (by_task, row.task_id)):
                planned, spent = totals.get(key, (0, 0))
                totals[key] = (planned + row.planned_vnd, spent + row.spent_vnd)
        return BudgetTotals(by_source=by_source, by_task=by_task)

    def reports_of_units(self, plan_id: str, unit_codes: list[str]) -> list[ReportRow]:
        return [_report_row(s) for s in ReportSnapshot.objects(plan_id=plan_id, unit_code__in=unit_codes)]

    def reports_in_areas(self, plan_id: str, area_codes: list[str]) -> list[ReportRow]:
        return [_report_row(s) for s in ReportSnapshot.objects(plan_id=plan_id, area_code__in=area_codes)]

    def computed_in_areas(self, plan_id: str, area_codes: list[str]) -> list[ComputedFigure]:
        return self._computed({"plan_id": plan_id, "area_code": {"$in": area_codes}})

    def computed_figures(self, plan_id: str) -> list[ComputedFigure]:
        """Every contribution with its commune and the day its fact happened (a row stored before `counted_on`
        existed counts on the day it was counted)."""
        return self._computed({"plan_id": plan_id})

    @staticmethod
    def _computed(query: dict) -> list[ComputedFigure]:
        fields = {"indicator_code": 1, "area_code": 1, "counted_on": 1, "counted_at": 1, "amount": 1}
        return [ComputedFigure(indicator_code=row["indicator_code"], area_code=row.get("area_code"),
                               counted_on=counted_on(row), amount=row.get("amount", 1))
                for row in IndicatorContribution._get_collection().find(query, fields)]


def _report_row(snapshot) -> ReportRow:
    state = snapshot.state
    return ReportRow(id=snapshot.id, version=snapshot.version, plan_id=snapshot.plan_id, task_id=snapshot.task_id,
                     unit_code=snapshot.unit_code, area_code=snapshot.area_code, period=snapshot.period,
                     status=snapshot.status, revision=state["revision"], late=state["late"],
                     due_on=date.fromisoformat(state["due_on"]), submitted_on=_day(state.get("submitted_on")),
                     values=dict(state["values"]), approved_values=state.get("approved_values"),
                     crackdown=state.get("crackdown"), lead_unit=snapshot.lead_unit)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _hotspot_row(snapshot) -> HotspotRow:
    state, coordinates = snapshot.state, snapshot.state.get("coordinates") or {}
    return HotspotRow(id=snapshot.id, version=snapshot.version, place_name=state["place_name"],
                      commune_code=snapshot.commune_code, kind=snapshot.kind, activity=state["activity"],
                      level=state["level"], status=snapshot.status, found_on=date.fromisoformat(snapshot.found_on),
                      latitude=coordinates.get("latitude"), longitude=coordinates.get("longitude"),
                      task_ids=list(snapshot.task_ids))


def _budget_line_row(snapshot) -> BudgetLineRow:
    spending = [{**entry, "spent_on": date.fromisoformat(entry["spent_on"])}
                for entry in snapshot.state.get("spending", [])]
    return BudgetLineRow(id=snapshot.id, version=snapshot.version, plan_id=snapshot.plan_id, task_id=snapshot.task_id,
                         source=snapshot.source, purpose=snapshot.state["purpose"],
                         planned_vnd=snapshot.state["planned_vnd"],
                         spent_vnd=sum(entry["amount_vnd"] for entry in spending), spending=spending)
