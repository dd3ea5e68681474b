"""The hotspot registry's rules without I/O: what a hotspot must say, its lifecycle, and how its elimination
counts toward the indicator."""
from datetime import date

import pytest

from shared.refusals import DecisionInvalid, NotAllowedNow
from services.plans.domain.hotspots import (Coordinates, Hotspot, HotspotEliminated, HotspotIdentified,
                                            HotspotReEmerged, HotspotTasksLinked)
from services.plans.domain.model import INDICATORS, indicators_counting

TODAY = date(2026, 6, 20)
FOUND = date(2026, 6, 2)


def identified(**overrides) -> Hotspot:
    fields = dict(hotspot_id="h1", place_name="Bãi đất trống sau chợ", commune_code="22366", kind="cluster",
                  activity="use_and_dealing", level="high", found_on=FOUND, today=TODAY,
                  address="Tổ 5, phường Nha Trang", coordinates=Coordinates(12.2388, 109.1967))
    return Hotspot.identify(**{**fields, **overrides})


def refused_field(call) -> str:
    with pytest.raises(DecisionInvalid) as refused:
        call()
    return refused.value.field


@pytest.mark.parametrize("overrides, field", [
    ({"kind": "den"}, "kind"), ({"activity": "smuggling"}, "activity"), ({"level": "extreme"}, "level"),
    ({"place_name": "  "}, "place_name"), ({"found_on": date(2026, 6, 21)}, "found_on"),
    ({"coordinates": Coordinates(48.8566, 2.3522)}, "coordinates.latitude"),
    ({"coordinates": Coordinates(12.2, 2.35)}, "coordinates.longitude"),
    ({"coordinates": Coordinates(109.19, 12.23)}, "coordinates.latitude"),
    ({"task_ids": ["t1", "t1"]}, "task_ids")])
def test_a_hotspot_that_breaks_a_rule_is_refused_naming_the_field(overrides, field):
    assert refused_field(lambda: identified(**overrides)) == field


def test_a_hotspot_without_coordinates_is_identified_and_its_snapshot_round_trips():
    hotspot = identified(coordinates=None, task_ids=["t1"])
    assert [type(e) for e in hotspot.pending] == [HotspotIdentified]
    assert hotspot.status == "identified" and hotspot.area_code == "22366" and hotspot.coordinates is None
    again = Hotspot.from_snapshot("h1", identified().snapshot(), 1)
    assert again.coordinates == Coordinates(12.2388, 109.1967) and again.found_on == FOUND


def test_the_lifecycle_from_identification_to_re_emergence_and_back():
    hotspot = identified()
    hotspot.transition("crackdown", date(2026, 6, 5), "Triệt phá, bắt 3 đối tượng", TODAY)
    hotspot.transition("eliminated", date(2026, 6, 10), "Đã triệt xóa, bàn giao địa bàn", TODAY)
    hotspot.transition("re_emerged", date(2026, 6, 15), "Phát hiện tụ tập sử dụng trở lại", TODAY, level="medium")
    hotspot.transition("under_surveillance", date(2026, 6, 15), "Giám sát, lập chuyên án", TODAY)
    hotspot.transition("eliminated", date(2026, 6, 18), "Không còn hoạt động", TODAY)
    assert hotspot.status == "eliminated" and hotspot.status_since == date(2026, 6, 18)
    assert hotspot.level == "medium" and hotspot.times_eliminated == 2
    re_emerged = next(e for e in hotspot.pending if isinstance(e, HotspotReEmerged))
    assert (re_emerged.from_status, re_emerged.level, re_emerged.commune_code) == ("eliminated", "medium", "22366")


@pytest.mark.parametrize("steps, refused_step, allowed", [
    ((), "eliminated", ["under_surveillance", "crackdown"]),
    ((), "re_emerged", ["under_surveillance", "crackdown"]),
    (("crackdown", "eliminated"), "crackdown", ["re_emerged"]),
    (("under_surveillance",), "identified", ["crackdown", "eliminated"]),
    (("crackdown", "eliminated", "re_emerged"), "eliminated", ["under_surveillance", "crackdown"])])
def test_a_step_not_allowed_names_the_steps_that_are(steps, refused_step, allowed):
    hotspot = identified()
    for step in steps:
        hotspot.transition(step, date(2026, 6, 10), "ghi chú bước", TODAY)
    with pytest.raises(NotAllowedNow) as refused:
        hotspot.transition(refused_step, date(2026, 6, 12), "ghi chú bước", TODAY)
    assert refused.value.allowed == allowed
    assert hotspot.version == 1 + len(steps)


def test_a_transition_is_dated_between_the_last_change_and_today_and_says_why():
    hotspot = identified()
    assert refused_field(lambda: hotspot.transition("crackdown", date(2026, 6, 1), "trước khi phát hiện", TODAY)) \
        == "effective_on"
    assert refused_field(lambda: hotspot.transition("crackdown", date(2026, 6, 21), "ngày mai", TODAY)) \
        == "effective_on"
    assert refused_field(lambda: hotspot.transition("crackdown", date(2026, 6, 5), "  ", TODAY)) == "note"
    assert refused_field(lambda: hotspot.transition("crackdown", date(2026, 6, 5), "ghi chú", TODAY, "x")) == "level"
    assert refused_field(lambda: hotspot.transition("cleared", date(2026, 6, 5), "ghi chú", TODAY)) == "to"
    hotspot.transition("crackdown", date(2026, 6, 8), "Triệt phá", TODAY)
    assert refused_field(lambda: hotspot.transition("eliminated", date(2026, 6, 7), "lùi ngày", TODAY)) \
        == "effective_on"
    assert hotspot.version == 2


def test_linking_the_same_tasks_again_records_nothing():
    hotspot = identified(task_ids=["t1"])
    hotspot.link_tasks(["t1"])
    hotspot.link_tasks(["t1", "t2"])
    hotspot.link_tasks([])
    assert [type(e) for e in hotspot.pending] == [HotspotIdentified, HotspotTasksLinked, HotspotTasksLinked]
    assert hotspot.task_ids == []
    assert refused_field(lambda: hotspot.link_tasks(["t3", "t3"])) == "task_ids"


def test_an_elimination_counts_once_per_hotspot_toward_hotspots_eliminated():
    hotspot = identified()
    hotspot.transition("crackdown", date(2026, 6, 5), "Triệt phá", TODAY)
    hotspot.transition("eliminated", date(2026, 6, 10), "Đã triệt xóa", TODAY)
    [event] = [e for e in hotspot.pending if isinstance(e, HotspotEliminated)]
    [definition] = indicators_counting(event.type, event.data())
    assert definition is INDICATORS["hotspots_eliminated"]
    assert definition.contribution("event-1", event.data()) == ("h1", 1)
    assert definition.contribution("event-2", event.data()) == ("h1", 1)
    assert indicators_counting("plans.hotspot.re_emerged", event.data()) == []
