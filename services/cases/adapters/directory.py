"""The cases service's copy of the province's unit directory: referrals and consents name units from it."""
from __future__ import annotations

from services.cases.adapters.documents import KnownUnit


class UnitDirectory:
    def kind_of(self, unit_code: str) -> str | None:
        unit = KnownUnit.objects(unit_code=unit_code).only("kind").first()
        return unit.kind if unit else None

    def keep(self, unit_code: str, kind: str, version: int) -> None:
        """An older registration arriving late changes nothing."""
        KnownUnit._get_collection().update_one({"_id": unit_code, "version": {"$lt": version}},
                                              {"$set": {"kind": kind, "version": version}})
        KnownUnit._get_collection().update_one({"_id": unit_code}, {"$setOnInsert": {"kind": kind, "version": version}},
                                              upsert=True)
