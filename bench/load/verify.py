"""After the run: wait until the outbox is drained and the consumers' queues are empty, then check that every write
that answered 2xx reached whoever consumes it:

- an opened case: its `cases.case.opened` on the cases exchange, a case_opened alert in the notifications store, and
  the plan's people_newly_managed counter;
- a workflow step: its event (the step's `emits`) on the exchange, and for open_compulsory_dossier the plan's
  compulsory_dossiers counter;
- a visit (an unpublished event: nothing outside the cases service consumes it): on the case as read back.

The exchange is watched by a queue of the run's own, bound to every cases event before the load starts."""
from __future__ import annotations

import time
from collections import Counter

import pymongo
import requests
from kombu import Connection, Consumer, Exchange, Queue

WATCH = "bench.load.published"


def watch_queue() -> Queue:
    return Queue(WATCH, exchange=Exchange("cases.events", type="topic", durable=True, passive=True),
                 routing_key="#", durable=True, queue_arguments={"x-queue-type": "quorum"})


def watch(amqp_url: str) -> None:
    with Connection(amqp_url) as connection:
        watch_queue()(connection.default_channel).declare()


def published(amqp_url: str) -> Counter:
    """(type, case id) of every cases event that reached the exchange, read off the watching queue (a case's stream
    is `case-<id>`)."""
    seen: Counter = Counter()

    def on_message(body, message):
        seen[(body["type"], body["stream"]["id"].removeprefix("case-"))] += 1
        message.ack()

    with Connection(amqp_url) as connection:
        with Consumer(connection, queues=[watch_queue()], callbacks=[on_message], accept=["json"],
                      prefetch_count=500):
            while True:
                try:
                    connection.drain_events(timeout=2)
                except TimeoutError:
                    break
    return seen


def drained(mongodb_uri: str, prefix: str, broker, timeout: float = 300) -> float:
    """Seconds until the cases outbox is empty and every consumer's queue has been empty twice in a row; dead
    letter queues are left to the check."""
    client = pymongo.MongoClient(mongodb_uri)
    started = time.monotonic()
    quiet = 0
    try:
        while time.monotonic() - started < timeout:
            pending = client[f"{prefix}_cases"]["pending"].count_documents({})
            busy = {name: depth for name, depth in broker.queue_depths().items()
                    if depth and name != WATCH and not name.endswith(".dead")}
            quiet = quiet + 1 if not pending and not busy else 0
            if quiet >= 2:
                return time.monotonic() - started
            time.sleep(1)
    finally:
        client.close()
    raise RuntimeError(f"not drained after {timeout:.0f}s: {pending} in the cases outbox, queues {busy}")


def visits_on(urls: dict, token: str, case_ids) -> dict[str, int]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    counts = {}
    for case_id in case_ids:
        response = session.get(f"{urls['cases']}/api/v1/cases/{case_id}", timeout=30)
        response.raise_for_status()
        counts[case_id] = len(response.json().get("visits") or [])
    return counts


def alerted_cases(mongodb_uri: str, prefix: str) -> set[str]:
    client = pymongo.MongoClient(mongodb_uri)
    try:
        return {doc.get("subject_id") for doc in client[f"{prefix}_notifications"]["alert_snapshots"].find(
            {"category": "case_opened"}, {"subject_id": 1})}
    finally:
        client.close()


def dead_letters(broker) -> int:
    return sum(depth for name, depth in broker.queue_depths().items() if name.endswith(".dead"))


def lost(writes: list[dict], seen: Counter, alerted: set[str], visits: dict[str, int], counters: dict[str, int],
         seeded: int) -> dict[str, int]:
    """How many 2xx writes of each kind left no trace where they should have."""
    missing: Counter = Counter()
    wanted: Counter = Counter()
    visits_made: Counter = Counter()
    opened = dossiers = 0
    for write in writes:
        if write["name"] == "open case":
            opened += 1
            wanted[("cases.case.opened", write["case"])] += 1
            missing["open case (alert)"] += write["case"] not in alerted
        elif write["name"] == "transition":
            wanted[(write["emits"], write["case"])] += 1
            dossiers += write["emits"] == "cases.case.compulsory_dossier_opened"
        elif write["name"] == "visit":
            visits_made[write["case"]] += 1
    for key, count in wanted.items():
        name = "open case (event)" if key[0] == "cases.case.opened" else "transition (event)"
        missing[name] += max(0, count - seen[key])
    for case_id, count in visits_made.items():
        missing["visit (on the case)"] += max(0, count - visits.get(case_id, 0))
    missing["plan counter people_newly_managed"] += max(0, seeded + opened - counters["people_newly_managed"])
    missing["plan counter compulsory_dossiers"] += max(0, dossiers - counters["compulsory_dossiers"])
    return dict(missing)
