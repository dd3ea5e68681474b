"""Lists of cases: the caller's jurisdiction filtered as people search, the caller's own work by due date, and
the list as a spreadsheet with the columns the caller's role may see. Every case listed is audited."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from shared import areas
from shared.auth import Principal
from shared.clock import Clock
from shared.errors import InvalidInput, NotAuthorised
from shared.ports import AuditTrail

from services.cases.domain.access import (CASE_READERS, CLINICAL, CLINICIANS, EXPORT_PURPOSES, IDENTITY,
                                          IDENTITY_CONTACT, LEGAL, UNLISTED, sections_for)
from services.cases.domain.counts import OpeningSpan
from services.cases.domain.queries import CaseFilters, ExportCases, ListCases, MyWork
from services.cases.service_layer.people import communes_in
from services.cases.service_layer.ports import CaseCounter, CaseRow, CaseViews, PeopleRegister

CASE_COLUMNS = ("case_number", "person_code", "commune_code", "stage", "regime", "opened_on", "next_due_on",
                "assigned_worker")
IDENTITY_COLUMNS = ("full_name", "birth_date", "sex")
CONTACT_COLUMNS = ("national_id", "phone", "address")


DEEPEST_COUNTED_PAGE = 5000
"""How deep into a list read back by opening day a `page` may start: every case before it is read and decoded."""


class Listing:
    """Where a list is read from. Above `counted_above` matching cases by the counts, a list that filters on
    commune and stage at most is read back by opening day with its total from the counts (counting through FerretDB
    costs about 0.15 ms a matching case: 15 s for a province); at or below it, the snapshots are counted, exact at
    once, while the counts follow the log through a consumer."""

    def __init__(self, views: CaseViews, counts: CaseCounter, counted_above: int):
        self.views, self.counts, self.counted_above = views, counts, counted_above

    def matching(self, filters: CaseFilters, principal: Principal, first: int, limit: int,
                 after: str | None = None, at_most: int | None = None) -> tuple[list[CaseRow], int]:
        """The page and how many match; no page when more than `at_most` match."""
        if not principal.has_role(*CASE_READERS):
            raise NotAuthorised("your role does not list cases")
        communes = communes_in(principal.areas)
        if filters.commune_code is not None:
            communes &= {filters.commune_code}
        person_codes = None
        if filters.q or filters.national_id:
            if IDENTITY not in sections_for(principal.roles):
                raise NotAuthorised("your role does not search by identity")
            person_codes = self.views.person_codes(sorted(communes), filters.q, filters.national_id)
        if person_codes is None and _by_area_and_stage_only(filters):
            span = OpeningSpan.of(self.counts.rows(communes).values(), filters.stage)
            if span is not None and span.cases > self.counted_above:
                if (at_most is not None and span.cases > at_most) or (after is None and first >= span.cases):
                    return [], span.cases
                if after is None and first > DEEPEST_COUNTED_PAGE:
                    raise InvalidInput.field("page", f"starts more than {DEEPEST_COUNTED_PAGE} cases into a list of "
                                                     f"{span.cases}: follow X-Next-After (after) instead")
                return self.views.newest(sorted(communes), filters.stage, first, limit, after, span), span.cases
        return self.views.page(sorted(communes), filters, person_codes, first, limit, after)


def _by_area_and_stage_only(filters: CaseFilters) -> bool:
    return not any((filters.assigned_worker, filters.case_number, filters.q, filters.national_id, filters.due_from,
                    filters.due_until))


def list_cases(query: ListCases, principal: Principal, listing: Listing,
               audit: AuditTrail) -> tuple[list[CaseRow], int]:
    """Cases in the caller's jurisdiction, newest first, and how many match."""
    rows, total = listing.matching(query.filters, principal, query.first, query.limit, query.after)
    audit.record_many(principal, "list", "case", [r.id for r in rows], sections_for(principal.roles) - UNLISTED)
    return rows, total


def export_cases(query: ExportCases, principal: Principal, listing: Listing, people: PeopleRegister,
                 audit: AuditTrail, export_max_rows: int) -> tuple[list[str], list[list]]:
    """The filtered case list as rows for a spreadsheet, with only the columns the caller's sections allow, for
    one of the purposes an export may have and at most `export_max_rows` cases; audited per case and as one export
    with its purpose and row count."""
    if query.purpose not in EXPORT_PURPOSES:
        raise InvalidInput.field("purpose", f"must be one of {', '.join(EXPORT_PURPOSES)}")
    rows, total = listing.matching(query.filters, principal, 0, export_max_rows, at_most=export_max_rows)
    if total > export_max_rows:
        raise InvalidInput.field("filters", f"match {total} cases, more than the {export_max_rows} an export may "
                                            "hold; narrow them (commune_code, stage, assigned_worker, due dates)")
    sections = sections_for(principal.roles)
    person_columns = (IDENTITY_COLUMNS if IDENTITY in sections else ()) + \
        (CONTACT_COLUMNS if IDENTITY_CONTACT in sections else ())
    table = [_export_row(row, people if IDENTITY in sections else None, person_columns) for row in rows]
    audit.record_many(principal, "export", "case", [r.id for r in rows], sections)
    audit.record(principal, "export", "case_list", uuid.uuid4().hex, sections, purpose=query.purpose, rows=len(rows))
    return [*CASE_COLUMNS, *person_columns], table


def _export_row(row: CaseRow, people: PeopleRegister | None, person_columns) -> list:
    person = people.get(row.person_code) if people else None
    return [getattr(row, c) for c in CASE_COLUMNS] + [getattr(person, c) if person else None for c in person_columns]


def my_work(query: MyWork, principal: Principal, views: CaseViews, clock: Clock,
            audit: AuditTrail) -> dict[str, list]:
    """The caller's assigned cases whose next due date has passed or comes within `within_days`, and for a
    clinic's health workers the methadone termination proposals awaiting its decision."""
    horizon = clock.today() + timedelta(days=query.within_days)
    assigned = sorted((r for r in views.assigned_due(principal.subject, horizon)
                       if areas.within_any(principal.areas, r.commune_code)), key=lambda r: r.next_due_on)
    clinic = principal.unit if principal.unit and principal.has_role(*CLINICIANS) else None
    proposals = sorted((vars(p) for p in views.open_proposals(clinic)), key=lambda p: p["proposed_on"]) \
        if clinic else []
    audit.record_many(principal, "my_work", "case", [r.id for r in assigned], {LEGAL})
    audit.record_many(principal, "my_work", "case", [p["case_id"] for p in proposals], {CLINICAL})
    today = clock.today().isoformat()
    return {"overdue": [_work_item(r, horizon) for r in assigned if r.next_due_on < today],
            "due_soon": [_work_item(r, horizon) for r in assigned if r.next_due_on >= today],
            "termination_proposals": proposals}


def _work_item(row: CaseRow, horizon: date) -> dict:
    return {"case_id": row.id, "case_number": row.case_number, "stage": row.stage, "next_due_on": row.next_due_on,
            "due": {name: on for name, on in row.due.items() if on <= horizon.isoformat()}}


HANDLERS = {ListCases: list_cases, ExportCases: export_cases, MyWork: my_work}
