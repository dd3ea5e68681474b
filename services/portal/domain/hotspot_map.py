"""The hotspots page's map, laid out on the server for an inline SVG: no tiles and no script, so it works offline,
under the portal's strict Content-Security-Policy and without JavaScript.

An equirectangular projection (longitude scaled by the cosine of the mean latitude, so a kilometre is as long
east-west as north-south at the province's latitude) fitted to the hotspots' bounding box with a margin, in a fixed
viewBox that the browser scales down to a phone. Vietnam lies wholly in the northern and eastern hemispheres, far
from the antimeridian and the poles, so the box is a plain minimum and maximum. The map is an aid: the list stays
the complete account, and a hotspot without usable coordinates is only there."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

VIEW_WIDTH, VIEW_HEIGHT = 400.0, 312.0
FRAME = (4.0, 4.0, 396.0, 272.0)
"""The map's frame (left, top, right, bottom) in the viewBox; below it the meridians' labels and the scale bar."""
INSET = 28.0
"""Room between the frame and the outermost hotspot, for the marker and the parallels' labels."""
MINIMUM_SPAN = 0.04
"""Degrees (about 4.4 km) the fitted box spans at least each way: one hotspot, or several at one place, still get
a street-level extent around them rather than an infinite zoom."""
KM_PER_DEGREE = 6371.0088 * math.pi / 180
"""A degree of latitude (or of longitude scaled by the cosine) on the mean Earth sphere."""
GRID_STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
MOST_GRID_LINES = 6
SCALE_BAR_SHARE = 0.25
"""The scale bar is the longest round distance that fits in this share of the frame's width."""
LATITUDE_RANGE, LONGITUDE_RANGE = (-90.0, 90.0), (-180.0, 180.0)
MARKER_SIZE = 7.0
LABEL_ROOM = (32.0, 20.0)
"""A meridian's label (centred under it) needs this much on either side, a parallel's (above it) this much
above."""
RESOLVED_STATUSES = ("eliminated",)
WARNING_STATUSES = ("re_emerged",)


@dataclass(frozen=True)
class Symbol:
    """How a level is drawn: a shape and a colour of at least 3:1 against the white map and the white halo."""
    shape: str
    colour: str


SYMBOLS = {"low": Symbol("circle", "#0a5cab"), "medium": Symbol("square", "#8a4b00"),
           "high": Symbol("triangle", "#b42318")}
UNKNOWN_LEVEL = Symbol("diamond", "#57606a")
LEVEL_ORDER = ("low", "medium", "high")


@dataclass(frozen=True)
class Marker:
    """A hotspot drawn at (x, y): `path` its symbol's outline, hollow when resolved, ringed when it re-emerged."""
    hotspot_id: str
    x: float
    y: float
    level: str
    status: str
    symbol: Symbol
    path: str
    hollow: bool
    ringed: bool
    hotspot: dict = field(compare=False, repr=False)


@dataclass(frozen=True)
class GridLine:
    """A meridian (constant longitude, vertical) or a parallel (constant latitude, horizontal) across the frame."""
    degrees: float
    decimals: int
    x1: float
    y1: float
    x2: float
    y2: float
    labelled: bool = True
    """False where its label would run off the frame (near an edge)."""


@dataclass(frozen=True)
class ScaleBar:
    x: float
    y: float
    length: float
    distance: float
    unit: str
    """`km`, or `m` under a kilometre."""


@dataclass(frozen=True)
class HotspotMap:
    markers: tuple[Marker, ...]
    meridians: tuple[GridLine, ...]
    parallels: tuple[GridLine, ...]
    scale_bar: ScaleBar
    south: float
    north: float
    west: float
    east: float
    total: int
    """Every hotspot of the list, drawn or not."""
    width: float = VIEW_WIDTH
    height: float = VIEW_HEIGHT
    frame: tuple[float, float, float, float] = FRAME

    @property
    def not_drawn(self) -> int:
        return self.total - len(self.markers)


