"""The event envelope: the versioned contract every message between the services follows (DESIGN.md section 4)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from shared.contracts import Contracts, data_schema
from shared.logs import correlation_id as current_correlation_id

ROUTING_KEY = validate.Regexp(r"^[a-z_]+\.[a-z_]+\.[a-z_]+$", error="must be <service>.<aggregate>.<event>")
SERVICE_NAME = validate.Regexp(r"^[a-z_]+$", error="must be a service name")


@dataclass(frozen=True)
class Actor:
    id: str
    role: str
    unit: str | None = None

    @classmethod
    def of(cls, principal) -> "Actor":
        """The actor recorded for an authenticated caller (shared.auth.Principal)."""
        return cls(id=principal.subject, role=principal.roles[0] if principal.roles else "none", unit=principal.unit)

    @classmethod
    def system(cls, service: str) -> "Actor":
        return cls(id=f"{service}-worker", role="system", unit=None)


@dataclass(frozen=True)
class StreamRef:
    type: str
    id: str
    version: int


@dataclass(frozen=True)
class Envelope:
    id: str
    type: str
    schema_version: int
    occurred_at: datetime
    producer: str
    stream: StreamRef
    area_code: str | None
    actor: Actor
    correlation_id: str | None
    causation_id: str | None
    data: dict = field(default_factory=dict)

    def to_message(self) -> dict:
        return _ENVELOPES.dump(self)

    @property
    def stream_key(self) -> str:
        return event_key(self.stream.id, self.stream.version)


def event_key(stream_id: str, version: int) -> str:
    """The `_id` of an event in the log: appending the same version twice collides on it."""
    return f"{stream_id}:{version:010d}"


def stream_of_key(key: str) -> tuple[str, int]:
    """The stream id and version an `event_key` names."""
    stream_id, version = key.rsplit(":", 1)
    return stream_id, int(version)


def new_envelope(*, event_type: str, schema_version: int, producer: str, stream: StreamRef, area_code: str | None,
                 actor: Actor, data: dict, causation_id: str | None = None, event_id: str | None = None,
                 occurred_at: datetime | None = None) -> Envelope:
    return Envelope(
        id=event_id or str(uuid.uuid4()), type=event_type, schema_version=schema_version,
        occurred_at=occurred_at or datetime.now(timezone.utc), producer=producer, stream=stream,
        area_code=area_code, actor=actor, correlation_id=current_correlation_id.get(),
        causation_id=causation_id, data=data)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class ActorSchema(_Strict):
    id = fields.String(required=True)
    role = fields.String(required=True)
    unit = fields.String(allow_none=True, load_default=None)


class StreamSchema(_Strict):
    type = fields.String(required=True)
    id = fields.String(required=True)
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class EnvelopeSchema(_Strict):
    id = fields.UUID(required=True)
    type = fields.String(required=True, validate=ROUTING_KEY)
    schema_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    producer = fields.String(required=True, validate=SERVICE_NAME)
    stream = fields.Nested(StreamSchema, required=True)
    area_code = fields.String(allow_none=True, load_default=None)
    actor = fields.Nested(ActorSchema, required=True)
    correlation_id = fields.String(allow_none=True, load_default=None)
    causation_id = fields.String(allow_none=True, load_default=None)
    data = fields.Dict(keys=fields.String(), required=True)

    @validates_schema
    def produced_by_its_service(self, data, **kwargs):
        """An event's type names the service that produces it."""
        if not data["type"].startswith(f"{data['producer']}."):
            raise ValidationError(f"{data['producer']} does not produce {data['type']}", field_name="type")


_ENVELOPES = EnvelopeSchema()
"""Shared by every message: building the schema (and its nested ones) cost more than a load."""


def envelope_from_message(body: dict, contracts: Contracts) -> Envelope:
    """Validate a received message's envelope, and its data against `contracts`' schema of its type and
    version (the producers' published contracts the consumer relies on)."""
    if not isinstance(body, dict):
        raise ValidationError("message body must be a JSON object")
    raw = _ENVELOPES.load(body)
    contract = data_schema(contracts, raw["type"], raw["schema_version"])
    data = contract.load(raw["data"])
    return Envelope(
        id=str(raw["id"]), type=raw["type"], schema_version=raw["schema_version"], occurred_at=raw["occurred_at"],
        producer=raw["producer"], stream=StreamRef(**raw["stream"]), area_code=raw["area_code"],
        actor=Actor(**raw["actor"]), correlation_id=raw["correlation_id"], causation_id=raw["causation_id"],
        data=contract.dump(data))
