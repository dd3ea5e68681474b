"""The people register: encrypted identity fields, keyed-hash lookups, duplicate candidates, name search."""
from __future__ import annotations

import itertools
import secrets
from datetime import date, datetime, timezone

from mongoengine.errors import NotUniqueError

from shared.crypto import FieldCipher
from shared.errors import Erased
from shared.keys import OwnerCipher

from services.cases.adapters.documents import Erasure, NameBirthClaim, NationalIdClaim, Person
from services.cases.domain.person import Guardian, PersonRecord, normalise_name
from services.cases.service_layer.ports import NationalIdTaken


ERASED_NAME = "(đã xóa / erased)"
ERASED_CLAIM = "-"
"""An erased person's name-and-birth claim keeps its place in the numbered run (the lookups stop at the first
gap) but names nobody."""


SEALED_PERSON_FIELDS = ("national_id_enc", "phone_enc", "address_enc")


def _context(person_code: str, field: str) -> str:
    return f"person:{person_code}:{field}"


def id_hash(cipher: FieldCipher, national_id: str) -> str:
    return cipher.lookup_hash(national_id, "national_id")


def person_record(person: Person, sealer: OwnerCipher) -> PersonRecord:
    """A stored person, decrypted (fields of an erased person read as None)."""
    dec = lambda token, field: sealer.decrypt(token, _context(person.person_code, field))  # noqa: E731
    guardian = None
    if person.guardian:
        guardian = Guardian(full_name=person.guardian["full_name"], relation=person.guardian["relation"],
                            phone=dec(person.guardian.get("phone_enc"), "guardian_phone"))
    return PersonRecord(person_code=person.person_code, full_name=person.full_name,
                        birth_date=date.fromisoformat(person.birth_date), sex=person.sex,
                        residence_code=person.residence_code, national_id=dec(person.national_id_enc, "national_id"),
                        phone=dec(person.phone_enc, "phone"), address=dec(person.address_enc, "address"),
                        guardian=guardian, merged_into=person.merged_into)


