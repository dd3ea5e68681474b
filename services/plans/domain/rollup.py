"""The roll-up of a plan: what each unit and each area has to do and has done, per reporting period and for the
whole plan, folded from the plan, its tasks, the units' progress reports and the indicators computed from case
events. Plain Python: the service layer loads the inputs and keeps the rows (a maintained projection); the read
shows them.

Per indicator: `target` (the shares assigned; a task nobody is assigned keeps its targets at its lead unit),
`reported` (approved figures: an approved final report stands for the whole plan, otherwise the approved interim
reports add up), `pending` (submitted, not yet approved), `computed` (counted from case events, by the commune and
the period the fact happened in) and `percentage` (reported, or computed for a computed indicator, over target).
Per row: the status of each task's assignments (progress.status_of), combined per task, unit, area and province,
and the reports owed, due, submitted, approved, flagged late and missing (past due, none submitted).

Area rows partition the plan: each assignment, report and computed figure lies in exactly one area (its commune,
or the plan's own area for provincial units), under the area's *current* code: a commune merged in the 2025
reorganisation rolls up under its new code while reports and the ledger keep the old one. The province total is
the sum of the area rows. A unit row's computed figures are those of the areas its assignments lie in: they are
read from the area rows, so the two views never disagree."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from services.plans.domain.model import INDICATORS, is_computed
from services.plans.domain.periods import FINAL, ReportingPeriod, owes
from services.plans.domain.progress import TASK_STATUSES, combined, final_approved, reported_figures, status_of
from services.plans.domain.reports import APPROVED, UNDER_REVIEW

ALL = "all"
"""The whole plan, beside its reporting periods."""
UNIT, AREA, TOTAL = "unit", "area", "total"
BY = (UNIT, AREA)


class RolledReport(Protocol):
    """What the fold needs of a progress report (ports.ReportRow has it)."""
    task_id: str
    unit_code: str
    area_code: str
    period: str
    status: str
    late: bool
    submitted_on: date | None
    values: dict[str, float]
    approved_values: dict[str, float] | None


class RolledFigure(Protocol):
    """What the fold needs of a computed contribution (ports.ComputedFigure has it)."""
    indicator_code: str
    area_code: str | None
    counted_on: date
    amount: float


@dataclass
class Figures:
    """One indicator's figures in one row and period."""
    target: float = 0.0
    reported: float = 0.0
    pending: float = 0.0
    computed: float = 0.0

    def add(self, other: "Figures") -> None:
        self.target += other.target
        self.reported += other.reported
        self.pending += other.pending
        self.computed += other.computed


def percentage(code: str, figures: Figures) -> float | None:
    """Reported, or computed for a computed indicator, over target, in percent; None without a target."""
    if not figures.target:
        return None
    achieved = figures.computed if is_computed(code) else figures.reported
    return round(100 * achieved / figures.target, 1)


@dataclass
class ReportCounts:
    """Reports `expected` of the assignments over the plan, `due` by today, `submitted`, `approved`, flagged
    `late`, and `missing` (past due, none submitted)."""
    expected: int = 0
    due: int = 0
    submitted: int = 0
    approved: int = 0
    late: int = 0
    missing: int = 0

    def add(self, other: "ReportCounts") -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class PeriodFigures:
    indicators: dict[str, Figures] = field(default_factory=dict)
    reports: ReportCounts = field(default_factory=ReportCounts)

    def of(self, code: str) -> Figures:
        return self.indicators.setdefault(code, Figures())


@dataclass
class RollupRow:
    """A unit's, an area's or the province's figures (`kind`, `code`) per period code and `ALL`; `task_statuses`
    counts each task's assignments in the row by status. A unit row names the (current) areas its assignments lie
    in; the total carries the plan's own targets and what the tasks' shares leave unassigned."""
    kind: str
    code: str
    periods: dict[str, PeriodFigures]
    name: str | None = None
    task_statuses: dict[str, dict[str, int]] = field(default_factory=dict)
    areas: list[str] = field(default_factory=list)
    plan_targets: dict[str, float] = field(default_factory=dict)
    unassigned: dict[str, float] = field(default_factory=dict)

    @property
    def statuses(self) -> dict[str, int]:
        counts = {status: 0 for status in TASK_STATUSES}
        for by_status in self.task_statuses.values():
            for status, count in by_status.items():
                counts[status] += count
        return {status: count for status, count in counts.items() if count}

    @property
    def status(self) -> str:
        """The statuses of all the row's assignments combined (the same as combining its tasks' statuses)."""
        return combined([status for status, count in self.statuses.items() for _ in range(count)])

    def task_status(self, task_id: str) -> str:
        return combined([status for status, count in self.task_statuses.get(task_id, {}).items()
                         for _ in range(count)])


