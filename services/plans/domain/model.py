"""The directory of units that carry plans out, and the indicators plans set targets for (plans and tasks are
in plan.py and task.py)."""
from __future__ import annotations

from dataclasses import dataclass, field

from shared.aggregate import Aggregate, DomainEvent

UNIT_KINDS = ("provincial_committee", "provincial_police", "commune_police", "commune_committee", "department",
              "school", "health_facility", "rehab_facility", "youth_union", "court", "inspectorate")


@dataclass(frozen=True)
class IndicatorDefinition:
    """An indicator of the plan; one `counted_from` a case event is computed, never reported by hand.

    `kinds` narrows the event to those of these kinds (support given), `per_person` counts a person once per plan
    (measure "người"), `once_per` counts once per plan per value of that field (a hotspot eliminated twice),
    `sums` adds up a field of the event (đồng mobilised) instead of counting."""
    code: str
    name_vi: str
    name_en: str
    measure: str
    counted_from: str | None = None
    kinds: tuple[str, ...] = ()
    per_person: bool = False
    sums: str | None = None
    once_per: str | None = None

    def counts(self, event_type: str, data: dict) -> bool:
        return event_type == self.counted_from and (not self.kinds or data.get("kind") in self.kinds)

    def contribution(self, event_id: str, data: dict) -> tuple[str, int]:
        """What the event adds, and the key under which it is added once."""
        key = data["person_code"] if self.per_person else data[self.once_per] if self.once_per else event_id
        return key, int(data.get(self.sums) or 0) if self.sums else 1


SUPPORT = "cases.case.support_recorded"
INDICATORS = {i.code: i for i in (
    IndicatorDefinition("outreach_sessions", "Buổi tuyên truyền", "Outreach sessions", "buổi"),
    IndicatorDefinition("participants", "Lượt người tham gia", "Participants", "lượt người"),
    IndicatorDefinition("drug_cases", "Vụ phạm tội về ma túy", "Drug cases", "vụ"),
    IndicatorDefinition("suspects", "Đối tượng", "Suspects", "đối tượng"),
    IndicatorDefinition("drugs_seized_g", "Ma túy thu giữ", "Drugs seized", "g"),
    IndicatorDefinition("hotspots_eliminated", "Điểm, tụ điểm bị triệt xóa", "Hotspots eliminated", "điểm",
                        counted_from="plans.hotspot.eliminated", once_per="hotspot_id"),
    IndicatorDefinition("people_newly_managed", "Người mới được quản lý", "People newly under case management",
                        "người", counted_from="cases.case.opened"),
    IndicatorDefinition("compulsory_dossiers", "Hồ sơ đề nghị cai nghiện bắt buộc", "Compulsory rehab dossiers",
                        "hồ sơ", counted_from="cases.case.compulsory_dossier_opened"),
    IndicatorDefinition("methadone_patients", "Người được điều trị methadone", "People admitted to methadone",
                        "người", counted_from="cases.case.methadone_admitted", per_person=True),
    IndicatorDefinition("people_in_aftercare", "Người được quản lý sau cai nghiện", "People entering aftercare",
                        "người", counted_from="cases.case.aftercare_started", per_person=True),
    IndicatorDefinition("counselling_sessions", "Buổi tư vấn", "Counselling sessions", "buổi",
                        counted_from=SUPPORT, kinds=("counselling",)),
    IndicatorDefinition("vocational_training", "Người được dạy nghề", "Vocational training", "người",
                        counted_from=SUPPORT, kinds=("vocational_training",), per_person=True),
    IndicatorDefinition("job_placements", "Người được giới thiệu việc làm", "Job placements", "người",
                        counted_from=SUPPORT, kinds=("job_placement",), per_person=True),
    IndicatorDefinition("resources_mobilised_vnd", "Nguồn lực huy động (hỗ trợ, cho vay)",
                        "Resources mobilised (social support and loans)", "đồng", counted_from=SUPPORT,
                        kinds=("social_support", "loan"), sums="amount_vnd"),
    IndicatorDefinition("drug_free_communes_pct", "Xã không ma túy", "Drug-free communes", "%"),
)}
COUNTED_EVENT_TYPES = tuple(sorted({d.counted_from for d in INDICATORS.values() if d.counted_from}))


def is_computed(code: str) -> bool:
    """Counted from events (cases, hotspots), never reported by hand."""
    definition = INDICATORS.get(code)
    return definition is not None and definition.counted_from is not None


def indicators_counting(event_type: str, data: dict) -> list[IndicatorDefinition]:
    return [d for d in INDICATORS.values() if d.counts(event_type, data)]


@dataclass(frozen=True)
class UnitRegistered(DomainEvent):
    type = "plans.unit.registered"
    unit_code: str
    name: str
    kind: str
    area_code: str
    covers: list[str]


@dataclass(eq=False)
class Unit(Aggregate):
    stream_type = "unit"
    event_types = {UnitRegistered.type: UnitRegistered}
    id: str
    name: str | None = None
    kind: str | None = None
    area_code: str | None = None
    covers: list[str] = field(default_factory=list)

    @classmethod
    def register(cls, unit_code, name, kind, area_code, covers) -> "Unit":
        unit = cls(unit_code)
        unit.record(UnitRegistered(unit_code=unit_code, name=name, kind=kind, area_code=area_code,
                                   covers=sorted(set(covers) | {area_code})))
        return unit

    def _on_UnitRegistered(self, event: UnitRegistered) -> None:
        self.name, self.kind, self.area_code, self.covers = event.name, event.kind, event.area_code, event.covers
