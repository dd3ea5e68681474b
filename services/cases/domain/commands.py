"""What callers ask the cases service to do. A command that changes an existing case carries the version the
caller last read (`If-Match`), or None to change whatever is current."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from shared.envelope import Envelope

from services.cases.domain.consent import ConsentTerms
from services.cases.domain.person import Guardian
from services.cases.domain.workflow import Decision


@dataclass(frozen=True)
class RegisterPerson:
    full_name: str
    birth_date: date
    sex: str
    residence_code: str
    national_id: str | None = None
    phone: str | None = None
    address: str | None = None
    guardian: Guardian | None = None
    not_duplicate_of: tuple[str, ...] = ()


@dataclass(frozen=True)
class OpenCase:
    commune_code: str
    opened_on: date
    person: RegisterPerson | None = None
    person_code: str | None = None
    stage: str = "user_management"


@dataclass(frozen=True)
class AssignWorker:
    case_id: str
    worker_id: str
    expected_version: int | None = None


@dataclass(frozen=True)
class TransitionCase:
    case_id: str
    transition: str
    effective_on: date
    decision: Decision = field(default_factory=Decision)
    expected_version: int | None = None


@dataclass(frozen=True)
class ChangePhase:
    case_id: str
    phase: str
    effective_on: date
    expected_version: int | None = None


@dataclass(frozen=True)
class RecordDrugTest:
    case_id: str
    tested_on: date
    result: str
    substances: tuple[str, ...] = ()
    expected_version: int | None = None


@dataclass(frozen=True)
class BreakGlass:
    case_id: str
    section: str
    reason_code: str
    reason: str


@dataclass(frozen=True)
class RevokeAccess:
    """The treating clinic closes a section someone opened by breaking the glass."""
    case_id: str
    grant_id: str
    reason: str


@dataclass(frozen=True)
class RecordConsent:
    """The person's consent (or an exception the law names) to let a unit read protected sections."""
    case_id: str
    terms: ConsentTerms
    expected_version: int | None = None


@dataclass(frozen=True)
class RevokeConsent:
    case_id: str
    consent_id: str
    reason: str
    expected_version: int | None = None


@dataclass(frozen=True)
class RecordUnit:
    """A unit of the province's directory, as the plans service registered it."""
    unit_code: str
    kind: str
    version: int


@dataclass(frozen=True)
class ShareCase:
    """Refer the case to a unit (`to_unit`) or transfer it to a commune (`to_commune`)."""
    case_id: str
    kind: str
    reason: str
    to_unit: str | None = None
    to_commune: str | None = None
    expected_version: int | None = None
    consent: ConsentTerms | None = None


@dataclass(frozen=True)
class SettleShare:
    case_id: str
    share_id: str
    status: str
    reason: str
    expected_version: int | None = None


@dataclass(frozen=True)
class PlanFollowUp:
    case_id: str
    every_days: int
    first_on: date
    expected_version: int | None = None


@dataclass(frozen=True)
class RecordVisit:
    case_id: str
    visited_on: date
    kind: str
    outcome: str
    notes: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class RecordSupport:
    case_id: str
    kind: str
    provided_on: date
    amount_vnd: int | None = None
    funding_source: str | None = None
    details: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class ChangeOstPhase:
    case_id: str
    phase: str
    effective_on: date
    expected_version: int | None = None


@dataclass(frozen=True)
class RecordDose:
    case_id: str
    given_on: date
    missed: bool = False
    dose_mg: float | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class RecordOstBreach:
    case_id: str
    kind: str
    occurred_on: date
    description: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class DismissTermination:
    case_id: str
    proposal_id: str
    reason: str
    expected_version: int | None = None


@dataclass(frozen=True)
class MergePeople:
    """Two records of one person: `person_code` is the duplicate, `into` the record that stays."""
    person_code: str
    into: str


@dataclass(frozen=True)
class ErasePerson:
    """Destroy a person's data key (crypto-shredding): an operator's act on the person's request or at the end of
    the retention period, with the reason."""
    person_code: str
    reason: str


@dataclass(frozen=True)
class CheckCaseImport:
    """Check one register row before anything of the import is written; the ids derive from the row."""
    opening: OpenCase
    case_id: str
    person_code: str


@dataclass(frozen=True)
class ImportCase:
    opening: OpenCase
    case_id: str
    person_code: str


@dataclass(frozen=True)
class ImportRegister:
    """A commune's register uploaded through the API, as uploaded: read (at most `max_rows` rows) only once the
    caller may import, every row checked before any is imported, as the command line's import checks them."""
    upload: bytes
    max_rows: int


@dataclass(frozen=True)
class ResealLegacy:
    """Once, after upgrading a system from a release before each person had a data key: what that release
    sealed with the service-wide key or kept in the clear is sealed under the person's key, so that erasing the
    person erases it too."""


@dataclass(frozen=True)
class PurgeExpired:
    """The retention timer's tick: erase the people all of whose cases are closed past their regime's retention."""


@dataclass(frozen=True)
class NoticeDueDates:
    """The timer's tick: append the due-soon and overdue notices now owed."""


@dataclass(frozen=True)
class NoteAlertStep:
    """A step of an alert about a case (raised, acknowledged, escalated, resolved), as the notifications service
    published it."""
    event: Envelope


@dataclass(frozen=True)
class NoteAlertSteps:
    """Several such steps at once, as the worker's consumer takes them from the queue."""
    events: list[Envelope]


@dataclass(frozen=True)
class CountCase:
    """Count the case where it is now (its commune and stage), after an event that may have moved it."""
    case_id: str


@dataclass(frozen=True)
class CountEachCase:
    """`CountCase` for several cases at once, as the worker's consumer takes their events from the queue."""
    case_ids: list[str]


@dataclass(frozen=True)
class RebuildCaseCounts:
    """Count every case again from the snapshots (a system that had cases before the counts existed)."""
