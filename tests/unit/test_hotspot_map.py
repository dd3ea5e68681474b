"""The hotspots page's map layout (services/portal/domain/hotspot_map.py): an equirectangular projection fitted to
the hotspots with a margin, north up and a kilometre as long east-west as north-south; a graticule at round
degrees; a round scale bar; a marker per hotspot with usable coordinates, its symbol saying level and status."""
from __future__ import annotations

import math

import pytest

from services.portal.domain.hotspot_map import (FRAME, INSET, KM_PER_DEGREE, MINIMUM_SPAN, SYMBOLS, UNKNOWN_LEVEL,
                                                VIEW_HEIGHT, VIEW_WIDTH, Projection, grid_step, hotspot_map,
                                                position, round_distance, scale_bar)

LEFT, TOP, RIGHT, BOTTOM = FRAME


def spot(identifier, latitude=None, longitude=None, level="medium", status="identified", **extra):
    coordinates = None if latitude is None else {"latitude": latitude, "longitude": longitude}
    return {"id": identifier, "place_name": f"Điểm {identifier}", "level": level, "status": status,
            "coordinates": coordinates, **extra}


VIETNAM = [spot("ha-giang", 23.39, 105.32), spot("ca-mau", 8.60, 104.72), spot("mong-cai", 21.52, 107.97),
           spot("phan-thiet", 10.93, 108.10), spot("quy-nhon", 13.77, 109.22)]
"""Vietnam's far north, far south and far east (Vietnam is wholly north and east of 0°, far from 180°)."""


def inside(marker, inset=INSET - 0.01):
    return LEFT + inset <= marker.x <= RIGHT - inset and TOP + inset <= marker.y <= BOTTOM - inset


def test_the_whole_of_vietnam_fits_the_frame_north_up_and_east_right():
    drawn = hotspot_map(VIETNAM)
    by_id = {marker.hotspot_id: marker for marker in drawn.markers}
    assert len(by_id) == 5 and all(inside(marker) for marker in drawn.markers)
    assert by_id["ha-giang"].y < by_id["mong-cai"].y < by_id["quy-nhon"].y < by_id["ca-mau"].y
    assert by_id["ca-mau"].x < by_id["ha-giang"].x < by_id["mong-cai"].x < by_id["quy-nhon"].x
    assert math.isclose(by_id["ha-giang"].y - TOP, INSET, abs_tol=0.01), "the tallest way fills the inset frame"
    assert math.isclose(BOTTOM - by_id["ca-mau"].y, INSET, abs_tol=0.01)
    assert drawn.south < 8.60 and drawn.north > 23.39 and drawn.west < 104.72 and drawn.east > 109.22
    assert (drawn.width, drawn.height) == (VIEW_WIDTH, VIEW_HEIGHT)


def test_longitude_is_scaled_by_the_cosine_of_the_mean_latitude():
    north_east = hotspot_map([spot("a", 12.20, 109.10), spot("b", 12.20, 109.30), spot("c", 12.40, 109.10)])
    a, b, c = (next(m for m in north_east.markers if m.hotspot_id == name) for name in "abc")
    assert a.y == b.y and a.x == c.x
    assert math.isclose((b.x - a.x) / (a.y - c.y), math.cos(math.radians(12.30)), rel_tol=1e-3)


def test_one_hotspot_gets_a_default_extent_centred_on_it():
    drawn = hotspot_map([spot("only", 12.27, 109.19, level="high")])
    (marker,) = drawn.markers
    assert (marker.x, marker.y) == ((LEFT + RIGHT) / 2, (TOP + BOTTOM) / 2)
    assert MINIMUM_SPAN <= drawn.north - drawn.south < 0.2 and MINIMUM_SPAN <= drawn.east - drawn.west < 0.3
    assert drawn.meridians and drawn.parallels and drawn.not_drawn == 0
    assert drawn.scale_bar.unit == "km" and drawn.scale_bar.distance in (1, 2, 5)


def test_identical_places_are_drawn_at_one_spot_with_the_default_extent():
    twice = hotspot_map([spot("a", 10.77, 106.70), spot("b", 10.77, 106.70, level="low")])
    once = hotspot_map([spot("a", 10.77, 106.70)])
    assert {(m.x, m.y) for m in twice.markers} == {(once.markers[0].x, once.markers[0].y)}
    assert len(twice.markers) == 2 and (twice.south, twice.north) == (once.south, once.north)


@pytest.mark.parametrize("coordinates", [
    None, {}, {"latitude": 12.2}, {"latitude": None, "longitude": 109.1}, {"latitude": "12.2", "longitude": 109.1},
    {"latitude": True, "longitude": 109.1}, {"latitude": 95.0, "longitude": 109.1},
    {"latitude": 12.2, "longitude": 190.0}, {"latitude": float("nan"), "longitude": 109.1}, "12.2,109.1"])
def test_a_hotspot_without_usable_coordinates_is_only_in_the_list(coordinates):
    unplaced = {"id": "x", "level": "high", "status": "identified", "coordinates": coordinates}
    assert position(unplaced) is None
    drawn = hotspot_map([spot("a", 12.27, 109.19), unplaced])
    assert [m.hotspot_id for m in drawn.markers] == ["a"] and (drawn.total, drawn.not_drawn) == (2, 1)
    assert hotspot_map([unplaced]) is None


