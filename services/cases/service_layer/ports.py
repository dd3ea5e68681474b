"""What the use cases need from storage and the read model, as protocols: bootstrap.py wires the mongoengine
adapters in, and tests may pass their own."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from shared.envelope import Envelope

from services.cases.domain.alerts import CaseAlertLog
from services.cases.domain.counts import CommuneCount, OpeningSpan, Placement
from services.cases.domain.person import Guardian, PersonRecord


class NationalIdTaken(Exception):
    """The register already holds another person under this national ID number."""

    def __init__(self, person_code: str):
        super().__init__(person_code)
        self.person_code = person_code


class PeopleRegister(Protocol):
    def get(self, person_code: str) -> PersonRecord | None: ...

    def add(self, *, full_name: str, birth_date: date, sex: str, residence_code: str, national_id: str | None,
            phone: str | None, address: str | None, guardian: Guardian | None,
            person_code: str | None = None) -> PersonRecord:
        """Raises NationalIdTaken; with a given `person_code` (an import), adding the same person again returns
        them."""

    def holder_of(self, national_id: str) -> str | None: ...

    def same_name_and_birth(self, full_name: str, birth_date: date) -> list[str]: ...

    def is_merged(self, person_code: str) -> bool: ...

    def merge(self, duplicate: str, survivor: str) -> None: ...

    def erase(self, person_code: str, reason: str, cases: int) -> bool:
        """Destroy the person's data key and leave a tombstone (when, why, how many cases); False when the person
        was erased before."""

    def erased(self, person_code: str) -> bool: ...

    def reseal_legacy(self) -> int:
        """Fields sealed with the service-wide key sealed again under each person's key; how many people changed."""


@dataclass(frozen=True)
class CaseRow:
    """A case as lists show it, from the snapshot the read model keeps."""
    id: str
    version: int
    case_number: str
    person_code: str
    commune_code: str
    stage: str
    regime: str
    opened_on: str
    assigned_worker: str | None
    next_due_on: str | None
    due: dict[str, str] = field(default_factory=dict)

    @property
    def position(self) -> str:
        """Where the row stands in a list newest first (`ListCases.after`)."""
        return f"{self.opened_on}/{self.id}"


@dataclass(frozen=True)
class OpenProposal:
    """A methadone termination proposal awaiting the treating clinic's decision."""
    case_id: str
    case_number: str
    proposal_id: str
    ground: str
    proposed_on: str


class CaseCounter(Protocol):
    """The case counts projection (services/cases/adapters/counts.py)."""

    def place(self, case_id: str, after: Placement) -> None: ...

    def rows(self, communes) -> dict[str, CommuneCount]:
        """None at all while the counts are not complete."""

    def complete(self) -> bool: ...

    def rebuild(self, communes) -> int: ...


class UnitDirectory(Protocol):
    """The province's units as the plans service registers them (services/cases/adapters/directory.py)."""

    def kind_of(self, unit_code: str) -> str | None: ...

    def keep(self, unit_code: str, kind: str, version: int) -> None: ...


class CaseViews(Protocol):
    """The read model (services/cases/views.py): every list, search and stream query of the service."""

    def page(self, communes: list[str], filters, person_codes: list[str] | None, first: int,
             limit: int, after: str | None = None) -> tuple[list[CaseRow], int]: ...

    def newest(self, communes: list[str], stage: str | None, first: int, limit: int, after: str | None,
               span: OpeningSpan) -> list[CaseRow]:
        """A page of `page`'s order without its count, read back by opening day over `span`."""

    def assigned_due(self, worker: str, horizon: date) -> list[CaseRow]: ...

    def open_proposals(self, clinic_unit: str) -> list[OpenProposal]: ...

    def owing_notices(self, days: list[date]) -> list[str]: ...

    def with_due_until(self, day: date) -> list[str]: ...

    def closed_cases(self) -> list:
        """Every closed case (`retention.ClosedCase`)."""

    def case_count_of(self, person_code: str) -> int: ...

    def grants_on(self, case_id: str) -> list:
        """Every break-the-glass access to the case (`grants.AccessGrant`), revoked and expired ones too."""

    def steps(self, case_id: str, known_version: int = 0) -> list[tuple[Envelope, object]]:
        """The case's stream, oldest first, each stored envelope with its domain event; `known_version`, a version
        just read, lets the events up to it be fetched together."""

    def alert_log(self, case_id: str) -> CaseAlertLog | None:
        """The alerts about the case (a stream of their own), as they are now; None when none was noted."""

    def alert_steps(self, case_id: str) -> list[tuple[Envelope, object]]:
        """The case's alert log, oldest first, each stored envelope with its domain event."""

    def people(self, communes: list[str], name: str | None, national_id: str | None,
               limit: int = 50) -> list[PersonRecord]: ...

    def person_codes(self, communes: list[str], name: str | None, national_id: str | None,
                     limit: int = 500) -> list[str]: ...
