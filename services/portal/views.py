"""The read model of the portal: the accounts of a unit, for admins."""
from __future__ import annotations

from services.portal.adapters.documents import AccountSnapshot, ClientSnapshot
from services.portal.domain.model import Account, ServiceClient

LIMIT = 500


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
