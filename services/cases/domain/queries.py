"""What callers ask to read; service_layer/reads.py and people.py answer, through the read model (views.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ReadCase:
    """`with_history`, `with_transitions`: the case page's reads in one (one access check, one audit entry)."""
    case_id: str
    with_history: bool = False
    with_transitions: bool = False


@dataclass(frozen=True)
class AllowedTransitions:
    """The workflow steps the caller may take on the case now."""
    case_id: str


@dataclass(frozen=True)
class ListWorkflows:
    pass


@dataclass(frozen=True)
class CaseFilters:
    """How people look for cases: a name typed with or without diacritics, an ID number, a case number, a stage,
    a worker, a range of the next due date."""
    commune_code: str | None = None
    stage: str | None = None
    assigned_worker: str | None = None
    case_number: str | None = None
    q: str | None = None
    national_id: str | None = None
    due_from: date | None = None
    due_until: date | None = None


@dataclass(frozen=True)
class ListCases:
    """`after`: the last case of the page before, as `CaseRow.position` gives it (keyset paging); else `first`."""
    filters: CaseFilters = CaseFilters()
    first: int = 0
    limit: int = 50
    after: str | None = None


@dataclass(frozen=True)
class CountCases:
    """How many cases each commune of the caller's areas holds in each stage."""
    commune_code: str | None = None


@dataclass(frozen=True)
class ExportCases:
    """The filtered list as a spreadsheet, for a stated purpose (`access.EXPORT_PURPOSES`)."""
    purpose: str
    filters: CaseFilters = CaseFilters()


@dataclass(frozen=True)
class MyWork:
    within_days: int = 7


@dataclass(frozen=True)
class CaseHistory:
    case_id: str
    user: str | None = None
    field: str | None = None


@dataclass(frozen=True)
class DoseLog:
    case_id: str


@dataclass(frozen=True)
class ReadPerson:
    person_code: str


@dataclass(frozen=True)
class FindPeople:
    name: str | None = None
    national_id: str | None = None
    commune_code: str | None = None


@dataclass(frozen=True)
class AccountDisclosures:
    """Every disclosure of a case: who read which section, exports and lists that held it, break-the-glass, the
    alerts that named it (42 CFR Part 2's accounting of disclosures)."""
    case_id: str
