"""shared/packed.py: an event's data and a snapshot's state stored as one BSON value, read back as they went in,
and values stored nested before packing still read."""
from dataclasses import dataclass
from datetime import date, datetime, timezone

from bson import BSON

from shared.aggregate import Aggregate
from shared.eventstore import StoredEvent
from shared.packed import PackedField, packed, unpacked
from shared.repository import from_snapshot

STATE = {"name": "Nguyễn Văn Khánh", "due": {"visit": "2026-07-01"}, "steps": [{"n": 1, "ok": True}, None],
         "count": 3, "share": 0.5, "at": datetime(2026, 6, 1, 8, 30, tzinfo=timezone.utc)}


def test_what_is_packed_comes_back_with_every_value_and_type():
    stored = packed(STATE)
    assert isinstance(stored, bytes) and unpacked(bytes(stored)) == STATE
    assert unpacked(stored)["at"].tzinfo is not None, "tz-aware, as the services' connections read datetimes"


def test_a_value_stored_nested_before_packing_is_read_as_it_is():
    assert unpacked(dict(STATE)) == STATE
    assert unpacked(None) == {}


def test_a_packed_value_is_one_field_where_a_nested_one_was_many():
    document = BSON.encode({"data": packed(STATE)}).decode()
    assert isinstance(document["data"], bytes)


def test_the_field_packs_on_the_way_in_and_unpacks_on_the_way_out():
    field = PackedField()
    assert field.to_mongo(STATE) == packed(STATE)
    assert field.to_python(packed(STATE)) == STATE and field.to_python(STATE) == STATE


def test_a_stored_event_built_by_mongoengine_holds_its_data_packed():
    event = StoredEvent(key="case-1:0000000001", data={"case_id": "c-1"})
    assert event.to_mongo()["data"] == packed({"case_id": "c-1"})
    assert StoredEvent._from_son(event.to_mongo()).data == {"case_id": "c-1"}


@dataclass(eq=False)
class Tally(Aggregate):
    id: str
    total: int = 0
    since: date | None = None
    stream_type = "tally"


def test_an_aggregate_is_read_from_a_packed_or_a_nested_snapshot():
    kept = Tally("k-1", 4, date(2026, 6, 1))
    for stored in (packed(kept.snapshot()), kept.snapshot()):
        aggregate = from_snapshot(Tally, {"_id": "k-1", "state": stored, "version": 2})
        assert (aggregate.id, aggregate.total, aggregate.since, aggregate.version) == ("k-1", 4, date(2026, 6, 1), 2)