FIGURES = ("target", "reported", "pending", "computed")
COUNTS = ("expected", "due", "submitted", "approved", "late", "missing")


def row_to_plain(row: RollupRow) -> dict:
    """The row as compact JSON-ready data, figures and counts as lists in the order of FIGURES and COUNTS (the
    projection keeps it so; a province's by-unit read carries two hundred rows)."""
    return {"kind": row.kind, "code": row.code, "name": row.name,
            "periods": {code: {"i": {c: [f.target, f.reported, f.pending, f.computed]
                                     for c, f in period.indicators.items()},
                               "r": [getattr(period.reports, name) for name in COUNTS]}
                        for code, period in row.periods.items()},
            "task_statuses": row.task_statuses, "areas": row.areas, "plan_targets": row.plan_targets,
            "unassigned": row.unassigned}


def row_from_plain(data: dict) -> RollupRow:
    """The row back from `row_to_plain`'s data, written out by hand: the generic snapshot codec costs
    milliseconds a row."""
    return RollupRow(data["kind"], data["code"],
                     {code: PeriodFigures({c: Figures(*f) for c, f in period["i"].items()}, ReportCounts(*period["r"]))
                      for code, period in data["periods"].items()},
                     data.get("name"), data.get("task_statuses", {}), data.get("areas", []),
                     data.get("plan_targets", {}), data.get("unassigned", {}))


@dataclass(frozen=True)
class Work:
    """One unit's part in one task: a live assignment, or the whole task at its lead unit when it has none."""
    task: object
    unit_code: str
    area_code: str
    shares: dict[str, float]


Computed = dict[str, dict[str, dict[str, float]]]
"""Computed figures by (current) area code, then period code (and ALL), then indicator."""


@dataclass(frozen=True)
class Context:
    """What every part of the fold needs: the plan, its reporting periods, today, the current code of an area
    (`current_code`, merges), whether one area covers another (`covers`), each lead unit's area and the
    indicators every row shows (the plan's and its tasks')."""
    plan: object
    periods: list[ReportingPeriod]
    today: date
    current_code: Callable[[str], str]
    covers: Callable[[str, str], bool]
    unit_areas: Mapping[str, str] = field(default_factory=dict)
    indicators: tuple[str, ...] = ()

    @property
    def period_codes(self) -> list[str]:
        return [p.code for p in self.periods] + [ALL]

    def area_of(self, code: str | None) -> str:
        return self.current_code(code) if code else self.plan.area_code

    def new_row(self, kind: str, code: str) -> RollupRow:
        return RollupRow(kind, code, {period: PeriodFigures({code_: Figures() for code_ in self.indicators})
                                      for period in self.period_codes})


def works_of(tasks: Iterable, context: Context) -> list[Work]:
    works = []
    for task in tasks:
        if not task.assignments:
            lead_area = context.area_of(context.unit_areas.get(task.lead_unit))
            works.append(Work(task, task.lead_unit, lead_area, {t.code: t.target for t in task.indicators}))
        works += [Work(task, a.unit_code, context.area_of(a.area_code), dict(a.shares))
                  for a in task.live_assignments()]
    return works


def indicator_codes(plan, tasks: Iterable) -> list[str]:
    """The plan's and its tasks' indicators, in the order of the indicator list."""
    codes = {t.code for t in plan.indicators} | {t.code for task in tasks for t in task.indicators}
    return [code for code in INDICATORS if code in codes] + sorted(codes - set(INDICATORS))


def computed_by_area(figures: Iterable[RolledFigure], context: Context) -> Computed:
    """Each contribution in its (current) area, in every period that holds its day and in ALL (the plan's
    period)."""
    result: Computed = defaultdict(lambda: defaultdict(lambda: defaultdict(float)))
    final = next(p for p in context.periods if p.code == FINAL)
    for figure in figures:
        if not final.holds(figure.counted_on):
            continue
        by_period = result[context.area_of(figure.area_code)]
        for period in context.periods:
            if period.holds(figure.counted_on):
                by_period[period.code][figure.indicator_code] += figure.amount
        by_period[ALL][figure.indicator_code] += figure.amount
    return {area: {period: dict(codes) for period, codes in periods.items()} for area, periods in result.items()}


