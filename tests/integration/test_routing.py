"""Routing a batch of events on the real FerretDB, as the worker's consumer hands them over: the alerts of each
event, once however often the batch comes, and a resolving event ends only the alerts raised before it, whatever
order the events are taken in (a redelivery, two consumers at once)."""
from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from shared.envelope import Actor, StreamRef, new_envelope
from shared.messagebus import MessageBus

from services.notifications.adapters.config import NotifySettings
from services.notifications.adapters.deliveries import DisclosureLog
from services.notifications.adapters.documents import AlertSnapshot
from services.notifications.adapters.resolutions import ResolutionDocument
from services.notifications.bootstrap import bootstrap
from services.notifications.domain.commands import (EscalateDueAlerts, ForgetResolutions, NextEscalationDue,
                                                   RouteEvents)
from services.notifications.domain.model import Alert
from services.notifications.domain.resolutions import Cause, Resolution
from services.notifications.service_layer import alerts as alert_routing
from services.notifications.service_layer.alerts import SYSTEM
from services.notifications.service_layer.retention import RESOLUTIONS_KEPT

THERE = "22333"
RECEIVERS = (f"CAX-{THERE}", f"UBX-{THERE}")


@pytest.fixture
def bus(settings):
    bus = bootstrap(settings("notifications"), NotifySettings.from_env({}))
    directory = bus.dependencies["directory"]
    directory.keep(RECEIVERS[0], "commune_police", [THERE], 1)
    directory.keep(RECEIVERS[1], "commune_committee", [THERE], 1)
    return bus


def _transfer_step(event_type: str, case_id: str, share_id: str, at: datetime, version: int = 1):
    data = {"case_id": case_id, "case_number": "HS-22366-000001", "commune_code": "22366", "share_id": share_id,
            "kind": "transfer", "to_commune": THERE, "to_unit": None, "status": event_type.rsplit("_", 1)[-1],
            "reason_code": None, "notify_police_by": (at + timedelta(hours=24)).isoformat()}
    return new_envelope(event_type=event_type, schema_version=1, producer="cases",
                        stream=StreamRef("case", f"case-{case_id}", version), occurred_at=at, area_code="22366",
                        actor=Actor("cb", "caseworker", "UBX-22366"), data=data)


def _open_alerts(case_id: str) -> dict[str, str]:
    return {s.id: s.category for s in AlertSnapshot.objects(subject_id=case_id) if s.open == "yes"}


def test_a_batch_raises_each_events_alerts_once_and_resolves_only_what_was_raised_before_the_resolving_event(bus):
    case_id, at = uuid.uuid4().hex, datetime.now(timezone.utc)
    first = _transfer_step("cases.case.transfer_requested", case_id, "s1", at, 1)
    revoked = _transfer_step("cases.case.transfer_revoked", case_id, "s1", at + timedelta(minutes=1), 2)
    again = _transfer_step("cases.case.transfer_requested", case_id, "s2", at + timedelta(minutes=2), 3)
    assert bus.handle(RouteEvents([first, revoked, again])) == 4
    assert bus.handle(RouteEvents([first, revoked, again])) == 4, "a redelivered batch raises the same alerts"
    snapshots = list(AlertSnapshot.objects(subject_id=case_id))
    assert len(snapshots) == 4, "four alerts, not eight"
    still_open = _open_alerts(case_id)
    assert len(still_open) == 2, "the second transfer's alerts stay open: they came after the revocation"
    assert {s.recipient_unit for s in snapshots if s.id in still_open} == set(RECEIVERS)
    assert {s.state["raised"]["facts"]["share_id"] for s in snapshots if s.id in still_open} == {"s2"}


def test_an_alert_whose_raising_event_comes_after_the_event_that_ends_it_is_resolved_and_a_later_one_stays(bus):
    case_id, at = uuid.uuid4().hex, datetime.now(timezone.utc)
    first = _transfer_step("cases.case.transfer_requested", case_id, "s1", at, 1)
    revoked = _transfer_step("cases.case.transfer_revoked", case_id, "s1", at + timedelta(minutes=1), 2)
    again = _transfer_step("cases.case.transfer_requested", case_id, "s2", at + timedelta(minutes=2), 3)
    assert bus.handle(RouteEvents([revoked])) == 0
    assert bus.handle(RouteEvents([again])) == 2
    assert bus.handle(RouteEvents([first])) == 2
    still_open = _open_alerts(case_id)
    assert len(still_open) == 2, "the first request's alerts are resolved by the revocation taken before them"
    snapshots = {s.id: s for s in AlertSnapshot.objects(subject_id=case_id)}
    assert {snapshots[i].state["raised"]["facts"]["share_id"] for i in still_open} == {"s2"}
    resolved = [s for s in snapshots.values() if s.id not in still_open]
    assert {s.state["resolved_reason"] for s in resolved} == {"cases.case.transfer_revoked"}
    assert bus.handle(RouteEvents([revoked])) == 0, "the revocation redelivered after the new request"
    assert _open_alerts(case_id) == still_open, "it ends only what was raised before it"


