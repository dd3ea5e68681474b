"""How many cases each commune holds in each stage: a projection of the case events, so that a province-wide list
and its counts never go through every case (FerretDB v1 counts by decoding each matching document: 50 s for a
province's 100,000 cases).

Each case is placed once (its commune, stage and opening day); a commune's row is the sum of its placements. Moving
a placement changes two rows at most, by one each."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Placement:
    """Where a case counts now."""
    commune_code: str
    stage: str
    opened_on: str


@dataclass
class CommuneCount:
    """`earliest_opened_on` and `latest_opened_on`: no case of the commune opened before the one or after the other
    (bounds, not the extremes still counted: a case moved away does not narrow them), which tell a list walking
    back in time where to start and stop, and how many cases a day to expect."""
    commune_code: str
    stages: dict[str, int] = field(default_factory=dict)
    earliest_opened_on: str | None = None
    latest_opened_on: str | None = None
    stage_days: dict[str, list[str]] = field(default_factory=dict)
    """The same bounds per stage: closed cases, say, opened years before the newest."""

    @classmethod
    def of(cls, commune_code: str, placements) -> "CommuneCount":
        count = cls(commune_code)
        for placement in placements:
            count.add(placement)
        return count

    def add(self, placement: Placement) -> None:
        self.stages[placement.stage] = self.stages.get(placement.stage, 0) + 1
        if self.earliest_opened_on is None or placement.opened_on < self.earliest_opened_on:
            self.earliest_opened_on = placement.opened_on
        if self.latest_opened_on is None or placement.opened_on > self.latest_opened_on:
            self.latest_opened_on = placement.opened_on
        earliest, latest = self.stage_days.get(placement.stage, (placement.opened_on, placement.opened_on))
        self.stage_days[placement.stage] = [min(earliest, placement.opened_on), max(latest, placement.opened_on)]

    def days(self, stage: str | None = None) -> tuple[str | None, str | None]:
        """The opening days of the commune's cases (of `stage`) lie between these."""
        if stage is not None and stage in self.stage_days:
            return tuple(self.stage_days[stage])
        return self.earliest_opened_on, self.latest_opened_on or self.earliest_opened_on

    def remove(self, placement: Placement) -> None:
        left = self.stages.get(placement.stage, 0) - 1
        if left > 0:
            self.stages[placement.stage] = left
        else:
            self.stages.pop(placement.stage, None)

    def total(self, stage: str | None = None) -> int:
        return self.stages.get(stage, 0) if stage is not None else sum(self.stages.values())


def moved(rows: dict[str, CommuneCount], before: Placement | None, after: Placement) -> list[CommuneCount]:
    """The rows that change when a case's placement goes from `before` (None: not counted yet) to `after`, changed;
    `rows` holds the rows of both communes (absent: none counted there yet)."""
    if before == after:
        return []
    changed = {}
    if before is not None:
        changed[before.commune_code] = rows.get(before.commune_code) or CommuneCount(before.commune_code)
        changed[before.commune_code].remove(before)
    row = changed.get(after.commune_code) or rows.get(after.commune_code) or CommuneCount(after.commune_code)
    row.add(after)
    changed[after.commune_code] = row
    return list(changed.values())


@dataclass(frozen=True)
class OpeningSpan:
    """The days the matching cases opened on, from the counts: how far back a list walks, and how many it meets."""
    earliest: str
    latest: str
    cases: int

    @classmethod
    def of(cls, rows, stage: str | None = None) -> "OpeningSpan | None":
        days = [row.days(stage) for row in rows if row.earliest_opened_on and row.total(stage)]
        if not days:
            return None
        return cls(min(earliest for earliest, _ in days), max(latest for _, latest in days),
                   sum(row.total(stage) for row in rows if row.earliest_opened_on))