def computed_within(area_code: str, computed: Computed, context: Context) -> dict[str, dict[str, float]]:
    """The computed figures of every area inside `area_code` (a commune's own, or a province's whole)."""
    total: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for area, periods in computed.items():
        if context.covers(area_code, area):
            for period, codes in periods.items():
                for code, amount in codes.items():
                    total[period][code] += amount
    return {period: dict(codes) for period, codes in total.items()}


def outermost(area_codes: Iterable[str], covers: Callable[[str, str], bool]) -> list[str]:
    """The areas not inside another of them: a unit working in its province and in one of its communes counts the
    province's figures once."""
    codes = sorted(set(area_codes))
    return [a for a in codes if not any(b != a and covers(b, a) for b in codes)]


def _pending(reports: list[RolledReport]) -> dict[str, float]:
    """The figures awaiting approval: a final report's under review stand for the whole plan, otherwise the
    interim reports' under review add up."""
    under_review = [r for r in reports if r.status in UNDER_REVIEW]
    final = [r for r in under_review if r.period == FINAL]
    totals: dict[str, float] = defaultdict(float)
    for report in final or under_review:
        for code, value in report.values.items():
            totals[code] += value
    return totals


class Fold:
    """The rows of one plan from its inputs. `reports` are those of the rows asked for (the service layer loads
    no more); `computed` is complete (every area), since statuses and unit rows look across areas."""

    def __init__(self, context: Context, tasks: list, reports: list[RolledReport], computed: Computed):
        self.context = context
        self.tasks = tasks
        self.works = works_of(tasks, context)
        self.computed = computed
        self.reports: dict[tuple[str, str], list[RolledReport]] = defaultdict(list)
        for report in reports:
            self.reports[(report.task_id, report.unit_code)].append(report)
        self._within: dict[str, dict[str, dict[str, float]]] = {}

    def within(self, area_code: str) -> dict[str, dict[str, float]]:
        if area_code not in self._within:
            self._within[area_code] = computed_within(area_code, self.computed, self.context)
        return self._within[area_code]

    def area_rows(self, codes: Iterable[str] | None = None) -> dict[str, RollupRow]:
        """The rows of these (current) area codes, or of every area with work, reports or computed figures."""
        area_of_report = lambda report: self.context.area_of(report.area_code)  # noqa: E731
        wanted = set(codes) if codes is not None else (
            {w.area_code for w in self.works} | set(self.computed)
            | {area_of_report(r) for reports in self.reports.values() for r in reports})
        rows = {}
        for code in sorted(wanted):
            row = self._row(AREA, code, [w for w in self.works if w.area_code == code],
                            [r for reports in self.reports.values() for r in reports if area_of_report(r) == code])
            for period, codes_ in self.computed.get(code, {}).items():
                if period in row.periods:
                    for indicator, amount in codes_.items():
                        row.periods[period].of(indicator).computed += amount
            rows[code] = row
        return rows

    def unit_rows(self, codes: Iterable[str] | None = None) -> dict[str, RollupRow]:
        """The rows of these units, or of every unit with work or reports. Their computed figures stay empty: the
        read takes them from the area rows (`unit_computed`)."""
        wanted = set(codes) if codes is not None else (
            {w.unit_code for w in self.works} | {unit for _, unit in self.reports})
        rows = {}
        for code in sorted(wanted):
            works = [w for w in self.works if w.unit_code == code]
            row = self._row(UNIT, code, works, [r for (_, unit), reports in self.reports.items() if unit == code
                                                 for r in reports])
            row.areas = sorted({w.area_code for w in works})
            rows[code] = row
        return rows

    def _row(self, kind: str, code: str, works: list[Work], reports: list[RolledReport]) -> RollupRow:
        row = self.context.new_row(kind, code)
        for work in works:
            self._add_work(row, work)
        by_assignment: dict[tuple[str, str], list[RolledReport]] = defaultdict(list)
        for report in reports:
            by_assignment[(report.task_id, report.unit_code)].append(report)
        for group in by_assignment.values():
            self._add_reports(row, group)
        return row

    def _add_work(self, row: RollupRow, work: Work) -> None:
        context = self.context
        reports = self.reports.get((work.task.id, work.unit_code), [])
        for period in row.periods.values():
            for indicator, share in work.shares.items():
                period.of(indicator).target += share
        submitted = {r.period for r in reports if r.submitted_on is not None}
        if context.plan.status != "draft":
            for period in context.periods:
                if not owes(work.task, period):
                    continue
                counts = ReportCounts(expected=1, due=int(period.due_on <= context.today),
                                      missing=int(period.due_on < context.today and period.code not in submitted))
                row.periods[period.code].reports.add(counts)
                row.periods[ALL].reports.add(counts)
        status = self.status_of(work, reports)
        by_status = row.task_statuses.setdefault(work.task.id, {})
        by_status[status] = by_status.get(status, 0) + 1

    def status_of(self, work: Work, reports: list[RolledReport]) -> str:
        """progress.status_of on the unit's figures so far, a computed indicator's figure being the one counted in
        the assignment's area (work shows there without a report)."""
        figures = reported_figures(reports)
        computed = self.within(work.area_code).get(ALL, {})
        counted = {code: computed.get(code, 0.0) for code in work.shares if is_computed(code)}
        actual = {**(figures or {}), **counted}
        task = work.task
        return status_of(work.shares, actual, figures is not None or any(counted.values()), final_approved(reports),
                         task.starts_on, task.due_on, self.context.today)

    def _add_reports(self, row: RollupRow, group: list[RolledReport]) -> None:
        """One assignment's reports: each period's own figures and counts, and the whole plan's."""
        for report in group:
            if report.period not in row.periods:
                continue
            period = row.periods[report.period]
            if report.approved_values:
                for code, value in report.approved_values.items():
                    period.of(code).reported += value
            if report.status in UNDER_REVIEW:
                for code, value in report.values.items():
                    period.of(code).pending += value
            counts = ReportCounts(submitted=int(report.submitted_on is not None),
                                  approved=int(report.status == APPROVED or report.approved_values is not None),
                                  late=int(report.late))
            period.reports.add(counts)
            row.periods[ALL].reports.add(counts)
        whole = row.periods[ALL]
        for code, value in (reported_figures(group, approved_only=True) or {}).items():
            whole.of(code).reported += value
        for code, value in _pending(group).items():
            whole.of(code).pending += value