class Interleaved:
    """A port of the routing that runs `then` (the other consumer's whole routing) right after its first call of
    `method`: each point where one consumer could be overtaken by the other."""

    def __init__(self, port, method: str, then):
        self.port, self.method, self.then, self.ran = port, method, then, 0

    def __getattr__(self, name):
        attribute = getattr(self.port, name)
        if name != self.method:
            return attribute

        def called(*args, **kwargs):
            answer = attribute(*args, **kwargs)
            if not self.ran:
                self.ran += 1
                self.then()
            return answer
        return called


@pytest.mark.parametrize("port, method, first", [("alerts", "save_many", "requested"),
                                                 ("resolutions", "about", "requested"),
                                                 ("resolutions", "remember", "transferred"),
                                                 ("views", "open_about", "transferred")])
def test_whichever_consumer_reaches_the_store_second_sees_the_other(bus, port, method, first):
    """The request's routing overtaken by the acceptance's right after it stored its alerts, or right after it
    looked for kept resolving events; the acceptance's overtaken right after it kept itself, or right after it
    looked for stored alerts: in each the request's alerts end resolved."""
    case_id, at = uuid.uuid4().hex, datetime.now(timezone.utc)
    events = {"requested": _transfer_step("cases.case.transfer_requested", case_id, "s1", at, 1),
              "transferred": _transfer_step("cases.case.transferred", case_id, "s1", at + timedelta(seconds=1), 2)}
    other = events["transferred" if first == "requested" else "requested"]
    interleaved = Interleaved(bus.dependencies[port], method, lambda: bus.handle(RouteEvents([other])))
    routing = MessageBus(alert_routing.HANDLERS, {**bus.dependencies, port: interleaved})
    routing.handle(RouteEvents([events[first]]))
    assert interleaved.ran == 1
    snapshots = list(AlertSnapshot.objects(subject_id=case_id))
    assert len(snapshots) == 2 and {s.open for s in snapshots} == {"no"}
    assert {s.state["resolved_reason"] for s in snapshots} == {"cases.case.transferred"}


def test_an_escalation_overtaken_by_the_event_that_ends_its_alert_leaves_no_next_level_alert_open(bus):
    """The timer has found a transfer alert past its legal deadline with nothing kept that ends it; the transfer
    is then routed (it resolves the alerts stored, the next level's is not yet); the timer raises the provincial
    police's alert: checked once stored, it ends resolved too."""
    bus.dependencies["directory"].keep("CA-T56-PC04", "provincial_police", ["56"], 1)
    case_id, at = uuid.uuid4().hex, datetime.now(timezone.utc) - timedelta(hours=25)
    assert bus.handle(RouteEvents([_transfer_step("cases.case.transfer_requested", case_id, "s1", at, 1)])) == 2
    transferred = _transfer_step("cases.case.transferred", case_id, "s1", at + timedelta(hours=1), 2)
    interleaved = Interleaved(bus.dependencies["resolutions"], "about",
                              lambda: bus.handle(RouteEvents([transferred])))
    timer = MessageBus(alert_routing.HANDLERS, {**bus.dependencies, "resolutions": interleaved})
    timer.handle(EscalateDueAlerts())
    assert interleaved.ran == 1
    snapshots = list(AlertSnapshot.objects(subject_id=case_id))
    next_level = [s for s in snapshots if s.state["raised"]["escalated_from"]]
    assert [s.recipient_unit for s in next_level] == ["CA-T56-PC04"]
    assert {s.open for s in snapshots} == {"no"}


