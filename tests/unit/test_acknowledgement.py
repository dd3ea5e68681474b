"""Acknowledgement without a database: the signed links (what they carry, how short they are, what breaks them),
the areas an inbox filters on, and the acknowledgement across the levels an alert escalated to, against fakes of
the ports the handlers name."""
import copy
from datetime import datetime, timedelta, timezone

import pytest

from shared.auth import Principal
from shared.errors import ConcurrencyConflict, Conflict, NotFound
from shared.errors import PreconditionFailed

from services.notifications.adapters.ack_links import SignedAckLinks
from services.notifications.domain.commands import AcknowledgeAlert
from services.notifications.domain.inbox import READ, InboxScope, InboxState, codes_within
from services.notifications.domain.model import Alert
from services.notifications.domain.seed import SEED_RULES
from services.notifications.service_layer.acknowledgement import (RESOLVED_AT_ORIGIN, Gone, LinkTampered,
                                                                  acknowledge_alert)
from services.notifications.service_layer.unit_of_work import AlertsUnitOfWork

NOW = datetime(2026, 8, 3, 8, 0, tzinfo=timezone.utc)
RELAPSE = next(rule for rule in SEED_RULES if rule.category == "relapse_suspected")
WORKER = Principal("cb-1", ("caseworker",), "UBX-22366", ("22366",))
PROVINCIAL = Principal("pc-1", ("caseworker",), "UBT-56", ("56",))
KEY = bytes(range(32))


class At:
    def __init__(self, moment):
        self.moment = moment

    def now(self):
        return self.moment


def links(moment=NOW):
    return SignedAckLinks(KEY, "https://thongbao.example.vn/", At(moment))


def token_of(url: str) -> str:
    assert url.startswith("https://thongbao.example.vn/api/v1/ack/")
    return url.rsplit("/", 1)[1]


def test_a_link_names_the_alert_and_the_addressee_and_is_short_enough_for_an_sms():
    alert_id = "9f1c3a5252f44d479a556b8e1c0d2a10"
    url = links().link_for(alert_id, "member:police-22366")
    grant = links(NOW + timedelta(hours=71)).open(token_of(url))
    assert (grant.alert_id, grant.target) == (alert_id, "member:police-22366")
    assert grant.expires_at == NOW + timedelta(hours=72)
    assert len(url) < 120
    assert links().open(token_of(links().link_for("a-1", "unit:CAX-22366"))).alert_id == "a-1"


def test_every_link_is_a_new_one_time_token():
    first, second = (links().open(token_of(links().link_for("a-1", "member:x"))) for _ in range(2))
    assert first.token_id != second.token_id


def test_a_link_past_its_time_is_gone():
    token = token_of(links().link_for("a-1", "member:x"))
    with pytest.raises(Gone):
        links(NOW + timedelta(hours=72, seconds=1)).open(token)


@pytest.mark.parametrize("damage", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
    lambda t: ("A" if t[0] != "A" else "B") + t[1:],
    lambda t: t[:20],
    lambda t: t + "AA",
    lambda t: "%%%",
    lambda t: "",
])
def test_a_changed_link_is_refused(damage):
    token = token_of(links().link_for("9f1c3a5252f44d479a556b8e1c0d2a10", "member:x"))
    with pytest.raises(LinkTampered) as refused:
        links().open(damage(token))
    assert refused.value.status == 404 and "token" in refused.value.errors


def test_a_link_signed_with_another_key_is_refused():
    token = token_of(SignedAckLinks(b"\x01" * 32, "https://thongbao.example.vn", At(NOW)).link_for("a-1", "m"))
    with pytest.raises(LinkTampered):
        links().open(token)


def test_an_inbox_filters_on_every_area_inside_the_callers_areas():
    within_province = codes_within(("56",))
    assert "56" in within_province and "22366" in within_province and "22333" in within_province
    assert "00004" not in within_province
    assert codes_within(("22366",)) == ("22366",)
    assert InboxScope.of(Principal("r", ("unit_reporter",), "UBX-22366", ("22366",))).hidden_subject_types == ("case",)