def position(hotspot: dict) -> tuple[float, float] | None:
    """(latitude, longitude) in degrees, or None where they are missing or not a place on Earth."""
    coordinates = hotspot.get("coordinates")
    if not isinstance(coordinates, dict):
        return None
    latitude, longitude = coordinates.get("latitude"), coordinates.get("longitude")
    for value, (low, high) in ((latitude, LATITUDE_RANGE), (longitude, LONGITUDE_RANGE)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            return None
    return float(latitude), float(longitude)


@dataclass(frozen=True)
class Projection:
    """Degrees to viewBox units: the centre of the fitted box at the centre of the frame, north up."""
    latitude: float
    longitude: float
    cosine: float
    scale: float
    """viewBox units per degree of latitude."""

    def x(self, longitude: float) -> float:
        return _frame_centre()[0] + (longitude - self.longitude) * self.cosine * self.scale

    def y(self, latitude: float) -> float:
        return _frame_centre()[1] - (latitude - self.latitude) * self.scale

    def longitude_at(self, x: float) -> float:
        return self.longitude + (x - _frame_centre()[0]) / (self.cosine * self.scale)

    def latitude_at(self, y: float) -> float:
        return self.latitude - (y - _frame_centre()[1]) / self.scale


def _frame_centre() -> tuple[float, float]:
    left, top, right, bottom = FRAME
    return (left + right) / 2, (top + bottom) / 2


def fitted(places: list[tuple[float, float]]) -> Projection:
    """The projection that fits every place inside the frame less its inset, each way at least `MINIMUM_SPAN`."""
    latitudes, longitudes = [p[0] for p in places], [p[1] for p in places]
    south, north, west, east = min(latitudes), max(latitudes), min(longitudes), max(longitudes)
    latitude, longitude = (south + north) / 2, (west + east) / 2
    cosine = math.cos(math.radians(latitude))
    left, top, right, bottom = FRAME
    width, height = right - left - 2 * INSET, bottom - top - 2 * INSET
    scale = min(width / (max(east - west, MINIMUM_SPAN) * cosine), height / max(north - south, MINIMUM_SPAN))
    return Projection(latitude, longitude, cosine, scale)


def grid_step(span: float) -> float:
    """The smallest round step that crosses `span` degrees with at most `MOST_GRID_LINES` lines."""
    return next((step for step in GRID_STEPS if span / step <= MOST_GRID_LINES), GRID_STEPS[-1])


def _decimals(step: float) -> int:
    return max(0, -Decimal(str(step)).normalize().as_tuple().exponent)


def _multiples(low: float, high: float, step: float) -> list[float]:
    first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
    return [round(n * step, 6) for n in range(first, last + 1)]


def graticule(projection: Projection) -> tuple[tuple[GridLine, ...], tuple[GridLine, ...]]:
    """Meridians and parallels at one round step of degrees, inside the frame, each with its degrees."""
    left, top, right, bottom = FRAME
    west, east = projection.longitude_at(left), projection.longitude_at(right)
    north, south = projection.latitude_at(top), projection.latitude_at(bottom)
    step = grid_step(max(east - west, north - south))
    decimals = _decimals(step)
    margin = 10.0
    meridians = tuple(GridLine(degrees, decimals, round(x, 2), top, round(x, 2), bottom,
                               left + LABEL_ROOM[0] <= x <= right - LABEL_ROOM[0])
                      for degrees in _multiples(west, east, step)
                      if left + margin < (x := projection.x(degrees)) < right - margin)
    parallels = tuple(GridLine(degrees, decimals, left, round(y, 2), right, round(y, 2), y >= top + LABEL_ROOM[1])
                      for degrees in _multiples(south, north, step)
                      if top + margin < (y := projection.y(degrees)) < bottom - margin)
    return meridians, parallels


def round_distance(most: float) -> float:
    """The largest 1, 2 or 5 times a power of ten that is not more than `most` (kilometres)."""
    power = 10.0 ** math.floor(math.log10(most))
    return next(m * power for m in (5, 2, 1) if m * power <= most * (1 + 1e-9))


def scale_bar(projection: Projection) -> ScaleBar:
    left, _top, right, bottom = FRAME
    units_per_km = projection.scale / KM_PER_DEGREE
    distance = round_distance((right - left) * SCALE_BAR_SHARE / units_per_km)
    length = round(distance * units_per_km, 2)
    if distance < 1:
        return ScaleBar(left, bottom + 30, length, round(distance * 1000), "m")
    return ScaleBar(left, bottom + 30, length, distance if distance < 1000 else round(distance), "km")


def symbol_path(shape: str, x: float, y: float, size: float = MARKER_SIZE) -> str:
    """The outline of a symbol centred on (x, y), as an SVG path: shapes as well as colours tell the levels
    apart, for those who do not see the colours."""
    def at(dx: float, dy: float) -> str:
        return f"{round(x + dx * size, 2)},{round(y + dy * size, 2)}"
    if shape == "circle":
        return (f"M{at(-1, 0)} A{size},{size} 0 1,0 {at(1, 0)} A{size},{size} 0 1,0 {at(-1, 0)} Z")
    if shape == "square":
        return f"M{at(-0.9, -0.9)} L{at(0.9, -0.9)} L{at(0.9, 0.9)} L{at(-0.9, 0.9)} Z"
    if shape == "triangle":
        return f"M{at(0, -1.3)} L{at(1.2, 0.8)} L{at(-1.2, 0.8)} Z"
    return f"M{at(0, -1.2)} L{at(1.2, 0)} L{at(0, 1.2)} L{at(-1.2, 0)} Z"


def _drawing_order(marker: Marker) -> tuple:
    """Resolved hotspots underneath, the most serious on top."""
    level = LEVEL_ORDER.index(marker.level) if marker.level in LEVEL_ORDER else -1
    return (not marker.hollow, level, marker.ringed)


def marker(hotspot: dict, place: tuple[float, float], projection: Projection) -> Marker:
    level, status = str(hotspot.get("level") or ""), str(hotspot.get("status") or "")
    symbol = SYMBOLS.get(level, UNKNOWN_LEVEL)
    x, y = round(projection.x(place[1]), 2), round(projection.y(place[0]), 2)
    return Marker(str(hotspot.get("id") or ""), x, y, level, status, symbol, symbol_path(symbol.shape, x, y),
                  status in RESOLVED_STATUSES, status in WARNING_STATUSES, hotspot)


def hotspot_map(hotspots: list[dict]) -> HotspotMap | None:
    """The map of the hotspots that have coordinates; None when none has (the page then shows the list only)."""
    placed = [(hotspot, place) for hotspot in hotspots if (place := position(hotspot)) is not None]
    if not placed:
        return None
    projection = fitted([place for _hotspot, place in placed])
    meridians, parallels = graticule(projection)
    left, top, right, bottom = FRAME
    markers = sorted((marker(hotspot, place, projection) for hotspot, place in placed), key=_drawing_order)
    return HotspotMap(tuple(markers), meridians, parallels, scale_bar(projection),
                      south=projection.latitude_at(bottom), north=projection.latitude_at(top),
                      west=projection.longitude_at(left), east=projection.longitude_at(right), total=len(hotspots))
