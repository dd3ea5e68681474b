"""The read model of the portal: the accounts of a unit, for admins; the account behind each signed-in page and
the inbox counts its header shows."""
from __future__ import annotations

import threading
import time

from services.portal.adapters.documents import AccountSnapshot, ClientSnapshot
from services.portal.domain.model import Account, ServiceClient

LIMIT = 500
ACCOUNT_CHECKED_FOR_SECONDS = 10.0
"""How long a process trusts an account it read for a signed-in page, without asking the log again."""
PEOPLE_KEPT = 5000
"""The most people each of this process's memories below holds (emptied when full)."""
HEADER_COUNTS_KEPT_SECONDS = 10.0
"""How long a page's header may show a person's inbox counts read by an earlier page of this process."""


class AccountDirectory:
    def __init__(self, accounts):
        self._accounts = accounts

    def accounts(self, unit: str | None) -> list[Account]:
        """Snapshots filtered on their top-level `unit` (FerretDB answers that from its index); each read back
        through the repository, so events newer than a snapshot count."""
        query = {"unit": unit} if unit else {}
        ids = [d["_id"] for d in AccountSnapshot._get_collection().find(query, {"_id": 1}).sort("_id", 1)
               .limit(LIMIT)]
        return [account for account in (self._accounts.get(i) for i in ids) if account is not None]


class ClientDirectory:
    def __init__(self, clients):
        self._clients = clients

    def clients(self) -> list[ServiceClient]:
        """Every service client by id (at most LIMIT), each read back through the repository."""
        ids = [d["_id"] for d in ClientSnapshot._get_collection().find({}, {"_id": 1}).sort("_id", 1).limit(LIMIT)]
        return [client for client in (self._clients.get(i) for i in ids) if client is not None]


class SignedInAccounts:
    """The account behind each signed-in page, read from the log at most once every ACCOUNT_CHECKED_FOR_SECONDS per
    account and process, so a page's session check is one lookup (its session), not two.

    Safe because an account's name, unit, roles and areas never change once created, and every change that must
    stop its pages (disabling, a password or second-factor reset) also ends its sessions at once, and a sign-in that
    change overtook starts none (service_layer/signin.py `_started`); this read is a second guard behind those."""

    def __init__(self, accounts, checked_for: float = ACCOUNT_CHECKED_FOR_SECONDS, monotonic=time.monotonic):
        self._accounts, self._checked_for, self._monotonic = accounts, checked_for, monotonic
        self._checked: dict[str, tuple[float, Account | None]] = {}
        self._lock = threading.Lock()

    def read(self, username: str) -> Account | None:
        """The account as read at most `checked_for` seconds ago, for reading only (never changed or saved)."""
        now = self._monotonic()
        with self._lock:
            checked = self._checked.get(username)
        if checked is not None and now - checked[0] < self._checked_for:
            return checked[1]
        account = self._accounts.read(username)
        with self._lock:
            if len(self._checked) >= PEOPLE_KEPT:
                self._checked.clear()
            self._checked[username] = (now, account)
        return account


class RecentHeaderCounts:
    """Each person's inbox counts as the header last showed them in this process, for the next pages within
    HEADER_COUNTS_KEPT_SECONDS: a page would otherwise ask the notifications service (which counts their alerts
    in the store) on every view. Pages that list alerts, and acknowledgements, ask afresh and keep what they get."""

    def __init__(self, kept_for: float = HEADER_COUNTS_KEPT_SECONDS, monotonic=time.monotonic):
        self._kept_for, self._monotonic = kept_for, monotonic
        self._counts: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def now(self) -> float:
        """When counts about to be asked for are asked: `keep` takes it, so a slower answer to an older question
        never replaces a newer one."""
        return self._monotonic()

    def recent(self, username: str) -> dict | None:
        with self._lock:
            kept = self._counts.get(username)
        return kept[1] if kept is not None and self._monotonic() - kept[0] < self._kept_for else None

    def keep(self, username: str, counts: dict, asked_at: float) -> None:
        with self._lock:
            if len(self._counts) >= PEOPLE_KEPT:
                self._counts.clear()
            kept = self._counts.get(username)
            if kept is None or kept[0] <= asked_at:
                self._counts[username] = (asked_at, counts)
