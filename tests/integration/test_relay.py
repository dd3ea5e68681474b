import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from shared import eventstore, relay as relay_module, runtime
from shared.bus import ConfirmingPublisher, Unconfirmed, connect
from shared.eventstore import EventStore, PendingEvent, PendingLot, StoredEvent, pending_lots
from shared.errors import ConcurrencyConflict
from shared.relay import DIRECT_SECONDS, LOT_CHECK_SECONDS, Lease, Relay
from services.cases.adapters.documents import DOCUMENTS
from services.cases.contracts import CONTRACTS
from tests.integration.busutil import bind_probe, queue_messages
from tests.integration.test_eventstore import envelope


@pytest.fixture
def store(settings):
    runtime.connect_database(settings("cases"), DOCUMENTS)
    return EventStore()


def relay_for(amqp_url, **kwargs):
    return Relay("cases", ConfirmingPublisher(connect(amqp_url), confirm_timeout=5), CONTRACTS,
                 **kwargs)


def test_pending_events_are_published_in_stream_order_then_unlisted(store, amqp_url):
    probe = bind_probe(amqp_url, "cases")
    store.append([envelope("a", 1), envelope("a", 2)])
    store.append([envelope("b", 1)])
    store.append([envelope("a", 3)])
    assert relay_for(amqp_url).run_once() == 4
    bodies = [json.loads(b) for b in queue_messages(amqp_url, probe)]
    assert [b["stream"]["version"] for b in bodies if b["stream"]["id"] == "a"] == [1, 2, 3]
    assert len(bodies) == 4 and all(m["type"] == "cases.case.worker_assigned" for m in bodies)
    assert PendingEvent.objects.count() == 0


def test_an_event_nobody_subscribes_to_is_confirmed_and_unlisted(store, amqp_url):
    store.append([envelope("lonely", 1)])
    relay = relay_for(amqp_url)
    relay.exchange = relay.exchange.__class__("cases.unbound.events", type="topic", durable=True)
    assert relay.run_once() == 1
    assert PendingEvent.objects.count() == 0


def test_with_the_broker_unreachable_events_stay_pending(store):
    store.append([envelope("c", 1)])
    relay = Relay("cases", ConfirmingPublisher(connect("amqp://donghanh:x@127.0.0.1:5999/none")),
                  CONTRACTS)
    with pytest.raises(Exception):
        relay.run_once()
    assert PendingEvent.objects.count() == 1


def test_events_whose_confirms_do_not_come_in_time_stay_pending_and_go_again(store, amqp_url):
    probe = bind_probe(amqp_url, "cases")
    store.append([envelope("slow", 1), envelope("slow", 2)])
    store.append([envelope("slower", 1)])
    relay = Relay("cases", ConfirmingPublisher(connect(amqp_url), confirm_timeout=1e-6), CONTRACTS)
    with pytest.raises(Unconfirmed):
        relay.run_once()
    assert PendingEvent.objects.count() == 3
    relay.publisher.confirm_timeout = 5
    assert relay.run_once() == 3
    assert PendingEvent.objects.count() == 0
    bodies = [json.loads(b) for b in queue_messages(amqp_url, probe)]
    assert {(b["stream"]["id"], b["stream"]["version"]) for b in bodies} == {("slow", 1), ("slow", 2), ("slower", 1)}
    assert [b["stream"]["version"] for b in bodies if b["stream"]["id"] == "slow"][-2:] == [1, 2]


def test_a_pending_entry_waits_for_its_event_then_is_dropped_after_the_grace(store, amqp_url):
    PendingEvent(event_id="11111111-1111-1111-1111-111111111111", key="d:0000000001", stream_id="d", version=1,
                 created_at=datetime.now(timezone.utc)).save(force_insert=True)
    relay = relay_for(amqp_url, grace_seconds=60)
    assert relay.run_once() == 0
    assert PendingEvent.objects.count() == 1
    PendingEvent.objects.update(set__created_at=datetime.now(timezone.utc) - timedelta(minutes=5))
    relay.run_once()
    assert PendingEvent.objects.count() == 0


def test_only_one_relay_holds_the_lease_at_a_time(store):
    first, second = Lease("relay:test", "first"), Lease("relay:test", "second")
    now = 1_000_000.0
    assert first.held(now) and not second.held(now)
    assert first.held(now + 4.5)
    assert first.held(now + 5.1) and not second.held(now + 5.1)


@pytest.fixture
def relaying_directly():
    """This process's new streams handed to the relay given, as a worker does; undone after the test."""
    def hand_to(relay):
        eventstore.relay_directly(relay.hint)
        return relay
    yield hand_to
    eventstore.relay_directly(None)


def age_outbox(seconds: float) -> None:
    for document in (PendingEvent, PendingLot):
        document._get_collection().update_many({}, {"$set": {
            "created_at": datetime.now(timezone.utc) - timedelta(seconds=seconds)}})


class UnreadableLog(EventStore):
    def documents(self, keys):
        raise AssertionError(f"the relay read the log for {keys}")