class DeliveriesAsked:
    """The routing's delivery port, recording which alerts it was asked to deliver."""

    def __init__(self, delivery):
        self.delivery, self.asked = delivery, []

    def __getattr__(self, name):
        return getattr(self.delivery, name)

    def deliver_many(self, raised, urgent=None):
        self.asked += [alert.raised.facts["share_id"] for alert, _, _ in raised]
        return self.delivery.deliver_many(raised, urgent)


def test_only_the_alerts_still_open_once_resolved_are_delivered(bus):
    case_id, at = uuid.uuid4().hex, datetime.now(timezone.utc)
    delivery = DeliveriesAsked(bus.dependencies["delivery"])
    routing = MessageBus(alert_routing.HANDLERS, {**bus.dependencies, "delivery": delivery})
    routing.handle(RouteEvents([_transfer_step("cases.case.transfer_revoked", case_id, "s1", at, 2)]))
    routing.handle(RouteEvents([_transfer_step("cases.case.transfer_requested", case_id, "s1", at, 1),
                                _transfer_step("cases.case.transfer_requested", case_id, "s2", at, 3)]))
    assert delivery.asked == ["s2", "s2"], "the first request's alerts were ended by the revocation taken before"
    assert len(_open_alerts(case_id)) == 2


def test_an_alert_due_to_escalate_that_a_kept_resolving_event_ends_is_resolved_instead(bus):
    """Stored (as a worker that stopped before its check would leave it) past its legal deadline, with the transfer
    that ends it kept: the timer resolves it and tells no next level."""
    bus.dependencies["directory"].keep("CA-T56-PC04", "provincial_police", ["56"], 1)
    case_id, at = uuid.uuid4().hex, datetime.now(timezone.utc) - timedelta(hours=25)
    requested = _transfer_step("cases.case.transfer_requested", case_id, "s1", at, 1)
    transferred = _transfer_step("cases.case.transferred", case_id, "s1", at + timedelta(hours=1), 2)
    rule = bus.dependencies["rules"].get("transfer_requested")
    bus.dependencies["resolutions"].remember([Resolution.of(rule, transferred)])
    alert = Alert.raise_for(uuid.uuid4().hex, RECEIVERS[0], rule, requested.type, requested.data, THERE,
                            ("t", "t"), raised_at=at, cause=Cause.of_event(requested))
    bus.dependencies["alerts"].save(alert, SYSTEM)
    assert bus.handle(EscalateDueAlerts()) == 0
    snapshots = list(AlertSnapshot.objects(subject_id=case_id))
    assert [(s.id, s.open, s.state["resolved_reason"]) for s in snapshots] == [
        (alert.id, "no", "cases.case.transferred")]


def test_the_escalation_timer_is_told_when_the_next_escalation_falls_due(bus):
    case_id, now = uuid.uuid4().hex, datetime.now(timezone.utc)
    requested = _transfer_step("cases.case.transfer_requested", case_id, "s1", now - timedelta(hours=24), 1)
    requested.data["notify_police_by"] = (now + timedelta(minutes=10)).isoformat()
    assert bus.handle(RouteEvents([requested])) == 2
    assert 590 < bus.handle(NextEscalationDue()) <= 600, "its legal deadline, the earliest of the module's"


def test_raising_and_resolving_events_taken_at_once_by_two_consumers_leave_no_ended_alert_open(bus, settings):
    """Each subject's request and its acceptance, handled at the same moment by two threads with their own bus: the
    request's alerts end resolved whichever thread gets to the store first."""
    other = bootstrap(settings("notifications"), NotifySettings.from_env({}))
    at = datetime.now(timezone.utc)
    cases = [uuid.uuid4().hex for _ in range(40)]
    requests = [_transfer_step("cases.case.transfer_requested", c, "s1", at, 1) for c in cases]
    accepted = [_transfer_step("cases.case.transferred", c, "s1", at + timedelta(seconds=1), 2) for c in cases]
    start, failures = threading.Barrier(2), []

    def handle(handler, events):
        start.wait()
        try:
            for event in events:
                handler.handle(RouteEvents([event]))
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=handle, args=(bus, requests)),
               threading.Thread(target=handle, args=(other, accepted))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures
    snapshots = list(AlertSnapshot.objects(subject_id__in=cases))
    assert len(snapshots) == 2 * len(cases)
    assert [s.subject_id for s in snapshots if s.open == "yes"] == []


