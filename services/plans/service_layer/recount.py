"""Recounting the indicators computed from case events, from the cases event log, through the same rules as the
live consumer (indicators.contributions_of), and comparing with the ledger. Indicators counted from other events
(the plans' own hotspots) are not the log's to judge and are left out."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from shared.errors import NotFound

from services.plans.domain.commands import RecountIndicators
from services.plans.domain.model import INDICATORS
from services.plans.service_layer.indicators import contributions_of, record
from services.plans.service_layer.ports import CaseEventLog, Contribution, IndicatorLedger, PlanViews
from services.plans.service_layer.rollup import RollupRefresher

CASES = "cases."
FROM_CASES = frozenset(code for code, d in INDICATORS.items() if (d.counted_from or "").startswith(CASES))
CASE_EVENT_TYPES = tuple(sorted({INDICATORS[code].counted_from for code in FROM_CASES}))


@dataclass(frozen=True)
class IndicatorRecount:
    """One plan's indicator: the ledger as found, the recount, and the contributions that differ by key. `fixed`
    is how many missing contributions were added (with `fix`)."""
    plan_id: str
    indicator_code: str
    ledger_total: int
    recounted_total: int
    missing: list[Contribution] = field(default_factory=list)
    extra: list[Contribution] = field(default_factory=list)
    changed: list[tuple[Contribution, Contribution]] = field(default_factory=list)
    fixed: int = 0

    @property
    def difference(self) -> int:
        return self.recounted_total - self.ledger_total

    @property
    def agrees(self) -> bool:
        return not (self.missing or self.extra or self.changed)

    @property
    def agrees_after_fix(self) -> bool:
        return not (self.extra or self.changed or len(self.missing) > self.fixed)


def _by_key(contributions) -> dict[tuple[str, str], dict[str, Contribution]]:
    grouped: dict[tuple[str, str], dict[str, Contribution]] = {}
    for contribution in contributions:
        grouped.setdefault((contribution.plan_id, contribution.indicator_code), {}).setdefault(contribution.key,
                                                                                               contribution)
    return grouped


def _compare(plan_id: str, code: str, found: dict[str, Contribution],
             expected: dict[str, Contribution]) -> IndicatorRecount:
    return IndicatorRecount(
        plan_id=plan_id, indicator_code=code, ledger_total=sum(c.amount for c in found.values()),
        recounted_total=sum(c.amount for c in expected.values()),
        missing=[c for key, c in sorted(expected.items()) if key not in found],
        extra=[c for key, c in sorted(found.items()) if key not in expected],
        changed=[(found[key], c) for key, c in sorted(expected.items())
                 if key in found and found[key].amount != c.amount])


def recount_indicators(command: RecountIndicators, principal, views: PlanViews, ledger: IndicatorLedger,
                       case_log: CaseEventLog, rollup: RollupRefresher) -> list[IndicatorRecount]:
    """Per plan and case-derived indicator, what the ledger holds against what the log says it should; with
    `fix`, the missing contributions are added (never deleted: extras and changed amounts are only reported) and
    the roll-up rows of the communes they count in are folded again."""
    plans = [plan for plan in views.plans() if command.plan_id in (None, plan.id)]
    if command.plan_id and not plans:
        raise NotFound(f"no plan {command.plan_id}")
    expected = _by_key(c for event in case_log.events(CASE_EVENT_TYPES) for c in contributions_of(event, plans))
    results = []
    for plan in plans:
        found = _by_key(ledger.contributions(plan.id))
        for code in sorted(FROM_CASES & set(plan.indicator_codes)):
            result = _compare(plan.id, code, found.get((plan.id, code), {}), expected.get((plan.id, code), {}))
            if command.fix and result.missing:
                result = replace(result, fixed=sum(record(c, ledger) for c in result.missing))
                for area_code in sorted({c.area_code or "" for c in result.missing}):
                    rollup.refresh_area(plan.id, area_code or None)
            results.append(result)
    return results


HANDLERS = {RecountIndicators: recount_indicators}
