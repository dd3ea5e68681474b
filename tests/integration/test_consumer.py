import json
import time
import uuid

import pytest
from kombu import Connection

from shared import runtime
from shared.bus import Subscription, events_exchange
from shared.consumer import BatchedHandlers
from shared.once import claim, with_prefix
from services.cases.adapters.documents import DOCUMENTS
from services.cases.contracts import CONTRACTS
from tests.integration.busutil import RunningConsumer, collect, queue_messages
from tests.integration.test_eventstore import envelope
from tests.support import wait_for


@pytest.fixture
def subscription(settings):
    runtime.connect_database(settings("cases"), DOCUMENTS)
    return Subscription(queue=f"test.{uuid.uuid4().hex[:8]}", bindings=(("cases", "cases.case.worker_assigned"),),
                        contracts=CONTRACTS, delivery_limit=3)


def publish(amqp_url, body, content_type="application/json", raw=False):
    with Connection(amqp_url) as connection:
        producer = connection.Producer()
        if raw:
            producer.publish(body, exchange=events_exchange("cases"), routing_key="cases.case.worker_assigned",
                             content_type=content_type, content_encoding="utf-8", delivery_mode=2)
        else:
            producer.publish(body, exchange=events_exchange("cases"), routing_key="cases.case.worker_assigned",
                             serializer="json", delivery_mode=2)


def effects(prefix):
    return with_prefix(prefix).count()


def recording_handler(prefix):
    def handle(event):
        claim(f"{prefix}{event.id}")
    return handle


def test_the_same_event_delivered_twice_has_one_effect(subscription, amqp_url):
    calls = []
    handler = recording_handler("effect:")
    message = envelope("dup", 1).to_message()
    with RunningConsumer(amqp_url, subscription,
                         {"cases.case.worker_assigned": lambda e: (calls.append(e.id), handler(e))}):
        publish(amqp_url, message)
        publish(amqp_url, message)
        wait_for(lambda: len(calls) >= 1 and effects("handled:") == 1, 10, message="handling")
        publish(amqp_url, envelope("dup", 2).to_message())
        wait_for(lambda: effects("effect:") == 2, 10, message="the next event")
    assert calls.count(message["id"]) == 1


def failing_on_poison(good: list, attempts: list):
    """A handler that fails every time on the message whose worker is "poison", and keeps the others' ids."""
    def handle(event):
        if event.data["worker_id"] == "poison":
            attempts.append(1)
            raise RuntimeError("always fails")
        good.append(event.id)
    return handle


def poison_message(stream: str) -> dict:
    message = envelope(stream, 1).to_message()
    message["data"]["worker_id"] = "poison"
    return message


def test_poison_and_undecodable_messages_are_dead_lettered_and_consumption_goes_on(subscription, amqp_url):
    good, attempts = [], []
    poison = poison_message("p")
    with RunningConsumer(amqp_url, subscription, {"cases.case.worker_assigned": failing_on_poison(good, attempts)}):
        publish(amqp_url, poison)
        publish(amqp_url, b"{not json", raw=True)
        publish(amqp_url, b"plain text", content_type="text/plain", raw=True)
        publish(amqp_url, {"id": "broken envelope"})
        publish(amqp_url, envelope("ok", 1).to_message())
        wait_for(lambda: len(good) == 1, 20, message="the good message")
        dead = collect(amqp_url, subscription.dead_letter_name, 4)
    assert len(dead) == 4
    assert poison in [json.loads(body) for body in dead if body.startswith(b'{"')]
    assert b"{not json" in dead and b"plain text" in dead
    assert len(attempts) == subscription.delivery_limit + 1


def test_a_batching_consumer_handles_what_came_together_in_one_call_and_acknowledges_each(subscription, amqp_url):
    batches = []
    messages = [envelope(f"b{i}", 1).to_message() for i in range(30)]
    handlers = BatchedHandlers({"cases.case.worker_assigned": lambda e: batches.append([e.id])},
                               batch=lambda events: batches.append([e.id for e in events]))
    running = RunningConsumer(amqp_url, subscription, handlers, prefetch=5, batch_size=20)
    for message in messages:
        publish(amqp_url, message)
    with running:
        wait_for(lambda: sum(len(b) for b in batches) == 30, 10, message="every message in batches")
    assert sorted(i for b in batches for i in b) == sorted(m["id"] for m in messages)
    assert max(len(b) for b in batches) > 5 and max(len(b) for b in batches) <= 20, "batches of the batch size"
    assert queue_messages(amqp_url, subscription.queue) == [], "each message was acknowledged"


