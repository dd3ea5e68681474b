"""The resources of a plan: budget lines (dòng kinh phí) per plan or per task, each from one source, planned in
đồng, and what was spent against it. Spending past the plan is allowed, since the work was done, but flagged
`overspent` so the standing office sees it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from shared.aggregate import Aggregate, DomainEvent
from shared.refusals import DecisionInvalid, is_blank

BUDGET_SOURCES = ("state_budget", "local_budget", "socialisation", "enterprises", "international")
"""Ngân sách trung ương, ngân sách địa phương, xã hội hóa (donations), doanh nghiệp, tài trợ quốc tế."""
MAX_VND = 10 ** 13
"""A ceiling on one figure (ten thousand billion đồng): anything larger is a typing error."""


def check_amount(field_name: str, amount: int, minimum: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise DecisionInvalid(field_name, "must be a whole number of đồng")
    if not minimum <= amount <= MAX_VND:
        raise DecisionInvalid(field_name, f"must be between {minimum} and {MAX_VND} đồng")


@dataclass(frozen=True)
class Spending:
    entry_id: str
    amount_vnd: int
    spent_on: date
    document_ref: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class BudgetLinePlanned(DomainEvent):
    type = "plans.budget_line.planned"
    published = False
    budget_line_id: str
    plan_id: str
    task_id: str | None
    area_code: str
    source: str
    purpose: str
    planned_vnd: int


@dataclass(frozen=True)
class SpendingRecorded(DomainEvent):
    type = "plans.budget_line.spending_recorded"
    published = False
    budget_line_id: str
    plan_id: str
    entry: Spending


@dataclass(eq=False)
class BudgetLine(Aggregate):
    """`plan_area` is the plan's area when the line was planned: who may see and manage the line."""
    stream_type = "budget_line"
    event_types = {e.type: e for e in (BudgetLinePlanned, SpendingRecorded)}
    id: str
    plan_id: str | None = None
    task_id: str | None = None
    plan_area: str | None = None
    source: str | None = None
    purpose: str | None = None
    planned_vnd: int = 0
    spending: list[Spending] = field(default_factory=list)

    @property
    def area_code(self) -> str | None:
        return self.plan_area

    @property
    def spent_vnd(self) -> int:
        return sum(entry.amount_vnd for entry in self.spending)

    @property
    def overspent(self) -> bool:
        return self.spent_vnd > self.planned_vnd

    @classmethod
    def plan(cls, line_id: str, plan_id: str, task_id: str | None, plan_area: str, source: str, purpose: str,
             planned_vnd: int) -> "BudgetLine":
        if source not in BUDGET_SOURCES:
            raise DecisionInvalid("source", f"must be one of {', '.join(BUDGET_SOURCES)}")
        if is_blank(purpose):
            raise DecisionInvalid("purpose", "say what the money is for")
        check_amount("planned_vnd", planned_vnd, 0)
        line = cls(line_id)
        line.record(BudgetLinePlanned(budget_line_id=line_id, plan_id=plan_id, task_id=task_id, area_code=plan_area,
                                      source=source, purpose=purpose.strip(), planned_vnd=planned_vnd))
        return line

    def record_spending(self, entry: Spending, plan_starts_on: date, today: date) -> None:
        """Money spent on the plan's work: from its first day (bills of its period may be paid after it ends),
        never in the future."""
        check_amount("amount_vnd", entry.amount_vnd, 1)
        if entry.spent_on < plan_starts_on:
            raise DecisionInvalid("spent_on", f"is before the plan starts ({plan_starts_on})")
        if entry.spent_on > today:
            raise DecisionInvalid("spent_on", "is in the future")
        self.record(SpendingRecorded(budget_line_id=self.id, plan_id=self.plan_id, entry=entry))

    def _on_BudgetLinePlanned(self, event: BudgetLinePlanned) -> None:
        self.plan_id, self.task_id, self.plan_area = event.plan_id, event.task_id, event.area_code
        self.source, self.purpose, self.planned_vnd = event.source, event.purpose, event.planned_vnd

    def _on_SpendingRecorded(self, event: SpendingRecorded) -> None:
        self.spending = [*self.spending, event.entry]
