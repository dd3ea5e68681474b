"""Keeping a form whose sign-in ended, and giving it back once, on the page it came from, after sign-in."""
from __future__ import annotations

from datetime import datetime
from typing import Protocol

from services.portal.domain.commands import KeepForm, TakeKeptForm
from services.portal.domain.kept_forms import KEPT_FOR, keepable
from services.portal.domain.queries import FindKeptPage
from services.portal.service_layer.ports import Sessions


class KeptForms(Protocol):
    def keep(self, handle: str, page: str, owner: str, fields: dict[str, list[str]], expires_at: datetime,
             now: datetime) -> None: ...
    def page(self, handle: str, owner: str, now: datetime) -> str | None: ...
    def take(self, handle: str, page: str, owner: str, now: datetime) -> dict[str, list[str]] | None: ...


def keep_form(command: KeepForm, principal, kept_forms: KeptForms, clock) -> None:
    """Credentials are dropped here, whatever the page sent; a form with nothing else worth keeping is not kept."""
    fields = {name: list(values) for name, values in keepable(command.fields)}
    if fields and command.owner:
        now = clock.now()
        kept_forms.keep(command.handle, command.page, command.owner, fields, now + KEPT_FOR, now)


def _owner(session_token: str, sessions: Sessions) -> str | None:
    """The account of a session; a form is given back only to a session of the account it was kept for (another
    person signing in on the same browser does not get it)."""
    session = sessions.get(session_token) if session_token else None
    return session.username if session is not None else None


def find_kept_page(query: FindKeptPage, principal, kept_forms: KeptForms, sessions: Sessions, clock) -> str | None:
    owner = _owner(query.session_token, sessions)
    return kept_forms.page(query.handle, owner, clock.now()) if query.handle and owner else None


def take_kept_form(query: TakeKeptForm, principal, kept_forms: KeptForms, sessions: Sessions,
                   clock) -> dict[str, list[str]] | None:
    owner = _owner(query.session_token, sessions)
    return kept_forms.take(query.handle, query.page, owner, clock.now()) if query.handle and owner else None


HANDLERS = {KeepForm: keep_form, FindKeptPage: find_kept_page, TakeKeptForm: take_kept_form}
