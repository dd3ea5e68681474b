"""The indicator ledger: one contribution per (plan, indicator, key), counted once by unique insert."""
from __future__ import annotations

from datetime import datetime, timezone

from mongoengine.errors import NotUniqueError

from services.plans.adapters.documents import IndicatorContribution


class IndicatorLedger:
    def add(self, plan_id: str, indicator_code: str, key: str, amount: int, event_id: str,
            area_code: str | None) -> bool:
        try:
            IndicatorContribution(key=f"{plan_id}:{indicator_code}:{key}", plan_id=plan_id,
                                  indicator_code=indicator_code, source_event_id=event_id, amount=amount,
                                  area_code=area_code, counted_at=datetime.now(timezone.utc)).save(force_insert=True)
        except NotUniqueError:
            return False
        return True
