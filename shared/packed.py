"""An event's data and a snapshot's state stored as one BSON value (binary), not as nested documents.

Nothing queries inside them: lists and searches filter top-level fields (DESIGN.md section 3). FerretDB v1 turns
every field of a stored document into JSON with a schema of its types, so these two nested fields were half the
cost of each insert (an alert's event: 283 µs a document nested, 133 µs packed; its snapshot 261 µs and 124 µs).
Packed bytes are BSON, so every value comes back with its type, as it did nested. Documents written nested before
are read as they are.
"""
from __future__ import annotations

from datetime import timezone

import bson
from bson.binary import Binary
from bson.codec_options import CodecOptions
from mongoengine.fields import BaseField

OPTIONS = CodecOptions(tz_aware=True, tzinfo=timezone.utc)
"""As the services' connections read (shared/runtime.py: tz_aware)."""


def packed(mapping: dict) -> Binary:
    return Binary(bson.encode(mapping, codec_options=OPTIONS))


def unpacked(value) -> dict:
    """The mapping a stored value holds, packed or (written before packing) nested."""
    if isinstance(value, bytes):
        return bson.decode(value, codec_options=OPTIONS)
    return dict(value or {})


class PackedField(BaseField):
    """A mapping stored packed; read as a dict, packed or nested."""

    def to_mongo(self, value):
        return packed(value) if isinstance(value, dict) else value

    def to_python(self, value):
        return unpacked(value) if isinstance(value, bytes) else value

    def validate(self, value):
        if not isinstance(value, (dict, bytes)):
            self.error("must be a mapping")