class AcknowledgedMeanwhile:
    """The alerts repository, with a person acknowledging the alert between the routing's read and its save."""

    def __init__(self, repository):
        self.repository, self.interfered = repository, 0

    def __getattr__(self, name):
        return getattr(self.repository, name)

    def save(self, alert, *args, **kwargs):
        if not self.interfered:
            self.interfered += 1
            meanwhile = self.repository.get(alert.id)
            meanwhile.acknowledge("cb-22333", "inbox", datetime.now(timezone.utc))
            self.repository.save(meanwhile, SYSTEM)
        return self.repository.save(alert, *args, **kwargs)


def test_an_alert_acknowledged_while_it_is_being_resolved_is_read_again_and_resolved(bus):
    case_id, at = uuid.uuid4().hex, datetime.now(timezone.utc)
    requested = _transfer_step("cases.case.transfer_requested", case_id, "s1", at, 1)
    assert bus.handle(RouteEvents([requested])) == 2
    repository = AcknowledgedMeanwhile(bus.dependencies["alerts"])
    routing = MessageBus(alert_routing.HANDLERS, {**bus.dependencies, "alerts": repository})
    routing.handle(RouteEvents([_transfer_step("cases.case.transferred", case_id, "s1", at, 2)]))
    assert repository.interfered == 1
    snapshots = list(AlertSnapshot.objects(subject_id=case_id))
    assert [s.open for s in snapshots] == ["no", "no"]
    assert sorted(s.acknowledged for s in snapshots) == [False, True], "the acknowledgement stays too"


def test_a_resolving_event_is_kept_once_however_often_it_comes_and_forgotten_once_kept_past_the_retention(bus):
    case_id, now = uuid.uuid4().hex, datetime.now(timezone.utc)
    old = _transfer_step("cases.case.transfer_revoked", case_id, "s0", now - RESOLUTIONS_KEPT - timedelta(hours=1), 2)
    recent = _transfer_step("cases.case.transferred", case_id, "s1", now - timedelta(days=1), 4)
    for _ in range(2):
        bus.handle(RouteEvents([old, recent]))
    kept = {d.event_id: d for d in ResolutionDocument.objects(subject_id=case_id)}
    assert sorted(kept) == sorted([old.id, recent.id]), "one each, the redelivery adds nothing"
    assert kept[recent.id].rule_id == "transfer_requested" and kept[recent.id].stream_version == 4
    assert kept[recent.id].occurred_at == recent.occurred_at.isoformat(), "to the microsecond"
    ResolutionDocument.objects(event_id=old.id).update(set__kept_at=now - RESOLUTIONS_KEPT - timedelta(hours=1))
    assert bus.handle(ForgetResolutions()) >= 1
    assert [d.event_id for d in ResolutionDocument.objects(subject_id=case_id)] == [recent.id]


def test_each_alert_raised_about_a_case_is_its_in_app_disclosure_to_the_unit_listed_once(bus):
    case_id, at = uuid.uuid4().hex, datetime.now(timezone.utc)
    requested = _transfer_step("cases.case.transfer_requested", case_id, "s1", at)
    assert bus.handle(RouteEvents([requested])) == 2
    snapshots = {s.recipient_unit: s for s in AlertSnapshot.objects(subject_id=case_id)}
    log = DisclosureLog()
    earlier = snapshots[RECEIVERS[0]]
    log.record(case_id, f"unit:{RECEIVERS[0]}", "in_app", "transfer_requested", earlier.id, None, earlier.raised_at)
    log.record(case_id, "member:cb@ubnd.vn", "email", "transfer_requested", earlier.id, "d-1",
               earlier.raised_at + timedelta(minutes=5))
    listed, total = log.for_case(case_id, 0, 10)
    assert total == 3, "an in-app disclosure recorded before is the same entry as its alert's, not a second"
    assert {(d["to"], d["channel"], d["alert_id"], d["at"]) for d in listed[:2]} == {
        (f"unit:{unit}", "in_app", snapshots[unit].id, snapshots[unit].raised_at.replace(tzinfo=timezone.utc))
        for unit in RECEIVERS}
    assert {d["rule_id"] for d in listed} == {"transfer_requested"}
    assert (listed[2]["to"], listed[2]["channel"]) == ("member:cb@ubnd.vn", "email")
    page, total = log.for_case(case_id, 1, 1)
    assert total == 3 and [d["channel"] for d in page] == ["in_app"]
    assert log.for_case(uuid.uuid4().hex, 0, 10) == ([], 0)