def test_a_batch_that_fails_is_handled_one_by_one_so_only_the_poison_message_is_dead_lettered(subscription,
                                                                                              amqp_url):
    good = []

    def each(event):
        if event.data["worker_id"] == "poison":
            raise RuntimeError("always fails")
        good.append(event.id)

    def batch(events):
        if any(e.data["worker_id"] == "poison" for e in events):
            raise RuntimeError("the batch holds a poison message")
        good.extend(e.id for e in events)

    poison = envelope("p", 1).to_message()
    poison["data"]["worker_id"] = "poison"
    fine = [envelope(f"f{i}", 1).to_message() for i in range(5)]
    running = RunningConsumer(amqp_url, subscription, BatchedHandlers({"cases.case.worker_assigned": each}, batch))
    for message in [fine[0], poison, *fine[1:]]:
        publish(amqp_url, message)
    with running:
        wait_for(lambda: len(set(good)) == 5, 20, message="the good messages")
        dead = collect(amqp_url, subscription.dead_letter_name, 1)
    assert sorted(set(good)) == sorted(m["id"] for m in fine)
    assert [json.loads(body) for body in dead] == [poison]


def test_a_plain_consumer_records_the_marks_of_what_came_together_at_once_and_handles_a_repeat_in_it_once(
        subscription, amqp_url):
    calls = []
    fine = [envelope(f"lot{i}", 1).to_message() for i in range(8)]
    running = RunningConsumer(amqp_url, subscription, {"cases.case.worker_assigned": lambda e: calls.append(e.id)},
                              prefetch=20)
    for message in [*fine[:4], fine[1], *fine[4:]]:
        publish(amqp_url, message)
    with running:
        wait_for(lambda: effects(f"handled:{subscription.queue}:") == 8, 10, message="every mark")
        wait_for(lambda: queue_messages(amqp_url, subscription.queue) == [], 10, message="every message acknowledged")
    assert sorted(calls) == sorted(m["id"] for m in fine)
    stamps = {mark.created_at for mark in with_prefix(f"handled:{subscription.queue}:")}
    assert len(stamps) <= 2, "the marks of a lot are written together (the window of 20 takes the lot in 1 or 2)"


def test_in_a_lot_a_failing_message_is_retried_alone_and_the_others_are_handled_once(subscription, amqp_url):
    calls, attempts = [], []
    poison = poison_message("lp")
    fine = [envelope(f"lf{i}", 1).to_message() for i in range(5)]
    running = RunningConsumer(amqp_url, subscription,
                              {"cases.case.worker_assigned": failing_on_poison(calls, attempts)})
    for message in [fine[0], poison, *fine[1:]]:
        publish(amqp_url, message)
    with running:
        dead = collect(amqp_url, subscription.dead_letter_name, 1)
    assert sorted(calls) == sorted(m["id"] for m in fine)
    assert [json.loads(body) for body in dead] == [poison]
    assert len(attempts) == subscription.delivery_limit + 1
    assert effects(f"handled:{subscription.queue}:") == 5


def test_a_plain_consumer_keeps_its_connection_through_quiet_heartbeat_intervals(subscription, amqp_url):
    calls, starts = [], []
    running = RunningConsumer(amqp_url, subscription, {"cases.case.worker_assigned": lambda e: calls.append(e.id)},
                              heartbeat=2)
    running.consumer.on_consume_ready = lambda *args, **kwargs: starts.append(time.monotonic())
    with running:
        publish(amqp_url, envelope("hb", 1).to_message())
        wait_for(lambda: len(calls) == 1, 10, message="the first lot")
        time.sleep(7)
        publish(amqp_url, envelope("hb", 2).to_message())
        wait_for(lambda: len(calls) == 2, 20, message="a lot after three heartbeat intervals (2 s) of quiet")
    assert len(starts) == 1, "the lots' heartbeats go on the connection consumed from, which is never lost"
