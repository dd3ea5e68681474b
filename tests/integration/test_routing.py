"""Routing a batch of events on the real FerretDB, as the worker's consumer hands them over: the alerts of each
event, once however often the batch comes, and a resolving event ends only the alerts raised before it."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from shared.envelope import Actor, StreamRef, new_envelope

from services.notifications.adapters.config import NotifySettings
from services.notifications.adapters.deliveries import DisclosureLog
from services.notifications.adapters.documents import AlertSnapshot
from services.notifications.bootstrap import bootstrap
from services.notifications.domain.commands import RouteEvents

THERE = "22333"
RECEIVERS = (f"CAX-{THERE}", f"UBX-{THERE}")


@pytest.fixture
def bus(settings):
    bus = bootstrap(settings("notifications"), NotifySettings.from_env({}))
    directory = bus.dependencies["directory"]
    directory.keep(RECEIVERS[0], "commune_police", [THERE], 1)
    directory.keep(RECEIVERS[1], "commune_committee", [THERE], 1)
    return bus


def _transfer_step(event_type: str, case_id: str, share_id: str, at: datetime):
    data = {"case_id": case_id, "case_number": "HS-22366-000001", "commune_code": "22366", "share_id": share_id,
            "kind": "transfer", "to_commune": THERE, "to_unit": None, "status": event_type.rsplit("_", 1)[-1],
            "reason_code": None, "notify_police_by": (at + timedelta(hours=24)).isoformat()}
    return new_envelope(event_type=event_type, schema_version=1, producer="cases", stream=StreamRef(
        "case", f"case-{case_id}", 1), area_code="22366", actor=Actor("cb", "caseworker", "UBX-22366"), data=data)


def _open_alerts(case_id: str) -> dict[str, str]:
    return {s.id: s.category for s in AlertSnapshot.objects(subject_id=case_id) if s.open == "yes"}


def test_a_batch_raises_each_events_alerts_once_and_resolves_only_what_was_raised_before_the_resolving_event(bus):
    case_id, at = uuid.uuid4().hex, datetime.now(timezone.utc)
    first = _transfer_step("cases.case.transfer_requested", case_id, "s1", at)
    revoked = _transfer_step("cases.case.transfer_revoked", case_id, "s1", at + timedelta(minutes=1))
    again = _transfer_step("cases.case.transfer_requested", case_id, "s2", at + timedelta(minutes=2))
    assert bus.handle(RouteEvents([first, revoked, again])) == 4
    assert bus.handle(RouteEvents([first, revoked, again])) == 4, "a redelivered batch raises the same alerts"
    snapshots = list(AlertSnapshot.objects(subject_id=case_id))
    assert len(snapshots) == 4, "four alerts, not eight"
    still_open = _open_alerts(case_id)
    assert len(still_open) == 2, "the second transfer's alerts stay open: they came after the revocation"
    assert {s.recipient_unit for s in snapshots if s.id in still_open} == set(RECEIVERS)
    assert {s.state["raised"]["facts"]["share_id"] for s in snapshots if s.id in still_open} == {"s2"}


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
