"""This service's copy of the unit directory, one document per unit."""
from __future__ import annotations

from services.notifications.adapters.documents import UnitCopy
from services.notifications.domain.model import UnitEntry


class UnitDirectory:
    def entries(self) -> list[UnitEntry]:
        return [UnitEntry(u.unit_code, u.kind, tuple(u.covers)) for u in UnitCopy.objects]

    def keep(self, unit_code: str, kind: str, covers: list[str], version: int) -> None:
        current = UnitCopy.objects(unit_code=unit_code).first()
        if current is None or current.version < version:
            UnitCopy(unit_code=unit_code, kind=kind, covers=covers, version=version).save()
