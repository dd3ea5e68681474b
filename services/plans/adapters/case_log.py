"""The cases service's event log, read-only, for the recount: each stored event becomes the message its relay
publishes (only its contract's fields) and then the envelope a consumer receives, so the recount counts exactly
what the live consumer counted. Nothing is ever written to the cases database."""
from __future__ import annotations

from collections.abc import Iterator

import mongoengine

from shared.envelope import Envelope, envelope_from_message
from shared.eventstore import StoredEvent
from shared.relay import public_message

from services.cases.contracts import CONTRACTS


class CasesEventLog:
    def __init__(self, database: str):
        self.database = database

    def events(self, event_types: tuple[str, ...]) -> Iterator[Envelope]:
        collection = mongoengine.get_db().client[self.database][StoredEvent._get_collection_name()]
        rows = sorted(collection.find({"type": {"$in": list(event_types)}}),
                      key=lambda row: (row["occurred_at"], row["_id"]))
        for row in rows:
            stored = StoredEvent._from_son(row)
            yield envelope_from_message(public_message(stored.to_envelope(), CONTRACTS), CONTRACTS)
