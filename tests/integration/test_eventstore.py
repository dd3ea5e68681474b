import threading
from datetime import date

import pytest

from shared import runtime
from shared.envelope import Actor, StreamRef, new_envelope
from shared.eventstore import ConcurrencyConflict, EventStore, PendingEvent, StoredEvent
from shared.repository import EventSourcedRepository
from services.cases.adapters.documents import DOCUMENTS, CaseSnapshot, case_list_fields
from services.cases.domain.model import Case


@pytest.fixture
def store(settings):
    runtime.connect_database(settings("cases"), DOCUMENTS)
    return EventStore()


def envelope(stream_id, version, event_id=None):
    return new_envelope(event_type="cases.case.worker_assigned", schema_version=1, producer="cases",
                        stream=StreamRef("case", stream_id, version), area_code="22366", actor=Actor("u", "caseworker"),
                        data={"case_id": stream_id, "commune_code": "22366", "worker_id": f"w{version}"},
                        event_id=event_id)


def test_append_then_load_in_order_and_listed_as_pending(store):
    store.append([envelope("s1", 1), envelope("s1", 2)])
    store.append([envelope("s1", 3)])
    assert [e.stream.version for e in store.load("s1")] == [1, 2, 3]
    assert [e.stream.version for e in store.load("s1", after_version=2)] == [3]
    assert PendingEvent.objects(stream_id="s1").count() == 3


def test_appending_a_taken_version_conflicts_and_leaves_nothing_pending(store):
    store.append([envelope("s2", 1)])
    loser = envelope("s2", 1)
    with pytest.raises(ConcurrencyConflict):
        store.append([loser])
    assert StoredEvent.objects(stream_id="s2").count() == 1
    assert PendingEvent.objects(event_id=loser.id).count() == 0


def test_appending_the_same_event_again_is_a_no_op(store):
    first = envelope("s3", 1)
    store.append([first])
    store.append([envelope("s3", 1, event_id=first.id)])
    assert StoredEvent.objects(stream_id="s3").count() == 1
    assert PendingEvent.objects(event_id=first.id).count() == 1


def test_concurrent_appends_of_the_same_version_let_exactly_one_win(store):
    store.append([envelope("s4", 1)])
    outcomes, barrier = [], threading.Barrier(8)

    def write():
        barrier.wait()
        try:
            store.append([envelope("s4", 2)])
            outcomes.append("ok")
        except ConcurrencyConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(outcomes) == ["conflict"] * 7 + ["ok"]
    assert StoredEvent.objects(stream_id="s4").count() == 2
    assert PendingEvent.objects(stream_id="s4").count() == 2


def test_a_stale_snapshot_is_replayed_forward_and_repaired(store):
    repo = EventSourcedRepository("cases", Case, CaseSnapshot, store, list_fields=case_list_fields)
    case = Case.open("c9", "n", "P", "22366", date(2026, 8, 1), "tested", "law-120-2025")
    repo.save(case, Actor("u", "caseworker"))
    other = repo.get("c9")
    other.assign_worker("w7")
    store.append([new_envelope(event_type="cases.case.worker_assigned", schema_version=1, producer="cases",
                               stream=StreamRef("case", "case-c9", 2), area_code="22366",
                               actor=Actor("u", "caseworker"),
                               data={"case_id": "c9", "commune_code": "22366", "worker_id": "w7"})])
    assert CaseSnapshot.objects.get(id="c9").version == 1
    loaded = repo.get("c9")
    assert loaded.version == 2 and loaded.assigned_worker == "w7"
    assert CaseSnapshot.objects.get(id="c9").version == 2


def test_a_snapshot_never_moves_back_to_an_older_version(store):
    repo = EventSourcedRepository("cases", Case, CaseSnapshot, store, list_fields=case_list_fields)
    case = Case.open("c10", "n", "P", "22366", date(2026, 8, 1), "tested", "law-120-2025")
    repo.save(case, Actor("u", "caseworker"))
    older = repo.get("c10")
    case.assign_worker("w8")
    repo.save(case, Actor("u", "caseworker"))
    repo._write_snapshot(older)
    snapshot = CaseSnapshot.objects.get(id="c10")
    assert snapshot.version == 2 and snapshot.assigned_worker == "w8"