def versions_by_stream(bodies) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for body in bodies:
        found.setdefault(body["stream"]["id"], []).append(body["stream"]["version"])
    return found


def test_new_streams_a_worker_appends_are_published_from_memory_in_order_then_unlisted(store, amqp_url,
                                                                                       relaying_directly):
    probe = bind_probe(amqp_url, "cases")
    relay = relaying_directly(relay_for(amqp_url, store=UnreadableLog()))
    store.append([envelope("new-a", 1), envelope("new-a", 2)])
    many = [[envelope("new-b", 1)], [envelope("new-c", 1), envelope("new-c", 2)]]
    assert store.append_many(many) == set()
    assert {entry.lane for entry in PendingEvent.objects} == {"direct"}
    [lot] = pending_lots()
    assert lot.events == tuple((e.id, e.stream_key) for stream in many for e in stream), "one entry for all three"
    assert PendingEvent.objects.count() == 2
    assert relay.publish_hinted() == 5
    assert PendingEvent.objects.count() == 0 and pending_lots() == []
    assert versions_by_stream(json.loads(b) for b in queue_messages(amqp_url, probe)) == {
        "new-a": [1, 2], "new-b": [1], "new-c": [1, 2]}


def test_a_later_event_of_a_directly_relayed_stream_waits_behind_it_in_the_scans(store, amqp_url,
                                                                                 relaying_directly):
    probe = bind_probe(amqp_url, "cases")
    writer = relaying_directly(relay_for(amqp_url))
    store.append([envelope("mine", 1)])
    eventstore.relay_directly(None)
    store.append([envelope("mine", 2)])
    scanning = relay_for(amqp_url)
    assert scanning.run_once() == 0 and PendingEvent.objects.count() == 2
    assert writer.publish_hinted() == 1
    assert scanning.run_once() == 1 and PendingEvent.objects.count() == 0
    assert versions_by_stream(json.loads(b) for b in queue_messages(amqp_url, probe)) == {"mine": [1, 2]}


def test_a_directly_relayed_entry_its_writer_never_published_is_taken_over_by_the_scans(store, amqp_url,
                                                                                        relaying_directly):
    probe = bind_probe(amqp_url, "cases")
    relaying_directly(relay_for(amqp_url))
    store.append([envelope("orphan", 1), envelope("orphan", 2)])
    scanning = relay_for(amqp_url)
    assert scanning.run_once() == 0 and PendingEvent.objects.count() == 2
    PendingEvent.objects.update(set__created_at=datetime.now(timezone.utc) - timedelta(seconds=DIRECT_SECONDS + 1))
    assert scanning.run_once() == 2 and PendingEvent.objects.count() == 0
    assert versions_by_stream(json.loads(b) for b in queue_messages(amqp_url, probe)) == {"orphan": [1, 2]}


def test_a_process_that_does_not_relay_directly_leaves_its_streams_to_the_scans(store, amqp_url):
    store.append([envelope("web", 1)])
    assert [entry.lane for entry in PendingEvent.objects] == [None]
    assert relay_for(amqp_url).run_once() == 1


def test_only_what_an_append_itself_put_in_the_log_is_handed_over_and_only_from_the_streams_start(store,
                                                                                                  relaying_directly):
    class Recorder:
        def __init__(self):
            self.hints = []

        def hint(self, envelopes, lots=()):
            self.hints.append([(e.stream.id, e.stream.version) for e in envelopes])
    recorder = relaying_directly(Recorder())
    first = envelope("again", 1)
    store.append([first])
    store.append([first, envelope("again", 2)])
    StoredEvent.from_envelope(envelope("raced", 2)).save(force_insert=True)
    with pytest.raises(ConcurrencyConflict):
        store.append([envelope("raced", 1), envelope("raced", 2)])
    assert store.append_many([[envelope("many", 1), envelope("many", 2)], [first, envelope("again", 3)]]) == set()
    assert recorder.hints == [[("again", 1)], [("raced", 1)], [("many", 1), ("many", 2)]]



def test_a_direct_wave_the_broker_does_not_confirm_is_tried_once_and_left_to_the_scans(store, amqp_url,
                                                                                      relaying_directly):
    relay = relaying_directly(Relay("cases", ConfirmingPublisher(connect(amqp_url), confirm_timeout=1e-6),
                                    CONTRACTS))
    store.append([envelope("unconfirmed", 1)])
    attempts = []
    publish_once = relay._publish_once
    relay._publish_once = lambda outgoing: (attempts.append(len(outgoing)), publish_once(outgoing))
    with pytest.raises(Unconfirmed):
        relay.publish_hinted()
    assert attempts == [1] and PendingEvent.objects.count() == 1 and not relay._hints


