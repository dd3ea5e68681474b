"""The read model of the plans service: lists of units, plans and tasks, and indicator totals, answered from the
snapshots and the indicator ledger (cosmicpython's views.py). The service layer reaches it through
`ports.PlanViews`."""
from __future__ import annotations

from datetime import date

from services.plans.adapters.documents import IndicatorContribution, PlanSnapshot, TaskSnapshot, UnitSnapshot
from services.plans.adapters.ledger import counted_on
from services.plans.service_layer.ports import ComputedFigure, PlanRow, TaskRow, UnitRow


class PlanViews:
    def units(self, first: int, limit: int) -> tuple[list[UnitRow], int]:
        query = UnitSnapshot.objects.order_by("id")
        return [UnitRow(id=s.id, version=s.version, name=s.state["name"], kind=s.state["kind"],
                        area_code=s.state["area_code"], covers=list(s.state["covers"]))
                for s in query.skip(first).limit(limit)], query.count()

    def plans(self) -> list[PlanRow]:
        return [PlanRow(id=s.id, version=s.version, title=s.state["title"], area_code=s.area_code,
                        starts_on=date.fromisoformat(s.starts_on), ends_on=date.fromisoformat(s.ends_on),
                        indicator_codes=tuple(i["code"] for i in s.state["indicators"]))
                for s in PlanSnapshot.objects.order_by("-starts_on", "id")]

    def tasks(self, plan_id: str, first: int, limit: int) -> tuple[list[TaskRow], int]:
        query = TaskSnapshot.objects(plan_id=plan_id).order_by("id")
        return [TaskRow(id=s.id, version=s.version, plan_id=s.plan_id, title=s.state["title"],
                        lead_unit=s.state["lead_unit"], supporting_units=list(s.state["supporting_units"]),
                        due_on=date.fromisoformat(s.state["due_on"]))
                for s in query.skip(first).limit(limit)], query.count()

    def indicator_totals(self, plan_id: str) -> dict[str, int]:
        """Each indicator's total; a contribution stored before amounts existed counts 1."""
        totals: dict[str, int] = {}
        for row in IndicatorContribution._get_collection().find({"plan_id": plan_id},
                                                                {"indicator_code": 1, "amount": 1}):
            totals[row["indicator_code"]] = totals.get(row["indicator_code"], 0) + row.get("amount", 1)
        return totals

    def computed_figures(self, plan_id: str) -> list[ComputedFigure]:
        """Every contribution with its commune and the day its fact happened (a row stored before `counted_on`
        existed counts on the day it was counted)."""
        fields = {"indicator_code": 1, "area_code": 1, "counted_on": 1, "counted_at": 1, "amount": 1}
        return [ComputedFigure(indicator_code=row["indicator_code"], area_code=row.get("area_code"),
                               counted_on=counted_on(row), amount=row.get("amount", 1))
                for row in IndicatorContribution._get_collection().find({"plan_id": plan_id}, fields)]
