"""Keeping a form whose sign-in ended, and giving it back once, on the page it came from, after sign-in."""
from __future__ import annotations

from datetime import datetime
from typing import Protocol

from services.portal.domain.commands import KeepForm, TakeKeptForm
from services.portal.domain.kept_forms import KEPT_FOR, keepable
from services.portal.domain.queries import FindKeptPage


class KeptForms(Protocol):
    def keep(self, handle: str, page: str, fields: dict[str, list[str]], expires_at: datetime,
             now: datetime) -> None: ...
    def page(self, handle: str, now: datetime) -> str | None: ...
    def take(self, handle: str, page: str, now: datetime) -> dict[str, list[str]] | None: ...


def keep_form(command: KeepForm, principal, kept_forms: KeptForms, clock) -> None:
    """Credentials are dropped here, whatever the page sent; a form with nothing else worth keeping is not kept."""
    fields = {name: list(values) for name, values in keepable(command.fields)}
    if fields:
        now = clock.now()
        kept_forms.keep(command.handle, command.page, fields, now + KEPT_FOR, now)


def find_kept_page(query: FindKeptPage, principal, kept_forms: KeptForms, clock) -> str | None:
    return kept_forms.page(query.handle, clock.now()) if query.handle else None


def take_kept_form(query: TakeKeptForm, principal, kept_forms: KeptForms, clock) -> dict[str, list[str]] | None:
    return kept_forms.take(query.handle, query.page, clock.now()) if query.handle else None


HANDLERS = {KeepForm: keep_form, FindKeptPage: find_kept_page, TakeKeptForm: take_kept_form}