class FakeAlerts:
    """Alerts by id, each `get` a copy, and a save that collides once on the ids in `collide`."""

    def __init__(self, *alerts):
        self.stored = {a.id: copy.deepcopy(a) for a in alerts}
        self.collide = set()

    def get(self, alert_id):
        return copy.deepcopy(self.stored.get(alert_id))

    def save(self, alert, actor, causation_id=None, event_ids=None):
        if alert.id in self.collide:
            self.collide.discard(alert.id)
            raise ConcurrencyConflict(alert.id, alert.version)
        alert.pending.clear()
        self.stored[alert.id] = copy.deepcopy(alert)


class FakeViews:
    def __init__(self, alerts):
        self.alerts = alerts

    def open_about(self, subject_id):
        return [a.id for a in self.alerts.stored.values() if a.open and a.raised.subject_id == subject_id]


class FakeStates:
    def __init__(self):
        self.states = {}

    def of(self, subject, alert_id):
        return self.states.get((subject, alert_id), InboxState(subject, alert_id))

    def put(self, current, state, alert, at):
        self.states[(current.subject, current.alert_id)] = InboxState(current.subject, current.alert_id, state,
                                                                     current.version + 1)
        return self.states[(current.subject, current.alert_id)]


class FakeDelivery:
    def __init__(self):
        self.withdrawn = []

    def withdraw(self, alert):
        self.withdrawn.append(alert.id)
        return 1


def alert(alert_id, unit, area="22366", escalated_from=None):
    raised = Alert.raise_for(alert_id, unit, RELAPSE, RELAPSE.event_type, {"case_id": "c-1"}, area, ("t", "t"),
                             NOW, escalated_from=escalated_from)
    raised.pending.clear()
    return raised


def acknowledge(store, principal, alert_id, expected=None):
    deps = {"uow": AlertsUnitOfWork(store), "alerts": store, "views": FakeViews(store), "inbox_states": FakeStates(),
            "delivery": FakeDelivery(), "clock": At(NOW + timedelta(minutes=45))}
    result = acknowledge_alert(AcknowledgeAlert(alert_id, expected), principal, **deps)
    return result, deps


def escalated():
    return FakeAlerts(alert("o", "UBX-22366"), alert("c1", "UBT-56", escalated_from="o"),
                      alert("c2", "CAT-56", escalated_from="o"), alert("x", "UBT-56"))


def test_acknowledging_a_next_levels_alert_acknowledges_the_origin_even_after_the_timer_wrote_first():
    store = escalated()
    store.collide.add("o")
    acknowledged, deps = acknowledge(store, PROVINCIAL, "c1")
    assert acknowledged.acknowledged_by == "pc-1" and acknowledged.acknowledged_at == NOW + timedelta(minutes=45)
    origin = store.stored["o"]
    assert origin.acknowledged_by == "pc-1" and not origin.awaiting_escalation
    assert store.stored["c2"].resolved_reason == RESOLVED_AT_ORIGIN and deps["delivery"].withdrawn == ["c2"]
    assert store.stored["c1"].open and store.stored["x"].open
    assert deps["inbox_states"].of("pc-1", "c1").state == READ


def test_acknowledging_the_origin_resolves_every_next_levels_alert():
    store = escalated()
    acknowledge(store, WORKER, "o")
    assert [store.stored[i].resolved_reason for i in ("c1", "c2", "x")] == [RESOLVED_AT_ORIGIN] * 2 + [None]


def test_an_acknowledgement_outside_the_callers_inbox_or_at_another_version_changes_nothing():
    store = escalated()
    for principal, alert_id, expected, refusal in ((WORKER, "c1", None, NotFound),
                                                   (Principal("cb-9", ("caseworker",), "UBX-22366", ("22333",)),
                                                    "o", None, NotFound),
                                                   (WORKER, "o", 7, PreconditionFailed)):
        with pytest.raises(refusal):
            acknowledge(store, principal, alert_id, expected)
    assert all(a.acknowledged_by is None and a.open for a in store.stored.values())
    acknowledge(store, WORKER, "o")
    with pytest.raises(Conflict):
        acknowledge(store, WORKER, "o")