class PeopleRegister:
    """`cipher` keys the lookup hashes; `sealer` seals each person's fields with the person's own data key."""

    def __init__(self, cipher: FieldCipher, sealer: OwnerCipher):
        self.cipher, self.sealer = cipher, sealer

    def id_hash(self, national_id: str) -> str:
        return id_hash(self.cipher, national_id)

    def holder_of(self, national_id: str) -> str | None:
        claim = NationalIdClaim.objects(national_id_hash=self.id_hash(national_id)).first()
        return claim.person_code if claim else None

    def _name_birth_key(self, full_name: str, birth_date: date) -> str:
        return self.cipher.lookup_hash(f"{normalise_name(full_name)}|{birth_date.isoformat()}", "name_birth")

    def same_name_and_birth(self, full_name: str, birth_date: date) -> list[str]:
        key, codes = self._name_birth_key(full_name, birth_date), []
        for n in itertools.count(1):
            claim = NameBirthClaim.objects(key=f"{key}#{n}").first()
            if claim is None:
                return codes
            if claim.person_code != ERASED_CLAIM:
                codes.append(claim.person_code)

    def _claim_name_birth(self, full_name: str, birth_date: date, person_code: str) -> None:
        key = self._name_birth_key(full_name, birth_date)
        for n in itertools.count(1):
            existing = NameBirthClaim.objects(key=f"{key}#{n}").first()
            if existing is not None:
                if existing.person_code == person_code:
                    return
                continue
            try:
                NameBirthClaim(key=f"{key}#{n}", person_code=person_code).save(force_insert=True)
                return
            except NotUniqueError:
                continue

    def add(self, *, full_name: str, birth_date: date, sex: str, residence_code: str, national_id: str | None,
            phone: str | None, address: str | None, guardian: Guardian | None,
            person_code: str | None = None) -> PersonRecord:
        """Add a person; with a given `person_code` (an import), adding the same person again returns it."""
        code = person_code or f"P{secrets.token_hex(6).upper()}"
        if person_code and (existing := self.get(person_code)) is not None:
            return existing
        enc = lambda value, field: self.sealer.encrypt(code, value, _context(code, field))  # noqa: E731
        id_hash = self.id_hash(national_id) if national_id else None
        if id_hash:
            try:
                NationalIdClaim(national_id_hash=id_hash, person_code=code).save(force_insert=True)
            except NotUniqueError:
                if self.holder_of(national_id) != code:
                    raise NationalIdTaken(self.holder_of(national_id)) from None
        self._claim_name_birth(full_name, birth_date, code)
        Person(person_code=code, full_name=full_name, search_name=normalise_name(full_name),
               name_dob_key=f"{normalise_name(full_name)}|{birth_date.isoformat()}", birth_date=birth_date.isoformat(),
               sex=sex, residence_code=residence_code, national_id_enc=enc(national_id, "national_id"),
               national_id_hash=id_hash, phone_enc=enc(phone, "phone"), address_enc=enc(address, "address"),
               guardian={"full_name": guardian.full_name, "relation": guardian.relation,
                         "phone_enc": enc(guardian.phone, "guardian_phone")} if guardian else {},
               created_at=datetime.now(timezone.utc)).save(force_insert=True)
        return self.get(code)

    def get(self, person_code: str) -> PersonRecord | None:
        person = Person.objects(person_code=person_code).first()
        return person_record(person, self.sealer) if person else None

    def is_merged(self, person_code: str) -> bool:
        person = Person.objects(person_code=person_code).only("merged_into").first()
        return bool(person and person.merged_into)

    def erase(self, person_code: str, reason: str, cases: int) -> bool:
        """Crypto-shred the person: their data key is destroyed, so their ID number, phone, address and every
        sealed record of their cases no longer open, in the log and in backups alike; their name in the register
        and the lookup claims go too, as do the records merged into them. The key goes first, then the tombstone
        (a unique insert): a process that dies between leaves a key already gone, which the next erasure finds and
        tombstones."""
        for duplicate in Person.objects(merged_into=person_code).only("person_code"):
            self.erase(duplicate.person_code, reason, 0)
        self.sealer.keys.erase(person_code)
        self._forget(person_code)
        try:
            Erasure(person_code=person_code, erased_at=datetime.now(timezone.utc), reason=reason,
                    cases=cases).save(force_insert=True)
        except NotUniqueError:
            return False
        return True

    def _forget(self, person_code: str) -> None:
        """The register's clear fields that name the person, and the claims that would confirm a guess of their ID
        number or their name and birth date."""
        person = Person.objects(person_code=person_code).first()
        if person is None:
            return
        if person.national_id_hash:
            NationalIdClaim.objects(national_id_hash=person.national_id_hash, person_code=person_code).delete()
        if person.search_name:
            key = self._name_birth_key(person.full_name, date.fromisoformat(person.birth_date))
            for n in itertools.count(1):
                claim = NameBirthClaim.objects(key=f"{key}#{n}").first()
                if claim is None:
                    break
                if claim.person_code == person_code:
                    NameBirthClaim.objects(key=claim.key).update_one(set__person_code=ERASED_CLAIM)
        Person.objects(person_code=person_code).update_one(
            set__full_name=ERASED_NAME, set__search_name="", set__name_dob_key="", unset__national_id_hash=True,
            set__guardian={})

    def reseal_legacy(self) -> int:
        """One pass over the register: fields sealed with the service-wide key (`v1.`, before each person had a
        key) sealed again under the person's key, or dropped for a person already erased. How many people
        changed."""
        changed = 0
        for person in Person.objects.only("person_code", "guardian", *SEALED_PERSON_FIELDS):
            fields = {name: getattr(person, name) for name in SEALED_PERSON_FIELDS}
            fields["guardian_phone"] = (person.guardian or {}).get("phone_enc")
            again = {name: self._sealed_again(person.person_code, name, token) for name, token in fields.items()
                     if token and not self.sealer.seals(token)}
            if not again:
                continue
            update = {f"set__{name}": value for name, value in again.items() if name != "guardian_phone"}
            if "guardian_phone" in again:
                update["set__guardian"] = {**person.guardian, "phone_enc": again["guardian_phone"]}
            Person.objects(person_code=person.person_code).update_one(**update)
            changed += 1
        return changed

    def _sealed_again(self, person_code: str, field: str, token: str) -> str | None:
        context = _context(person_code, field.removesuffix("_enc"))
        try:
            return self.sealer.encrypt(person_code, self.sealer.decrypt(token, context), context)
        except Erased:
            return None

    def erased(self, person_code: str) -> bool:
        return Erasure.objects(person_code=person_code).only("person_code").first() is not None

    def merge(self, duplicate: str, survivor: str) -> None:
        """The duplicate points at the survivor; both keep their cases and histories."""
        Person.objects(person_code=duplicate).update_one(set__merged_into=survivor)
