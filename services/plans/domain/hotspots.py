"""The registry of drug hotspots (điểm, tụ điểm phức tạp về ma túy): where they are, what goes on there, how
serious, and their life from identification to elimination (triệt xóa) and, too often, re-emergence.

Hotspot records are law-enforcement data. Only the elimination and the re-emergence are published, with the
commune, kind, level and day: places, addresses, coordinates and notes stay in the plans service's log."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from shared.aggregate import Aggregate, DomainEvent
from shared.refusals import DecisionInvalid, NotAllowedNow, check_reason, is_blank

POINT, CLUSTER = "point", "cluster"
HOTSPOT_KINDS = (POINT, CLUSTER)
ACTIVITIES = ("use", "dealing", "use_and_dealing")
LEVELS = ("low", "medium", "high")
IDENTIFIED, UNDER_SURVEILLANCE, CRACKDOWN, ELIMINATED, RE_EMERGED = (
    "identified", "under_surveillance", "crackdown", "eliminated", "re_emerged")
HOTSPOT_STATUSES = (IDENTIFIED, UNDER_SURVEILLANCE, CRACKDOWN, ELIMINATED, RE_EMERGED)
NEXT_STATUSES = {
    IDENTIFIED: (UNDER_SURVEILLANCE, CRACKDOWN),
    UNDER_SURVEILLANCE: (CRACKDOWN, ELIMINATED),
    CRACKDOWN: (ELIMINATED, UNDER_SURVEILLANCE),
    ELIMINATED: (RE_EMERGED,),
    RE_EMERGED: (UNDER_SURVEILLANCE, CRACKDOWN),
}
"""The steps a hotspot may take from each status. A crackdown that did not eliminate the hotspot goes back under
surveillance; only a hotspot watched or raided can be declared eliminated."""
VIETNAM_LATITUDE = (8.0, 24.0)
VIETNAM_LONGITUDE = (102.0, 118.0)
"""Vietnam's bounding box in WGS84 degrees, islands included: a point outside is a typing error (swapped
latitude and longitude, a missing minus sign, another datum's figures)."""
NOTE_MIN_LENGTH = 5


@dataclass(frozen=True)
class Coordinates:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class HotspotIdentified(DomainEvent):
    type = "plans.hotspot.identified"
    published = False
    hotspot_id: str
    place_name: str
    description: str | None
    address: str | None
    commune_code: str
    kind: str
    activity: str
    level: str
    coordinates: Coordinates | None
    found_on: date
    task_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class HotspotStep(DomainEvent):
    """A step of the lifecycle; `level` is the level assessed at that step. The note stays in the log."""
    hotspot_id: str
    commune_code: str
    kind: str
    level: str
    from_status: str
    effective_on: date
    note: str


@dataclass(frozen=True)
class HotspotPlacedUnderSurveillance(HotspotStep):
    type = "plans.hotspot.placed_under_surveillance"
    published = False


@dataclass(frozen=True)
class HotspotCrackedDown(HotspotStep):
    type = "plans.hotspot.cracked_down"
    published = False


@dataclass(frozen=True)
class HotspotEliminated(HotspotStep):
    type = "plans.hotspot.eliminated"


@dataclass(frozen=True)
class HotspotReEmerged(HotspotStep):
    type = "plans.hotspot.re_emerged"


@dataclass(frozen=True)
class HotspotTasksLinked(DomainEvent):
    """The full list of tasks the hotspot is linked to now."""
    type = "plans.hotspot.tasks_linked"
    published = False
    hotspot_id: str
    task_ids: list[str]


STEP_EVENTS = {UNDER_SURVEILLANCE: HotspotPlacedUnderSurveillance, CRACKDOWN: HotspotCrackedDown,
               ELIMINATED: HotspotEliminated, RE_EMERGED: HotspotReEmerged}


