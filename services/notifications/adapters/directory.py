"""This service's copy of the unit directory, one document per unit."""
from __future__ import annotations

import threading
import time

from services.notifications.adapters.documents import UnitCopy
from services.notifications.domain.model import UnitEntry


class UnitDirectory:
    """Every routed event reads the whole directory (a province has a few hundred units): `for_routing` keeps it
    for `ttl_seconds`, so a unit registered just now is routed to within that time; `entries` always reads (an
    admin's check of a unit registered a moment ago)."""

    def __init__(self, ttl_seconds: float = 5.0):
        self.ttl_seconds = ttl_seconds
        self._entries: list[UnitEntry] | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    def entries(self) -> list[UnitEntry]:
        return [UnitEntry(u.unit_code, u.kind, tuple(u.covers)) for u in UnitCopy.objects]

    def named(self, unit_codes) -> list[UnitEntry]:
        """These units only, each by its `_id` (stock FerretDB v1 answers `_id` equality from the index, `_id: {$in}`
        only with our SQLite patch)."""
        found = (UnitCopy.objects(unit_code=code).first() for code in dict.fromkeys(unit_codes))
        return [UnitEntry(u.unit_code, u.kind, tuple(u.covers)) for u in found if u is not None]

    def for_routing(self) -> list[UnitEntry]:
        with self._lock:
            if self._entries is None or time.monotonic() - self._read_at > self.ttl_seconds:
                self._entries = self.entries()
                self._read_at = time.monotonic()
            return self._entries

    def keep(self, unit_code: str, kind: str, covers: list[str], version: int) -> None:
        current = UnitCopy.objects(unit_code=unit_code).first()
        if current is None or current.version < version:
            UnitCopy(unit_code=unit_code, kind=kind, covers=covers, version=version).save()
        with self._lock:
            self._entries = None
