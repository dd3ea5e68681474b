"""Registering and finding the people cases are about."""
from __future__ import annotations

from dataclasses import replace

import phonenumbers

from shared import areas, audit
from shared.auth import Principal
from shared.errors import Conflict, InvalidInput, NotAuthorised, NotFound

from services.cases.adapters.people import NationalIdTaken, PeopleRegister, PersonRecord
from services.cases.domain.access import IDENTITY, IDENTITY_CONTACT, sections_for
from services.cases.domain.commands import RegisterPerson
from services.cases.domain.person import guardian_problem, national_id_problem

REGISTRARS = ("caseworker", "police_liaison")


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


class PeopleService:
    def __init__(self, register: PeopleRegister, today):
        self.register_ = register
        self.today = today

    def register(self, command: RegisterPerson, principal: Principal, field_prefix: str = "",
                 person_code: str | None = None) -> PersonRecord:
        """Add a person after the checks; a likely duplicate answers 409 naming the existing records.
        An import passes its own `person_code`, so that registering the same row again is not a duplicate."""
        self.check(command, principal, field_prefix, person_code)
        guardian = command.guardian
        if guardian and guardian.phone:
            guardian = replace(guardian, phone=normalised_phone(f"{field_prefix}guardian.phone", guardian.phone))
        try:
            person = self.register_.add(
                full_name=command.full_name, birth_date=command.birth_date, sex=command.sex,
                residence_code=command.residence_code, national_id=command.national_id,
                phone=normalised_phone(f"{field_prefix}phone", command.phone), address=command.address,
                guardian=guardian, person_code=person_code)
        except NationalIdTaken as taken:
            raise Conflict("a person with this national ID number is already registered",
                           duplicate_of=[taken.person_code]) from None
        audit.record(principal, "register", "person", person.person_code, {IDENTITY, IDENTITY_CONTACT})
        return person

    def check(self, command: RegisterPerson, principal: Principal, field_prefix: str = "",
              person_code: str | None = None) -> None:
        """Every rule a registration must pass, before anything is written."""
        if not principal.has_role(*REGISTRARS) or not areas.within_any(principal.areas, command.residence_code):
            raise NotAuthorised("you may register people only in your jurisdiction")
        today = self.today()
        if command.birth_date > today:
            raise InvalidInput.field(f"{field_prefix}birth_date", "is in the future")
        problem = guardian_problem(command.birth_date, today, command.guardian)
        if problem:
            raise InvalidInput.field(problem[0].replace("person.", field_prefix), problem[1])
        if command.national_id:
            reason = national_id_problem(command.national_id, command.birth_date, command.sex)
            if reason:
                raise InvalidInput.field(f"{field_prefix}national_id", reason)
            holder = self.register_.holder_of(command.national_id)
            if holder and holder != person_code:
                raise Conflict("a person with this national ID number is already registered", duplicate_of=[holder])
        candidates = [c for c in self.register_.same_name_and_birth(command.full_name, command.birth_date)
                      if c not in command.not_duplicate_of and c != person_code
                      and not self.register_.is_merged(c)]
        if candidates:
            raise Conflict("a person with the same name and date of birth is registered; confirm with "
                           "not_duplicate_of if this is someone else", duplicate_of=candidates)
        normalised_phone(f"{field_prefix}phone", command.phone)
        if command.guardian:
            normalised_phone(f"{field_prefix}guardian.phone", command.guardian.phone)

    def merge(self, duplicate_code: str, survivor_code: str, principal: Principal) -> dict:
        """Two records of one person: the duplicate points at the survivor; each keeps its cases and history."""
        if duplicate_code == survivor_code:
            raise InvalidInput.field("into", "is the record being merged")
        duplicate, sections = self.get(duplicate_code, principal)
        survivor, _ = self.get(survivor_code, principal)
        if not principal.has_role(*REGISTRARS):
            raise NotAuthorised("only caseworkers and police liaison officers merge records")
        if duplicate.merged_into:
            raise Conflict(f"{duplicate_code} is already merged into {duplicate.merged_into}")
        if survivor.merged_into:
            raise InvalidInput.field("into", f"{survivor_code} is itself merged into {survivor.merged_into}")
        self.register_.merge(duplicate_code, survivor_code)
        audit.record(principal, "merge_person", "person", duplicate_code, sections, purpose=f"into {survivor_code}")
        return self.view(duplicate_code, principal)

    def view(self, person_code: str, principal: Principal) -> dict:
        person, sections = self.get(person_code, principal)
        audit.record(principal, "read", "person", person_code, sections)
        return visible_person(person, sections)

    def find(self, principal: Principal, **filters) -> list[dict]:
        people, sections = self.search(principal, **filters)
        audit.record_many(principal, "search", "person", [p.person_code for p in people], sections)
        return [visible_person(p, sections) for p in people]

    def get(self, person_code: str, principal: Principal) -> tuple[PersonRecord, set[str]]:
        person = self.register_.get(person_code)
        sections = sections_for(principal.roles) & {IDENTITY, IDENTITY_CONTACT}
        if person is None or IDENTITY not in sections or not areas.within_any(principal.areas,
                                                                              person.residence_code):
            raise NotFound(f"no person {person_code} in your jurisdiction")
        return person, sections

    def search(self, principal: Principal, name=None, national_id=None, commune_code=None):
        sections = sections_for(principal.roles) & {IDENTITY, IDENTITY_CONTACT}
        if IDENTITY not in sections:
            raise NotAuthorised("your role does not search people")
        communes = communes_in(principal.areas)
        if commune_code:
            communes &= {commune_code}
        return self.register_.search(sorted(communes), name=name, national_id=national_id), sections


def communes_in(area_codes) -> set[str]:
    return {code for area in area_codes for code in
            ([c for c, _ in areas.communes_of(area)] if areas.is_province(area) else [area])}


def visible_person(person: PersonRecord | None, sections: set[str]) -> dict | None:
    """The person's fields the caller's sections allow; nothing at all without IDENTITY."""
    if person is None or IDENTITY not in sections:
        return None
    shown = {"person_code": person.person_code, "full_name": person.full_name, "birth_date": person.birth_date,
             "sex": person.sex, "residence_code": person.residence_code, "merged_into": person.merged_into}
    if IDENTITY_CONTACT in sections:
        shown.update(national_id=person.national_id, phone=person.phone, address=person.address,
                     guardian=vars(person.guardian) if person.guardian else None)
    return shown
