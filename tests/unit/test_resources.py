"""Budget lines without I/O: sources, whole đồng, spending dated within the plan's reach, overspending flagged."""
from datetime import date

import pytest

from shared.refusals import DecisionInvalid
from services.plans.domain.resources import BudgetLine, Spending

STARTS = date(2026, 6, 1)
TODAY = date(2026, 7, 10)


def line(**overrides) -> BudgetLine:
    fields = dict(line_id="b1", plan_id="p1", task_id=None, plan_area="56", source="local_budget",
                  purpose="In tờ rơi tuyên truyền", planned_vnd=10_000_000)
    return BudgetLine.plan(**{**fields, **overrides})


def refused_field(call) -> str:
    with pytest.raises(DecisionInvalid) as refused:
        call()
    return refused.value.field


@pytest.mark.parametrize("overrides, field", [
    ({"source": "lottery"}, "source"), ({"planned_vnd": -1}, "planned_vnd"), ({"planned_vnd": 1.5}, "planned_vnd"),
    ({"planned_vnd": 10 ** 14}, "planned_vnd"), ({"purpose": " "}, "purpose")])
def test_a_budget_line_that_breaks_a_rule_is_refused_naming_the_field(overrides, field):
    assert refused_field(lambda: line(**overrides)) == field


@pytest.mark.parametrize("amount, spent_on, field", [
    (0, date(2026, 6, 5), "amount_vnd"), (-500, date(2026, 6, 5), "amount_vnd"),
    (1000, date(2026, 5, 31), "spent_on"), (1000, date(2026, 7, 11), "spent_on")])
def test_spending_must_be_positive_from_the_plans_start_and_not_in_the_future(amount, spent_on, field):
    budget = line()
    assert refused_field(lambda: budget.record_spending(Spending("s", amount, spent_on), STARTS, TODAY)) == field
    assert budget.version == 1 and budget.spent_vnd == 0


def test_spending_after_the_plan_ended_is_allowed_and_overspending_is_flagged():
    budget = line(planned_vnd=5_000_000, source="socialisation", task_id="t1")
    budget.record_spending(Spending("s1", 3_000_000, date(2026, 6, 15), "HĐ-15/2026"), STARTS, TODAY)
    assert (budget.spent_vnd, budget.overspent) == (3_000_000, False)
    budget.record_spending(Spending("s2", 2_500_000, date(2026, 7, 5), None, "thanh toán sau"), STARTS, TODAY)
    assert (budget.spent_vnd, budget.overspent, budget.version) == (5_500_000, True, 3)
    again = BudgetLine.from_snapshot("b1", budget.snapshot(), budget.version)
    assert again.spending == budget.spending and again.task_id == "t1" and again.overspent


def test_a_line_planned_at_nothing_is_allowed():
    assert line(planned_vnd=0).planned_vnd == 0
