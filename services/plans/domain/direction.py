"""The plan's stated direction, "fewer compulsory, more voluntary rehab and methadone", measured from case events.

Two measures per quarter and commune:
- the share of people entering voluntary rehab (home/community or facility) or methadone among all people entering
  treatment (those two and compulsory rehab ordered by a court), each person counted once per quarter and commune;
- the relapse rate in aftercare: cases in aftercare with a positive test or a reported relapse in the quarter, over
  the cases managed in aftercare in the quarter.

A case is *managed in aftercare in a quarter* when its aftercare (from `cases.case.aftercare_started` to the
earlier of its `aftercare_ends_on` and the first step that took the case out of aftercare) overlaps the quarter,
or when a positive test during aftercare falls in the quarter (that proves the case was there). Aftercare is a
stage of one case, and `cases.case.relapse_suspected` names the case, not the person, so aftercare counts cases.

The figures come from facts kept once each (`DirectionFact`, keyed by the event id), so a redelivered event
changes nothing; the counts are taken when read.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

from shared import areas

from services.plans.domain.access import OVERSEERS

READERS = OVERSEERS
VOLUNTARY = "cases.case.voluntary_rehab_started"
METHADONE = "cases.case.methadone_admitted"
COMPULSORY = "cases.case.compulsory_rehab_ordered"
AFTERCARE_STARTED = "cases.case.aftercare_started"
RELAPSE_SUSPECTED = "cases.case.relapse_suspected"
RELAPSE_REPORTED = "cases.case.relapse_reported"
ENTRIES = {VOLUNTARY: "voluntary", METHADONE: "methadone", COMPULSORY: "compulsory"}
TOWARD_DIRECTION = ("voluntary", "methadone")
AFTERCARE = "aftercare"
LEAVING_AFTERCARE = ("cases.case.methadone_registered", METHADONE, RELAPSE_REPORTED, "cases.case.closed")
"""The steps that can take a case out of aftercare (the workflow files' transitions `from: [aftercare]`; a unit
test keeps this list and the files in step)."""
DIRECTION_EVENT_TYPES = tuple(sorted({*ENTRIES, AFTERCARE_STARTED, RELAPSE_SUSPECTED, *LEAVING_AFTERCARE}))
MAX_QUARTERS = 20
QUARTER = re.compile(r"^(\d{4})Q([1-4])$")

ENTRY, SPELL, EXIT, RELAPSE = "entry", "aftercare", "aftercare_exit", "relapse"


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> "Quarter":
        match = QUARTER.match(text or "")
        if not match or not 2000 <= int(match.group(1)) <= 2100:
            raise ValueError("must be a quarter like 2026Q1, years 2000 to 2100")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def next(self) -> "Quarter":
        return Quarter(self.year + self.number // 4, self.number % 4 + 1)

    def previous(self) -> "Quarter":
        return Quarter(self.year - (self.number == 1), (self.number - 2) % 4 + 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


def quarters_between(first: Quarter, last: Quarter) -> list[Quarter]:
    found, quarter = [], first
    while quarter <= last:
        found.append(quarter)
        quarter = quarter.next()
    return found


@dataclass(frozen=True)
class DirectionFact:
    """One fact the measures count, kept once under `key`. An aftercare spell is kept once per quarter its
    planned period touches (`quarter`), so a read finds it by quarter; `ends_on` is its planned end."""
    key: str
    kind: str
    quarter: str
    commune_code: str
    case_id: str
    day: date
    person_code: str | None = None
    treatment: str | None = None
    ends_on: date | None = None


def _day(data: dict, name: str) -> date:
    value = data[name]
    return value if isinstance(value, date) else date.fromisoformat(value)


def direction_facts(event_id: str, event_type: str, data: dict, area_code: str | None) -> list[DirectionFact]:
    """The facts an event adds to the measures, each keyed by the event id; none for an event they ignore."""
    commune, case_id = data.get("commune_code") or area_code, data["case_id"]
    if event_type == RELAPSE_SUSPECTED:
        if data.get("stage") != AFTERCARE:
            return []
        day = _day(data, "tested_on")
        return [DirectionFact(f"{RELAPSE}:{event_id}", RELAPSE, str(Quarter.of(day)), commune, case_id, day)]
    day = _day(data, "effective_on")
    base = {"quarter": str(Quarter.of(day)), "commune_code": commune, "case_id": case_id, "day": day}
    facts = []
    if event_type in ENTRIES:
        facts.append(DirectionFact(f"{ENTRY}:{event_id}", ENTRY, person_code=data["person_code"],
                                   treatment=ENTRIES[event_type], **base))
    if event_type == AFTERCARE_STARTED:
        due = data.get("due") or {}
        ends_on = max(day, _day(due, "aftercare_ends_on")) if due.get("aftercare_ends_on") else day
        facts += [DirectionFact(f"{SPELL}:{event_id}:{quarter}", SPELL, ends_on=ends_on,
                                **{**base, "quarter": str(quarter)})
                  for quarter in quarters_between(Quarter.of(day), Quarter.of(ends_on))]
    if data.get("from_stage") == AFTERCARE and data.get("to_stage") != AFTERCARE:
        facts.append(DirectionFact(f"{EXIT}:{event_id}", EXIT, **base))
        if event_type == RELAPSE_REPORTED:
            facts.append(DirectionFact(f"{RELAPSE}:{event_id}", RELAPSE, **base))
    return facts


def share(part: int, whole: int) -> Fraction | None:
    """`part` of `whole`; None when nothing is there to divide (not a zero share)."""
    return Fraction(part, whole) if whole else None


@dataclass(frozen=True)
class Trend:
    """The change from the previous quarter; `direction` is None when either quarter has no figure."""
    delta: Fraction | None = None
    direction: str | None = None


def trend(current: Fraction | None, previous: Fraction | None) -> Trend:
    if current is None or previous is None:
        return Trend()
    delta = current - previous
    return Trend(delta, "rising" if delta > 0 else "falling" if delta < 0 else "flat")


@dataclass(frozen=True)
class Counts:
    """What one area's facts in one quarter add up to, before shares."""
    entering: frozenset = frozenset()
    toward_direction: frozenset = frozenset()
    compulsory: frozenset = frozenset()
    managed: frozenset = frozenset()
    relapsed: frozenset = frozenset()

    @property
    def share(self) -> Fraction | None:
        return share(len(self.toward_direction), len(self.entering))

    @property
    def relapse_rate(self) -> Fraction | None:
        return share(len(self.relapsed), len(self.managed))


