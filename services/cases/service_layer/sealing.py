"""Clinical and support text of a case, encrypted at rest and bound to the case and the record it belongs to,
so that a ciphertext copied onto another record does not open."""
from __future__ import annotations

from shared.crypto import FieldCipher


class CaseSeal:
    def __init__(self, cipher: FieldCipher):
        self.cipher = cipher

    def seal(self, case_id: str, kind: str, item_id: str, text: str | None) -> str | None:
        return self.cipher.encrypt(text, self._context(case_id, kind, item_id))

    def open(self, case_id: str, kind: str, item_id: str, sealed: str | None) -> str | None:
        return self.cipher.decrypt(sealed, self._context(case_id, kind, item_id)) if sealed else None

    @staticmethod
    def _context(case_id: str, kind: str, item_id: str) -> str:
        return f"case:{case_id}:{kind}:{item_id}"