def check_choice(field_name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise DecisionInvalid(field_name, f"must be one of {', '.join(choices)}")


def check_coordinates(coordinates: Coordinates | None, field_name: str = "coordinates") -> None:
    if coordinates is None:
        return
    for name, value, (low, high) in (("latitude", coordinates.latitude, VIETNAM_LATITUDE),
                                      ("longitude", coordinates.longitude, VIETNAM_LONGITUDE)):
        if not low <= value <= high:
            raise DecisionInvalid(f"{field_name}.{name}",
                                  f"{value} is outside Vietnam ({low} to {high} degrees, WGS84)")


def check_task_ids(task_ids: list[str], field_name: str = "task_ids") -> None:
    if len(set(task_ids)) != len(task_ids):
        raise DecisionInvalid(field_name, "lists a task twice")


@dataclass(eq=False)
class Hotspot(Aggregate):
    stream_type = "hotspot"
    event_types = {e.type: e for e in (HotspotIdentified, HotspotPlacedUnderSurveillance, HotspotCrackedDown,
                                       HotspotEliminated, HotspotReEmerged, HotspotTasksLinked)}
    id: str
    place_name: str | None = None
    description: str | None = None
    address: str | None = None
    commune_code: str | None = None
    kind: str | None = None
    activity: str | None = None
    level: str | None = None
    coordinates: Coordinates | None = None
    found_on: date | None = None
    status: str | None = None
    status_since: date | None = None
    task_ids: list[str] = field(default_factory=list)
    times_eliminated: int = 0

    @property
    def area_code(self) -> str | None:
        return self.commune_code

    @classmethod
    def identify(cls, hotspot_id: str, place_name: str, commune_code: str, kind: str, activity: str, level: str,
                 found_on: date, today: date, description: str | None = None, address: str | None = None,
                 coordinates: Coordinates | None = None, task_ids: list[str] = ()) -> "Hotspot":
        if is_blank(place_name):
            raise DecisionInvalid("place_name", "name the place")
        check_choice("kind", kind, HOTSPOT_KINDS)
        check_choice("activity", activity, ACTIVITIES)
        check_choice("level", level, LEVELS)
        check_coordinates(coordinates)
        if found_on > today:
            raise DecisionInvalid("found_on", "is in the future")
        check_task_ids(list(task_ids))
        hotspot = cls(hotspot_id)
        hotspot.record(HotspotIdentified(hotspot_id=hotspot_id, place_name=place_name.strip(),
                                         description=description, address=address, commune_code=commune_code,
                                         kind=kind, activity=activity, level=level, coordinates=coordinates,
                                         found_on=found_on, task_ids=list(task_ids)))
        return hotspot

    def allowed_statuses(self) -> list[str]:
        return list(NEXT_STATUSES[self.status])

    def transition(self, to: str, effective_on: date, note: str, today: date, level: str | None = None) -> None:
        """Take one step of the lifecycle on `effective_on`, never before what is already recorded."""
        check_choice("to", to, HOTSPOT_STATUSES)
        if to not in NEXT_STATUSES[self.status]:
            raise NotAllowedNow(f"a hotspot {self.status.replace('_', ' ')} cannot go to {to.replace('_', ' ')}",
                                allowed=self.allowed_statuses())
        if level is not None:
            check_choice("level", level, LEVELS)
        if effective_on > today:
            raise DecisionInvalid("effective_on", "is in the future")
        if effective_on < self.found_on:
            raise DecisionInvalid("effective_on", f"is before the hotspot was found ({self.found_on})")
        if effective_on < self.status_since:
            raise DecisionInvalid("effective_on", f"is before its last change ({self.status_since})")
        check_reason(note, NOTE_MIN_LENGTH, "note")
        self.record(STEP_EVENTS[to](hotspot_id=self.id, commune_code=self.commune_code, kind=self.kind,
                                    level=level or self.level, from_status=self.status, effective_on=effective_on,
                                    note=note.strip()))

    def link_tasks(self, task_ids: list[str]) -> None:
        """Link the hotspot to exactly these tasks; the same list again records nothing."""
        check_task_ids(task_ids)
        if task_ids != self.task_ids:
            self.record(HotspotTasksLinked(hotspot_id=self.id, task_ids=list(task_ids)))

    def _on_HotspotIdentified(self, event: HotspotIdentified) -> None:
        self.place_name, self.description, self.address = event.place_name, event.description, event.address
        self.commune_code, self.kind, self.activity, self.level = (event.commune_code, event.kind, event.activity,
                                                                   event.level)
        self.coordinates, self.found_on, self.task_ids = event.coordinates, event.found_on, list(event.task_ids)
        self.status, self.status_since = IDENTIFIED, event.found_on

    def _stepped(self, event: HotspotStep, status: str) -> None:
        self.status, self.status_since, self.level = status, event.effective_on, event.level

    def _on_HotspotPlacedUnderSurveillance(self, event: HotspotStep) -> None:
        self._stepped(event, UNDER_SURVEILLANCE)

    def _on_HotspotCrackedDown(self, event: HotspotStep) -> None:
        self._stepped(event, CRACKDOWN)

    def _on_HotspotEliminated(self, event: HotspotStep) -> None:
        self._stepped(event, ELIMINATED)
        self.times_eliminated += 1

    def _on_HotspotReEmerged(self, event: HotspotStep) -> None:
        self._stepped(event, RE_EMERGED)

    def _on_HotspotTasksLinked(self, event: HotspotTasksLinked) -> None:
        self.task_ids = list(event.task_ids)