def total_row(context: Context, tasks: Iterable, area_rows: Iterable[RollupRow]) -> RollupRow:
    """The province: the sum of the area rows, with the plan's own targets and what the shares leave unassigned
    (a task nobody is assigned is not counted there: its lead unit holds its targets)."""
    total = context.new_row(TOTAL, context.plan.area_code)
    for row in area_rows:
        for code, period in row.periods.items():
            if code not in total.periods:
                continue
            for indicator, figures in period.indicators.items():
                total.periods[code].of(indicator).add(figures)
            total.periods[code].reports.add(period.reports)
        for task_id, by_status in row.task_statuses.items():
            into = total.task_statuses.setdefault(task_id, {})
            for status, count in by_status.items():
                into[status] = into.get(status, 0) + count
    total.plan_targets = {t.code: t.target for t in context.plan.indicators}
    unassigned: dict[str, float] = defaultdict(float)
    for task in tasks:
        if task.assignments:
            for code, left in task.unassigned().items():
                unassigned[code] += left
    total.unassigned = {code: left for code, left in unassigned.items() if left}
    return total


def unit_computed(row: RollupRow, computed_in: Callable[[str], dict[str, dict[str, float]]],
                  covers: Callable[[str, str], bool]) -> dict[str, dict[str, float]]:
    """A unit's computed figures: those of the areas its assignments lie in, each counted once. `computed_in(area)`
    gives an area's whole figures (the province total's for the plan's own area)."""
    total: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for area in outermost(row.areas, covers):
        for period, codes in computed_in(area).items():
            for code, amount in codes.items():
                total[period][code] += amount
    return {period: dict(codes) for period, codes in total.items()}


def computed_of_areas(total: RollupRow | None, area_rows: Iterable[RollupRow],
                      whole: Callable[[str], bool]) -> Callable[[str], dict[str, dict[str, float]]]:
    """`computed_in(area)` for `unit_computed`, from kept rows: an area for which `whole` holds (the plan's own
    area, a province) stands for everything, which is the total's figures (its own area row holds only what was
    recorded at that level); any other area its row's."""
    by_area = {row.code: row for row in area_rows}

    def computed_in(area_code: str) -> dict[str, dict[str, float]]:
        source = total if whole(area_code) else by_area.get(area_code)
        if source is None:
            return {}
        return {period: {code: f.computed for code, f in figures.indicators.items()}
                for period, figures in source.periods.items()}
    return computed_in


def fold(context: Context, tasks: list, reports: list[RolledReport],
         figures: Iterable[RolledFigure]) -> list[RollupRow]:
    """Every row of the plan from scratch: units, areas and the province total."""
    computed = computed_by_area(figures, context)
    rollup = Fold(context, tasks, reports, computed)
    areas = rollup.area_rows()
    return [*rollup.unit_rows().values(), *areas.values(), total_row(context, tasks, areas.values())]

