"""What the notifications use cases need from the read model and the unit directory, as protocols (bootstrap.py
wires the mongoengine adapters in)."""
from __future__ import annotations

from typing import Protocol

from services.notifications.domain.model import Alert, UnitEntry


class AlertViews(Protocol):
    """The read model (services/notifications/views.py)."""

    def inbox(self, unit: str, hidden_categories: tuple[str, ...], unacknowledged: bool, first: int,
              limit: int) -> tuple[list[Alert], int]: ...


class UnitDirectory(Protocol):
    """This service's copy of the plans service's unit directory."""

    def entries(self) -> list[UnitEntry]: ...

    def keep(self, unit_code: str, kind: str, covers: list[str], version: int) -> None:
        """Keep the registration unless a newer version of the unit is kept already."""
