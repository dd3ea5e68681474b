"""Connecting a process to its database and broker: called from bootstrap, never at import time."""
from __future__ import annotations

import mongoengine
from kombu import Connection

from shared import bus
from shared.audit import AuditEntry
from shared.eventstore import DOCUMENTS as STORE_DOCUMENTS
from shared.idempotency import IdempotencyRecord
from shared.keys import DataKey
from shared.once import OnceMark
from shared.settings import Settings

MECHANISM_DOCUMENTS = (*STORE_DOCUMENTS, OnceMark, IdempotencyRecord, AuditEntry, DataKey)


def connect_database(settings: Settings, documents=()) -> None:
    mongoengine.disconnect()
    mongoengine.connect(db=settings.mongodb_db, host=settings.mongodb_uri, tz_aware=True,
                        uuidRepresentation="standard", serverSelectionTimeoutMS=settings.mongodb_timeout_ms,
                        connectTimeoutMS=settings.mongodb_timeout_ms, socketTimeoutMS=10 * settings.mongodb_timeout_ms,
                        retryWrites=False)
    for document in (*MECHANISM_DOCUMENTS, *documents):
        document.ensure_indexes()


def database_ping() -> None:
    mongoengine.get_db().client.admin.command("ping")


def broker_connection(settings: Settings) -> Connection:
    return bus.connect(settings.amqp_url, heartbeat=settings.amqp_heartbeat, ca_file=settings.amqp_ca_file)


def broker_ping(settings: Settings) -> None:
    with bus.connect(settings.amqp_url, heartbeat=0, ca_file=settings.amqp_ca_file) as connection:
        connection.ensure_connection(max_retries=1, timeout=2)
