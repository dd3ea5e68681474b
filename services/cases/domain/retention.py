"""How long the personal data of a closed case is kept (per regime, in the workflow file's `retention`): once every
case of a person has been closed that long, the person is erased by crypto-shredding; the case's legal facts stay."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.cases.domain.rules import add_months


@dataclass(frozen=True)
class RetentionRules:
    closed_case_months: int = 60


@dataclass(frozen=True)
class ClosedCase:
    case_id: str
    person_code: str
    regime: str
    closed_on: date | None


def kept_until(case: ClosedCase, rules: RetentionRules) -> date | None:
    return add_months(case.closed_on, rules.closed_case_months) if case.closed_on else None


def past_retention(cases: list[ClosedCase], all_cases_of_person: int, rules_of, today: date) -> bool:
    """Every case of the person is closed (`cases` holds them all) and past its regime's retention."""
    return len(cases) == all_cases_of_person and all(
        (until := kept_until(c, rules_of(c.regime))) is not None and until < today for c in cases)