@dataclass(frozen=True)
class Figures:
    area_code: str
    counts: Counts
    trend: Trend
    relapse_trend: Trend

    @property
    def entering_total(self) -> int:
        return len(self.counts.entering)

    @property
    def entering_voluntary_or_methadone(self) -> int:
        return len(self.counts.toward_direction)

    @property
    def entering_compulsory(self) -> int:
        return len(self.counts.compulsory)

    @property
    def share(self) -> Fraction | None:
        return self.counts.share

    @property
    def aftercare_managed(self) -> int:
        return len(self.counts.managed)

    @property
    def aftercare_relapsed(self) -> int:
        return len(self.counts.relapsed)

    @property
    def relapse_rate(self) -> Fraction | None:
        return self.counts.relapse_rate


@dataclass(frozen=True)
class QuarterFigures:
    quarter: Quarter
    total: Figures
    communes: list[Figures] = field(default_factory=list)


def spell_of(fact: DirectionFact) -> str:
    """The aftercare spell a per-quarter row belongs to (its key without the quarter)."""
    return fact.key.rsplit(":", 1)[0]


def spell_ends(spells: Iterable[DirectionFact], exits: Iterable[DirectionFact]) -> dict[str, date]:
    """Each spell's last day: its planned end, or the first step out of aftercare on or after it began."""
    exits_by_case: dict[str, list[date]] = {}
    for fact in exits:
        exits_by_case.setdefault(fact.case_id, []).append(fact.day)
    ends = {}
    for spell in spells:
        planned = spell.ends_on or spell.day
        left = min((day for day in exits_by_case.get(spell.case_id, ()) if day >= spell.day), default=planned)
        ends[spell_of(spell)] = min(planned, left)
    return ends


def count(facts: Iterable[DirectionFact], ends: dict[str, date], quarter: Quarter) -> Counts:
    """The counts of `facts` (all of one area) in `quarter`; `ends` are the spells' last days (`spell_ends`)."""
    entering, toward, compulsory, managed, relapsed = set(), set(), set(), set(), set()
    for fact in facts:
        if fact.quarter != str(quarter):
            continue
        if fact.kind == SPELL and ends[spell_of(fact)] >= quarter.first_day:
            managed.add(fact.case_id)
        elif fact.kind == ENTRY:
            entering.add(fact.person_code)
            (toward if fact.treatment in TOWARD_DIRECTION else compulsory).add(fact.person_code)
        elif fact.kind == RELAPSE:
            relapsed.add(fact.case_id)
            managed.add(fact.case_id)
    return Counts(frozenset(entering), frozenset(toward), frozenset(compulsory), frozenset(managed),
                  frozenset(relapsed))


def direction_report(area_code: str, first: Quarter, last: Quarter, facts: list[DirectionFact],
                     exits: list[DirectionFact]) -> list[QuarterFigures]:
    """Each quarter from `first` to `last`: the area's figures and each of its communes' that has any fact, with
    the trend from the quarter before (`facts` must hold the quarter before `first` too)."""
    facts = [f for f in facts if areas.covers(area_code, f.commune_code)]
    ends = spell_ends([f for f in facts if f.kind == SPELL], exits)
    communes = sorted({f.commune_code for f in facts if first <= Quarter.parse(f.quarter) <= last})
    by_commune = {code: [f for f in facts if f.commune_code == code] for code in communes}
    before = {code: count(by_commune[code], ends, first.previous()) for code in communes}
    before[None] = count(facts, ends, first.previous())
    report = []
    for quarter in quarters_between(first, last):
        now = {code: count(by_commune[code], ends, quarter) for code in communes}
        now[None] = count(facts, ends, quarter)
        figures = {code: Figures(code or area_code, now[code], trend(now[code].share, before[code].share),
                                 trend(now[code].relapse_rate, before[code].relapse_rate)) for code in now}
        report.append(QuarterFigures(quarter, figures.pop(None), [figures[code] for code in communes]))
        before = now
    return report


def may_read(principal, area_code: str) -> bool:
    """Aggregate figures of an area, for the plan coordinators, auditors and administrators of that area."""
    return principal.has_role(*READERS) and areas.within_any(principal.areas, area_code)
