"""The plans pages' sizes and review outcomes, and the roll-up chart's geometry.

Their messages (ListPlanPage, ReadPlanPage, ReadReportPage, ReadHotspots in queries.py; SubmitReportFromPortal,
ReviewReportFromPortal in commands.py) carry the person's own access token: the plans service decides which
plans, reports and hotspots the person sees and which reports they may write or review. A write carries the
version of the read that rendered its form (If-Match) and the form's own idempotency key, so a form sent twice
writes once."""
from __future__ import annotations

from dataclasses import dataclass

PLAN_PAGE_SIZE = 50
TASKS_SHOWN = 100
REPORTS_SHOWN = 100
HOTSPOTS_SHOWN = 100
APPROVE, RETURN = "approve", "return"
REVIEW_OUTCOMES = (APPROVE, RETURN)


@dataclass(frozen=True)
class Bar:
    """One bar of the chart: its figure and its length in the chart's units (0 to `CHART_WIDTH`)."""
    kind: str
    figure: float | None
    length: float


@dataclass(frozen=True)
class BarGroup:
    code: str
    bars: tuple[Bar, ...]


CHART_WIDTH = 300.0
BAR_KINDS = ("target", "reported", "computed")


def chart_groups(indicators: list[dict]) -> list[BarGroup]:
    """Target, reported and computed of each indicator, each bar scaled to the largest figure of its own
    indicator (indicators count different things, so one scale across them would hide the small ones)."""
    groups = []
    for indicator in indicators:
        figures = [indicator.get(kind) for kind in BAR_KINDS]
        largest = max((f for f in figures if isinstance(f, (int, float))), default=0) or 1
        groups.append(BarGroup(indicator.get("code", ""), tuple(
            Bar(kind, figure, round(CHART_WIDTH * (figure or 0) / largest, 1) if figure is not None else 0.0)
            for kind, figure in zip(BAR_KINDS, figures))))
    return groups