def test_no_map_without_hotspots_or_without_coordinates():
    assert hotspot_map([]) is None
    assert hotspot_map([spot("a"), spot("b")]) is None


def test_the_graticule_is_at_round_degrees_inside_the_frame():
    drawn = hotspot_map([spot("a", 12.21, 109.12), spot("b", 12.31, 109.22)])
    step = grid_step(max(drawn.east - drawn.west, drawn.north - drawn.south))
    assert 2 <= len(drawn.meridians) <= 6 and 2 <= len(drawn.parallels) <= 6
    for line in drawn.meridians:
        assert line.x1 == line.x2 and LEFT < line.x1 < RIGHT and (line.y1, line.y2) == (TOP, BOTTOM)
        assert drawn.west < line.degrees < drawn.east
    for line in drawn.parallels:
        assert line.y1 == line.y2 and TOP < line.y1 < BOTTOM and drawn.south < line.degrees < drawn.north
    for line in drawn.meridians + drawn.parallels:
        assert math.isclose(line.degrees / step, round(line.degrees / step), abs_tol=1e-6)
        assert line.decimals == 2 and line.degrees == round(line.degrees, 2)
    degrees = [line.degrees for line in drawn.parallels]
    ys = [line.y1 for line in drawn.parallels]
    assert ys == sorted(ys, reverse=True) and degrees == sorted(degrees), "north is up"


def test_labels_that_would_run_off_the_frame_are_left_out():
    drawn = hotspot_map(VIETNAM)
    for line in drawn.meridians:
        assert line.labelled == (LEFT + 32 <= line.x1 <= RIGHT - 32)
    assert all(line.decimals == 0 for line in drawn.meridians)


@pytest.mark.parametrize("span, step", [(0.004, 0.001), (0.04, 0.01), (0.3, 0.05), (0.44, 0.1), (1.5, 0.5),
                                        (16.0, 5.0), (40.0, 5.0)])
def test_grid_steps_are_round(span, step):
    assert grid_step(span) == step


@pytest.mark.parametrize("most, distance", [(0.37, 0.2), (0.5, 0.5), (1.9, 1), (2.0, 2), (4.99, 2), (7.3, 5),
                                            (13.0, 10), (260.0, 200)])
def test_the_scale_bar_shows_a_round_distance(most, distance):
    assert math.isclose(round_distance(most), distance)


@pytest.mark.parametrize("places", [VIETNAM, [spot("a", 12.27, 109.19)], [spot("a", 12.2, 109.1),
                                                                          spot("b", 12.9, 109.4)]])
def test_the_scale_bar_is_as_long_as_its_distance(places):
    drawn = hotspot_map(places)
    bar = drawn.scale_bar
    kilometres = bar.distance / 1000 if bar.unit == "m" else bar.distance
    degrees_per_unit = (drawn.north - drawn.south) / (BOTTOM - TOP)
    assert math.isclose(bar.length * degrees_per_unit * KM_PER_DEGREE, kilometres, rel_tol=1e-3)
    assert (RIGHT - LEFT) / 10 < bar.length <= (RIGHT - LEFT) / 4 + 0.01 and bar.y > BOTTOM


def test_a_close_pair_still_spans_kilometres():
    drawn = hotspot_map([spot("a", 12.2700, 109.1900), spot("b", 12.2701, 109.1901)])
    assert drawn.scale_bar.unit == "km" and drawn.scale_bar.distance == 2


def test_under_a_kilometre_the_scale_bar_is_in_metres():
    bar = scale_bar(Projection(12.0, 109.0, math.cos(math.radians(12.0)), scale=50_000.0))
    assert (bar.distance, bar.unit) == (200, "m")
    assert math.isclose(bar.length, 0.2 * 50_000 / KM_PER_DEGREE, abs_tol=0.01)


def test_the_symbol_says_the_level_and_the_status():
    drawn = hotspot_map([spot("low", 12.20, 109.10, level="low", status="under_surveillance"),
                         spot("high", 12.21, 109.11, level="high", status="crackdown"),
                         spot("gone", 12.22, 109.12, level="high", status="eliminated"),
                         spot("back", 12.23, 109.13, level="medium", status="re_emerged"),
                         spot("odd", 12.24, 109.14, level="unheard_of")])
    by_id = {marker.hotspot_id: marker for marker in drawn.markers}
    assert len({symbol.shape for symbol in SYMBOLS.values()}) == 3
    assert len({symbol.colour for symbol in SYMBOLS.values()}) == 3
    assert by_id["low"].symbol == SYMBOLS["low"] and by_id["high"].symbol == SYMBOLS["high"]
    assert by_id["odd"].symbol == UNKNOWN_LEVEL
    assert by_id["gone"].hollow and not by_id["high"].hollow and not by_id["back"].hollow
    assert by_id["back"].ringed and not any(by_id[name].ringed for name in ("low", "high", "gone", "odd"))
    assert [m.hotspot_id for m in drawn.markers][0] == "gone" and drawn.markers[-1].hotspot_id == "high"
    assert by_id["high"].path.startswith(f"M{by_id['high'].x},") and by_id["high"].path.endswith("Z")
    assert by_id["high"].hotspot["place_name"] == "Điểm high"


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("symbol", [*SYMBOLS.values(), UNKNOWN_LEVEL])
def test_markers_contrast_with_the_white_map(symbol):
    assert (1.05 / (_luminance(symbol.colour) + 0.05)) >= 4.5
