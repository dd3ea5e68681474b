"""The indicator ledger: one contribution per (plan, indicator, key), counted once by unique insert."""
from __future__ import annotations

from datetime import date, datetime, timezone

from mongoengine.errors import NotUniqueError

from services.plans.adapters.documents import IndicatorContribution
from services.plans.service_layer.ports import Contribution


class IndicatorLedger:
    def add(self, plan_id: str, indicator_code: str, key: str, amount: int, event_id: str,
            area_code: str | None, *, counted_on: date) -> bool:
        try:
            IndicatorContribution(key=f"{plan_id}:{indicator_code}:{key}", plan_id=plan_id,
                                  indicator_code=indicator_code, source_event_id=event_id, amount=amount,
                                  area_code=area_code, counted_on=counted_on.isoformat(),
                                  counted_at=datetime.now(timezone.utc)).save(force_insert=True)
        except NotUniqueError:
            return False
        return True

    def contributions(self, plan_id: str) -> list[Contribution]:
        """A row stored before `counted_on` existed counts on the day it was counted."""
        rows = IndicatorContribution._get_collection().find({"plan_id": plan_id})
        return [Contribution(plan_id=plan_id, indicator_code=row["indicator_code"],
                             key=row["_id"].split(":", 2)[2], amount=row.get("amount", 1),
                             event_id=row["source_event_id"], area_code=row.get("area_code"),
                             counted_on=counted_on(row)) for row in rows]


def counted_on(row: dict) -> date:
    return date.fromisoformat(row["counted_on"]) if row.get("counted_on") else row["counted_at"].date()
