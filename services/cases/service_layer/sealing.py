"""Clinical and support text of a case, sealed with the data key of the case's person (erasing the person
erases it) and bound to the case and the record it belongs to, so that a ciphertext copied onto another record
does not open."""
from __future__ import annotations

from typing import Protocol

from shared.errors import Erased

from services.cases.domain.ost import findings_of, recorded_findings

SEALED_RECORDS = {
    "cases.case.drug_test_recorded": ("substances_sealed", "test", "test_id"),
    "cases.case.visit_recorded": ("notes_sealed", "visit", "visit_id"),
    "cases.case.support_recorded": ("details_sealed", "support", "support_id"),
    "cases.ost.dose_recorded": ("dose_sealed", "dose", "dose_id"),
    "cases.ost.breach_recorded": ("description_sealed", "breach", "breach_id"),
}
"""Event type: (its sealed field, the record kind and the field of the record's id that its context names)."""

CLEAR_BEFORE = {
    "cases.consent.recorded": ("reference", "reference_sealed", "consent", "consent_id"),
    "cases.access.escalated": ("reason", "reason_sealed", "grant", "grant_id"),
    "cases.access.revoked": ("reason", "reason_sealed", "grant-revocation", "grant_id"),
}
"""Event type: (the field an earlier release kept in the clear, the sealed field that replaced it, kind, id)."""

NO_LONGER_KEPT = {"cases.case.drug_test_recorded": ("findings",)}
"""Fields an earlier release kept in the clear and this one works out when needed (from the sealed substances)."""


class OwnerSealer(Protocol):
    """shared/keys.py `OwnerCipher`."""

    def encrypt(self, owner: str, value: str | None, context: str) -> str | None: ...

    def decrypt(self, token: str | None, context: str) -> str | None: ...

    def seals(self, value) -> bool:
        """Whether `value` is sealed under its owner's key (not the service-wide key of older releases)."""


class CaseSeal:
    def __init__(self, sealer: OwnerSealer):
        self.sealer = sealer

    def seal(self, case, kind: str, item_id: str, text: str | None) -> str | None:
        return self.sealer.encrypt(case.person_code, text, self._context(case.id, kind, item_id))

    def open(self, case, kind: str, item_id: str, sealed: str | None) -> str | None:
        """None once the person was erased."""
        return self.sealer.decrypt(sealed, self._context(case.id, kind, item_id)) if sealed else None

    def consent_reference(self, case, consent_id: str, terms) -> str | None:
        return self.seal(case, "consent", consent_id, terms.reference.strip())

    def test_findings(self, case, test: dict) -> tuple[str, ...]:
        """What a positive test found for methadone therapy, from its opened substances (the findings are never
        stored, in the clear or sealed); those a test recorded before that rule; none once the person was erased."""
        if test.get("findings"):
            return recorded_findings(test)
        substances = self.open(case, "test", test["test_id"], test.get("substances_sealed"))
        return findings_of(substances.split(",")) if substances and test["result"] == "positive" else ()

    def resealed(self, case, event_type: str, data: dict) -> dict:
        """An event's data as this release writes it: a record sealed with the service-wide key (`v1.`, before
        each person had a key) sealed again under the person's key, a value once kept in the clear sealed, and
        findings no longer kept dropped; for an erased person those values are dropped, since erasing them is
        what their key's destruction means."""
        data = dict(data)
        if event_type in SEALED_RECORDS:
            field, kind, id_field = SEALED_RECORDS[event_type]
            if data.get(field) and not self.sealer.seals(data[field]):
                data[field] = self._sealed_again(case, kind, data[id_field],
                                                 self.open(case, kind, data[id_field], data[field]))
        if event_type in CLEAR_BEFORE:
            clear, field, kind, id_field = CLEAR_BEFORE[event_type]
            if data.get(clear) is not None:
                data[field] = self._sealed_again(case, kind, data[id_field], data.pop(clear))
        for name in NO_LONGER_KEPT.get(event_type, ()):
            data.pop(name, None)
        return data

    def _sealed_again(self, case, kind: str, item_id: str, text: str | None) -> str | None:
        try:
            return self.seal(case, kind, item_id, text)
        except Erased:
            return None

    @staticmethod
    def _context(case_id: str, kind: str, item_id: str) -> str:
        return f"case:{case_id}:{kind}:{item_id}"
