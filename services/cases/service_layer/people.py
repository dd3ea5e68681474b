"""Registering, finding and merging the people cases are about."""
from __future__ import annotations

from dataclasses import replace

import phonenumbers

from shared import areas
from shared.auth import Principal
from shared.clock import Clock
from shared.errors import Conflict, InvalidInput, NotAuthorised, NotFound
from shared.audit_changes import audited_change
from shared.ports import AuditTrail

from services.cases.domain.access import CASE_OFFICERS, IDENTITY, IDENTITY_CONTACT, sections_for
from services.cases.domain.commands import ErasePerson, MergePeople, RegisterPerson
from services.cases.domain.person import PersonRecord, guardian_problem, national_id_problem
from services.cases.domain.rules import check_reason
from services.cases.domain.queries import FindPeople, ReadPerson
from services.cases.service_layer.ports import CaseViews, NationalIdTaken, PeopleRegister
from services.cases.service_layer.presenting import visible_person

PERSON_SECTIONS = {IDENTITY, IDENTITY_CONTACT}


def normalised_phone(field: str, raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        number = phonenumbers.parse(raw, "VN")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise InvalidInput.field(field, "is not a valid Vietnamese phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def communes_in(area_codes) -> set[str]:
    return {code for area in area_codes for code in
            ([c for c, _ in areas.communes_of(area)] if areas.is_province(area) else [area])}


def _already_registered(holder: str) -> Conflict:
    return Conflict("a person with this national ID number is already registered", duplicate_of=[holder])


class Registration:
    """The register as the caller may use it: the rules a registration must pass, and who may see whom.
    `field_prefix` names the fields where the person is part of a larger request (`person.` in a new case); an
    import passes its own `person_code`, so registering the same row again is not a duplicate."""

    def __init__(self, register: PeopleRegister, audit: AuditTrail, clock: Clock):
        self.register, self.audit, self.clock = register, audit, clock

    def check(self, command: RegisterPerson, principal: Principal, field_prefix: str = "",
              person_code: str | None = None) -> None:
        """Every rule a registration must pass, before anything is written."""
        if not principal.has_role(*CASE_OFFICERS) or not areas.within_any(principal.areas, command.residence_code):
            raise NotAuthorised("you may register people only in your jurisdiction")
        self._check_age(command, field_prefix)
        if command.national_id:
            self._check_national_id(command, field_prefix, person_code)
        self._check_name_and_birth(command, person_code)
        normalised_phone(f"{field_prefix}phone", command.phone)
        if command.guardian:
            normalised_phone(f"{field_prefix}guardian.phone", command.guardian.phone)

    def _check_age(self, command: RegisterPerson, field_prefix: str) -> None:
        today = self.clock.today()
        if command.birth_date > today:
            raise InvalidInput.field(f"{field_prefix}birth_date", "is in the future")
        problem = guardian_problem(command.birth_date, today, command.guardian)
        if problem:
            raise InvalidInput.field(problem[0].replace("person.", field_prefix), problem[1])

    def _check_national_id(self, command: RegisterPerson, field_prefix: str, person_code: str | None) -> None:
        reason = national_id_problem(command.national_id, command.birth_date, command.sex)
        if reason:
            raise InvalidInput.field(f"{field_prefix}national_id", reason)
        holder = self.register.holder_of(command.national_id)
        if holder and holder != person_code:
            raise _already_registered(holder)

    def _check_name_and_birth(self, command: RegisterPerson, person_code: str | None) -> None:
        candidates = [c for c in self.register.same_name_and_birth(command.full_name, command.birth_date)
                      if c not in command.not_duplicate_of and c != person_code and not self.register.is_merged(c)]
        if candidates:
            raise Conflict("a person with the same name and date of birth is registered; confirm with "
                           "not_duplicate_of if this is someone else", duplicate_of=candidates)

    def store(self, command: RegisterPerson, principal: Principal, field_prefix: str = "",
              person_code: str | None = None) -> PersonRecord:
        """Add a person who passed `check`."""
        guardian = command.guardian
        if guardian and guardian.phone:
            guardian = replace(guardian, phone=normalised_phone(f"{field_prefix}guardian.phone", guardian.phone))
        phone = normalised_phone(f"{field_prefix}phone", command.phone)
        intent = self.audit.record(principal, "register", "person", person_code or "-", PERSON_SECTIONS,
                                   outcome="intended")
        try:
            person = self.register.add(
                full_name=command.full_name, birth_date=command.birth_date, sex=command.sex,
                residence_code=command.residence_code, national_id=command.national_id, phone=phone,
                address=command.address, guardian=guardian, person_code=person_code)
        except Exception as failure:
            self.audit.record(principal, "register", "person", person_code or "-", PERSON_SECTIONS, outcome="failed",
                              intent=intent)
            if isinstance(failure, NationalIdTaken):
                raise _already_registered(failure.person_code) from None
            raise
        self.audit.record(principal, "register", "person", person.person_code, PERSON_SECTIONS, intent=intent)
        return person

    def named(self, person_code: str, principal: Principal, field: str) -> PersonRecord:
        """The person a request's `field` names: one the caller may not see is an invalid field (422), not a
        missing resource."""
        try:
            return self.visible(person_code, principal)[0]
        except NotFound:
            raise InvalidInput.field(field, f"no person {person_code} in your jurisdiction") from None

    def visible(self, person_code: str, principal: Principal) -> tuple[PersonRecord, set[str]]:
        person = self.register.get(person_code)
        sections = sections_for(principal.roles) & PERSON_SECTIONS
        if person is None or IDENTITY not in sections or not areas.within_any(principal.areas,
                                                                              person.residence_code):
            raise NotFound(f"no person {person_code} in your jurisdiction")
        return person, sections


def register_person(command: RegisterPerson, principal: Principal, registration: Registration) -> dict:
    """Add a person after the checks; a likely duplicate answers 409 naming the existing records."""
    registration.check(command, principal)
    person = registration.store(command, principal)
    return visible_person(person, sections_for(principal.roles) & PERSON_SECTIONS)


def merge_people(command: MergePeople, principal: Principal, registration: Registration, people: PeopleRegister,
                 audit: AuditTrail) -> dict:
    """Two records of one person: the duplicate points at the survivor; each keeps its cases and history."""
    if command.person_code == command.into:
        raise InvalidInput.field("into", "is the record being merged")
    duplicate, sections = registration.visible(command.person_code, principal)
    survivor = registration.named(command.into, principal, "into")
    if not principal.has_role(*CASE_OFFICERS):
        raise NotAuthorised("only caseworkers and police liaison officers merge records")
    if duplicate.merged_into:
        raise Conflict(f"{command.person_code} is already merged into {duplicate.merged_into}")
    if survivor.merged_into:
        raise InvalidInput.field("into", f"{command.into} is itself merged into {survivor.merged_into}")
    purpose = f"into {command.into}"
    intent = audit.record(principal, "merge_person", "person", command.person_code, sections, outcome="intended",
                          purpose=purpose)
    people.merge(command.person_code, command.into)
    audit.record(principal, "merge_person", "person", command.person_code, sections, purpose=purpose, intent=intent)
    return read_person(ReadPerson(command.person_code), principal, registration, audit)


def erase_person(command: ErasePerson, principal: Principal, people: PeopleRegister, views: CaseViews,
                 audit: AuditTrail) -> bool:
    """The person's ID number, phone, address and every sealed record of their cases become unreadable for good,
    wherever they were copied; the audit keeps who did it and why."""
    if not principal.has_role("admin"):
        raise NotAuthorised("only an administrator erases a person")
    check_reason(command.reason)
    with audited_change(audit, principal, "erase_person", "person", command.person_code, purpose=command.reason):
        return people.erase(command.person_code, command.reason, views.case_count_of(command.person_code))


def read_person(query: ReadPerson, principal: Principal, registration: Registration, audit: AuditTrail) -> dict:
    person, sections = registration.visible(query.person_code, principal)
    audit.record(principal, "read", "person", query.person_code, sections)
    return visible_person(person, sections)


def find_people(query: FindPeople, principal: Principal, views: CaseViews, audit: AuditTrail) -> list[dict]:
    """People in the caller's jurisdiction by name (diacritics optional), ID number or commune."""
    sections = sections_for(principal.roles) & PERSON_SECTIONS
    if IDENTITY not in sections:
        raise NotAuthorised("your role does not search people")
    communes = communes_in(principal.areas)
    if query.commune_code:
        communes &= {query.commune_code}
    found = views.people(sorted(communes), name=query.name, national_id=query.national_id)
    audit.record_many(principal, "search", "person", [p.person_code for p in found], sections)
    return [visible_person(p, sections) for p in found]


HANDLERS = {RegisterPerson: register_person, MergePeople: merge_people, ReadPerson: read_person,
            FindPeople: find_people, ErasePerson: erase_person}
