"""The read model of the portal: the accounts of a unit, for admins, and the account behind each signed-in page."""
from __future__ import annotations

import threading
import time

from services.portal.adapters.documents import AccountSnapshot, ClientSnapshot
from services.portal.domain.model import Account, ServiceClient

LIMIT = 500
ACCOUNT_CHECKED_FOR_SECONDS = 10.0
"""How long a process trusts an account it read for a signed-in page, without asking the log again."""
ACCOUNTS_CHECKED_KEPT = 5000


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
            if len(self._checked) >= ACCOUNTS_CHECKED_KEPT:
                self._checked.clear()
            self._checked[username] = (now, account)
        return account
