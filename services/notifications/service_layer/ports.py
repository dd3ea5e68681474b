"""What the notifications use cases need from the read model and the unit directory, as protocols (bootstrap.py
wires the mongoengine adapters in)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.notifications.domain.model import UnitEntry


@dataclass(frozen=True)
class AlertRow:
    id: str
    version: int
    recipient_unit: str
    category: str
    subject_type: str
    subject_id: str
    urgent: bool
    area_code: str | None
    title_vi: str
    title_en: str
    raised_at: datetime
    acknowledged_by: str | None


class AlertViews(Protocol):
    """The read model (services/notifications/views.py)."""

    def inbox(self, unit: str, hidden_categories: tuple[str, ...], unacknowledged: bool, first: int,
              limit: int) -> tuple[list[AlertRow], int]: ...


class UnitDirectory(Protocol):
    """This service's copy of the plans service's unit directory."""

    def entries(self) -> list[UnitEntry]: ...

    def keep(self, unit_code: str, kind: str, covers: list[str], version: int) -> None:
        """Keep the registration unless a newer version of the unit is kept already."""
