"""Many streams appended and many aggregates read and saved in one go, against the real FerretDB: the same
guarantees as one at a time (outbox entry before the event, a taken version is that stream's conflict and leaves
nothing of it pending, the same event again is a no-op), one stream's conflict holding back no other."""
import threading
from datetime import date, datetime, timezone

from shared.envelope import Actor, StreamRef, new_envelope
from shared.eventstore import PendingEvent, StoredEvent, event_document
from shared.repository import EventSourcedRepository
from services.cases.adapters.documents import CaseSnapshot, case_list_fields
from services.cases.domain.model import Case
from tests.integration import test_eventstore
from tests.integration.test_eventstore import envelope

store = test_eventstore.store
ACTOR = Actor("u", "caseworker")


def test_many_streams_are_appended_and_listed_as_pending(store):
    streams = [[envelope("m1", 1), envelope("m1", 2)], [envelope("m2", 1)], []]
    assert store.append_many(streams) == set()
    assert [e.stream.version for e in store.load("m1")] == [1, 2]
    assert [e.stream.version for e in store.load("m2")] == [1]
    assert PendingEvent.objects(stream_id__in=["m1", "m2"]).count() == 3


def test_a_taken_version_is_that_streams_conflict_alone(store):
    store.append([envelope("m3", 1), envelope("m3", 2)])
    losing = [envelope("m3", 2), envelope("m3", 3)]
    winning = [envelope("m4", 1)]
    assert store.append_many([losing, winning]) == {0}
    assert StoredEvent.objects(stream_id="m3").count() == 2, "nothing of the loser past its collision"
    assert PendingEvent.objects(event_id__in=[e.id for e in losing]).count() == 0
    assert [e.id for e in store.load("m4")] == [winning[0].id]
    assert PendingEvent.objects(event_id=winning[0].id).count() == 1


def test_appending_the_same_events_again_is_a_no_op(store):
    first = [envelope("m5", 1), envelope("m5", 2)]
    store.append_many([first])
    again = [envelope("m5", 1, event_id=first[0].id), envelope("m5", 2, event_id=first[1].id)]
    assert store.append_many([again]) == set()
    assert StoredEvent.objects(stream_id="m5").count() == 2
    assert PendingEvent.objects(stream_id="m5").count() == 2


def test_unpublished_events_get_no_outbox_entry(store):
    first, second = envelope("m6", 1), envelope("m6", 2)
    store.append_many([[first, second]], unpublished={second.id})
    assert [p.event_id for p in PendingEvent.objects(stream_id="m6")] == [first.id]


def test_concurrent_batches_of_the_same_versions_let_exactly_one_win_each(store):
    outcomes, barrier = [], threading.Barrier(6)

    def write():
        barrier.wait()
        outcomes.append(store.append_many([[envelope("m7", 1)], [envelope("m8", 1)]]))

    threads = [threading.Thread(target=write) for _ in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sum(0 not in lost for lost in outcomes) == 1 and sum(1 not in lost for lost in outcomes) == 1
    assert PendingEvent.objects(stream_id__in=["m7", "m8"]).count() == 2
    assert StoredEvent.objects(stream_id__in=["m7", "m8"]).count() == 2


def opened(case_id):
    return Case.open(case_id, "n", "P", "22366", date(2026, 8, 1), "tested", "law-120-2025")


def test_many_aggregates_are_saved_then_read_together(store):
    repo = EventSourcedRepository("cases", Case, CaseSnapshot, store, list_fields=case_list_fields)
    assert repo.save_many([opened("b1"), opened("b2")], ACTOR) == set()
    read = repo.get_many(["b1", "b2", "b-none", "b1"])
    assert sorted(read) == ["b1", "b2"] and all(case.version == 1 for case in read.values())
    for case in read.values():
        case.assign_worker("w1")
    assert repo.save_many(list(read.values()), ACTOR) == set()
    assert {s.id: (s.version, s.assigned_worker) for s in CaseSnapshot.objects(id__in=["b1", "b2"])} == {
        "b1": (2, "w1"), "b2": (2, "w1")}


def test_a_conflicting_aggregate_is_not_saved_and_the_others_are(store):
    repo = EventSourcedRepository("cases", Case, CaseSnapshot, store, list_fields=case_list_fields)
    repo.save_many([opened("b3"), opened("b4")], ACTOR)
    mine = repo.get_many(["b3", "b4"])
    theirs = repo.get("b3")
    theirs.assign_worker("w-theirs")
    repo.save(theirs, ACTOR)
    for case in mine.values():
        case.assign_worker("w-mine")
    assert repo.save_many([mine["b3"], mine["b4"]], ACTOR) == {"b3"}
    assert mine["b3"].pending, "the loser keeps its events unsaved"
    assert (repo.get("b3").assigned_worker, repo.get("b4").assigned_worker) == ("w-theirs", "w-mine")


def test_snapshots_written_together_never_move_back_and_newer_events_are_replayed(store):
    repo = EventSourcedRepository("cases", Case, CaseSnapshot, store, list_fields=case_list_fields)
    repo.save_many([opened("b5"), opened("b6")], ACTOR)
    older = repo.get_many(["b5", "b6"])
    newer = repo.get("b5")
    newer.assign_worker("w2")
    repo.save(newer, ACTOR)
    repo._write_snapshots([older["b5"], older["b6"]])
    assert CaseSnapshot.objects.get(id="b5").version == 2, "a newer snapshot stands"
    CaseSnapshot.objects(id="b5").delete()
    opened_again = opened("b5")
    repo._write_snapshot(opened_again)
    assert repo.get_many(["b5"])["b5"].assigned_worker == "w2", "the log's newer event is applied"


def test_events_appended_together_are_stored_as_one_at_a_time_stores_them(store):
    plain = envelope("m9", 1)
    full = new_envelope(event_type="cases.case.worker_assigned", schema_version=1, producer="cases",
                        stream=StreamRef("case", "m9", 2), area_code=None, actor=Actor("u", "caseworker", None),
                        causation_id="c-1", data={})
    at = datetime.now(timezone.utc)
    for one in (plain, full):
        expected = StoredEvent.from_envelope(one)
        expected.recorded_at = at
        assert event_document(one, at) == expected.to_mongo().to_dict()