def test_a_lot_its_writer_never_published_holds_its_streams_then_the_scans_publish_it_in_order(store, amqp_url,
                                                                                            relaying_directly):
    probe = bind_probe(amqp_url, "cases")
    relaying_directly(relay_for(amqp_url))
    assert store.append_many([[envelope("lot-a", 1), envelope("lot-a", 2)], [envelope("lot-b", 1)]]) == set()
    eventstore.relay_directly(None)
    store.append([envelope("lot-a", 3)])
    store.append([envelope("elsewhere", 1)])
    scanning = relay_for(amqp_url)
    assert scanning.run_once() == 1, "only the stream no lot holds"
    assert len(pending_lots()) == 1 and PendingEvent.objects(stream_id="lot-a").count() == 1
    age_outbox(DIRECT_SECONDS + 1)
    assert scanning.run_once() == 4
    assert PendingEvent.objects.count() == 0 and pending_lots() == []
    assert versions_by_stream(json.loads(b) for b in queue_messages(amqp_url, probe)) == {
        "elsewhere": [1], "lot-a": [1, 2, 3], "lot-b": [1]}


def test_what_a_lot_lists_and_its_writer_did_not_publish_gets_entries_of_its_own(store, amqp_url,
                                                                                relaying_directly):
    """An event the append found in the log already is not handed over; one that lost a race is not listed
    again; the lot itself goes."""
    relay = relaying_directly(relay_for(amqp_url))
    first = envelope("kept", 1)
    store.append_many([[first]])
    assert relay.publish_hinted() == 1 and PendingEvent.objects.count() == 0
    StoredEvent.from_envelope(envelope("taken", 1)).save(force_insert=True)
    again, later, fresh = envelope("kept", 1, event_id=first.id), envelope("kept", 2), envelope("fresh", 1)
    assert store.append_many([[again, later], [envelope("taken", 1)], [fresh]]) == {1}
    assert relay.publish_hinted() == 1
    assert pending_lots() == []
    assert sorted((p.event_id, p.lane) for p in PendingEvent.objects) == sorted(
        [(again.id, "direct"), (later.id, "direct")])


def test_the_outbox_gauges_count_each_event_a_lot_lists_and_its_age(store, relaying_directly):
    from shared.worker_metrics import OUTBOX_OLDEST_AGE, OUTBOX_PENDING, sample_outbox
    relaying_directly(relay_for("amqp://donghanh:x@127.0.0.1:5999/none"))
    store.append_many([[envelope("counted-a", 1), envelope("counted-a", 2)], [envelope("counted-b", 1)]])
    PendingLot._get_collection().update_many({}, {"$set": {"created_at": datetime.now(timezone.utc)
                                                                         - timedelta(seconds=90)}})
    store.append([envelope("counted-c", 1)])
    sample_outbox("cases")
    assert OUTBOX_PENDING.labels("cases")._value.get() == 4
    assert OUTBOX_OLDEST_AGE.labels("cases")._value.get() >= 90


def test_an_old_lot_is_broken_up_and_published_by_a_scan_that_finds_no_entries(store, amqp_url, relaying_directly):
    probe = bind_probe(amqp_url, "cases")
    relaying_directly(relay_for(amqp_url))
    store.append_many([[envelope("lone-lot", 1)]])
    scanning = relay_for(amqp_url)
    assert scanning.run_once() == 0 and len(pending_lots()) == 1
    age_outbox(DIRECT_SECONDS + 1)
    time.sleep(LOT_CHECK_SECONDS)
    assert scanning.run_once() == 1 and pending_lots() == [] and PendingEvent.objects.count() == 0
    assert versions_by_stream(json.loads(b) for b in queue_messages(amqp_url, probe)) == {"lone-lot": [1]}


def test_a_lot_its_writer_breaks_up_while_a_scan_looks_still_holds_its_stream(store, amqp_url, relaying_directly,
                                                                              monkeypatch):
    """The writer's relay breaks up its lot (the first event broke its contract, say) just as a scan reads the
    lots: the scan must still not publish the stream's later event before the first."""
    writer = relaying_directly(relay_for(amqp_url))
    store.append_many([[envelope("raced-lot", 1)]])
    writer._hints.clear()
    eventstore.relay_directly(None)
    store.append([envelope("raced-lot", 2)])

    def settled_as_looked():
        for lot in pending_lots():
            eventstore.break_up(lot)
        return []
    monkeypatch.setattr(relay_module, "pending_lots", settled_as_looked)
    assert relay_for(amqp_url).run_once() == 0
    assert sorted((p.version, p.lane) for p in PendingEvent.objects(stream_id="raced-lot")) == [
        (1, "direct"), (2, None)]


def test_a_lot_whose_wave_the_broker_does_not_confirm_is_left_to_the_scans_as_entries(store, amqp_url,
                                                                                      relaying_directly):
    relay = relaying_directly(Relay("cases", ConfirmingPublisher(connect(amqp_url), confirm_timeout=1e-6),
                                    CONTRACTS))
    many = [[envelope("unconfirmed-lot", 1), envelope("unconfirmed-lot", 2)], [envelope("unconfirmed-too", 1)]]
    store.append_many(many)
    with pytest.raises(Unconfirmed):
        relay.publish_hinted()
    assert pending_lots() == []
    assert sorted((p.stream_id, p.version, p.lane) for p in PendingEvent.objects) == [
        ("unconfirmed-lot", 1, "direct"), ("unconfirmed-lot", 2, "direct"), ("unconfirmed-too", 1, "direct")]
