"""Clinical and support text of a case, sealed with the data key of the case's person (erasing the person
erases it) and bound to the case and the record it belongs to, so that a ciphertext copied onto another record
does not open."""
from __future__ import annotations

from typing import Protocol

from services.cases.domain.ost import findings_of, recorded_findings


class OwnerSealer(Protocol):
    """shared/keys.py `OwnerCipher`."""

    def encrypt(self, owner: str, value: str | None, context: str) -> str | None: ...

    def decrypt(self, token: str | None, context: str) -> str | None: ...


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

    @staticmethod
    def _context(case_id: str, kind: str, item_id: str) -> str:
        return f"case:{case_id}:{kind}:{item_id}"