def test_unpublished_events_are_stored_without_an_outbox_entry(store):
    first, second = envelope("s5", 1), envelope("s5", 2)
    store.append([first, second], unpublished={second.id})
    assert [e.stream.version for e in store.load("s5")] == [1, 2]
    assert [p.event_id for p in PendingEvent.objects(stream_id="s5")] == [first.id]


def test_a_cached_aggregate_is_never_older_than_the_log_and_callers_never_share_it(store):
    """Two processes' repositories (two caches) over one log: a change one makes is what the other reads next;
    what `get` hands out is the caller's own copy, and `read` is the cached instance only while it is current."""
    here = EventSourcedRepository("cases", Case, CaseSnapshot, store, list_fields=case_list_fields, cache_size=4)
    there = EventSourcedRepository("cases", Case, CaseSnapshot, store, list_fields=case_list_fields, cache_size=4)
    here.save(Case.open("c11", "n", "P", "22366", date(2026, 8, 1), "tested", "law-120-2025"), Actor("u", "caseworker"))
    assert here.read("c11").version == there.read("c11").version == 1
    changed = there.get("c11")
    changed.assign_worker("w9")
    there.save(changed, Actor("u", "caseworker"))
    assert (here.read("c11").version, here.read("c11").assigned_worker) == (2, "w9")
    mine = here.get("c11")
    mine.assign_worker("someone-else")
    assert here.get("c11").assigned_worker == "w9" and here.read("c11").assigned_worker == "w9"
    assert here.get("c11") is not here.get("c11")


def test_an_aggregate_not_yet_in_the_log_is_remembered_as_absent_until_it_is(store):
    """A case's alert log is asked for before its first alert: the cache remembers it is not there, so asking again
    is one lookup of its first event, and the moment another process creates it, it is read."""
    here = EventSourcedRepository("cases", Case, CaseSnapshot, store, list_fields=case_list_fields, cache_size=4,
                                  remember_absent=True)
    there = EventSourcedRepository("cases", Case, CaseSnapshot, store, list_fields=case_list_fields, cache_size=4)
    assert here.read("c12") is None and here.get("c12") is None
    snapshots = []
    original = CaseSnapshot._get_collection

    class Counting:
        def __init__(self, collection):
            self.collection = collection

        def find_one(self, *args, **kwargs):
            snapshots.append(args)
            return self.collection.find_one(*args, **kwargs)

        def __getattr__(self, name):
            return getattr(self.collection, name)

    CaseSnapshot._get_collection = classmethod(lambda cls: Counting(original()))
    try:
        assert here.read("c12") is None and snapshots == []
        assert there.read("c14") is None and there.read("c14") is None and len(snapshots) == 2, \
            "by default an id asked for from outside is not remembered"
        there.save(Case.open("c12", "n", "P", "22366", date(2026, 8, 1), "tested", "law-120-2025"),
                   Actor("u", "caseworker"))
        assert here.read("c12").version == 1 and here.get("c12").case_number == "n"
    finally:
        CaseSnapshot._get_collection = original


def test_a_history_read_up_to_a_known_version_is_the_whole_stream_in_order(store, monkeypatch):
    """The events up to the version a reader has seen come by `_id $in` (in chunks), any newer by lookups: the
    same stream as reading it event by event, whether the known version is short of, at or past its end."""
    cases = EventSourcedRepository("cases", Case, CaseSnapshot, store, list_fields=case_list_fields)
    case = Case.open("c13", "n", "P", "22366", date(2026, 8, 1), "tested", "law-120-2025")
    for worker in range(7):
        case.assign_worker(f"w{worker}")
    cases.save(case, Actor("u", "caseworker"))
    whole = [envelope.stream.version for envelope, _ in cases.history("c13")]
    assert whole == list(range(1, 9))
    for known in (3, 8, 12):
        assert [envelope.stream.version for envelope, _ in cases.history("c13", known)] == whole
    monkeypatch.setattr("shared.repository.KEYS_AT_ONCE", 3)
    assert [envelope.stream.version for envelope, _ in cases.history("c13", 8)] == whole
