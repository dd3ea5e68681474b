"""Yearly action plans, their tasks and indicators, and the directory of units that carry them out."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from shared.aggregate import Aggregate, DomainEvent

UNIT_KINDS = ("provincial_committee", "provincial_police", "commune_police", "commune_committee", "department",
              "school", "health_facility", "rehab_facility", "youth_union", "court", "inspectorate")
PLAN_KINDS = ("action_month", "yearly")


@dataclass(frozen=True)
class IndicatorDefinition:
    """An indicator of the plan; one `counted_from` a case event is computed, never reported by hand.

    `kinds` narrows the event to those of these kinds (support given), `per_person` counts a person once per plan
    (measure "người"), `sums` adds up a field of the event (đồng mobilised) instead of counting."""
    code: str
    name_vi: str
    name_en: str
    measure: str
    counted_from: str | None = None
    kinds: tuple[str, ...] = ()
    per_person: bool = False
    sums: str | None = None

    def counts(self, event_type: str, data: dict) -> bool:
        return event_type == self.counted_from and (not self.kinds or data.get("kind") in self.kinds)

    def contribution(self, event_id: str, data: dict) -> tuple[str, int]:
        """What the event adds, and the key under which it is added once."""
        key = data["person_code"] if self.per_person else event_id
        return key, int(data.get(self.sums) or 0) if self.sums else 1


SUPPORT = "cases.case.support_recorded"
INDICATORS = {i.code: i for i in (
    IndicatorDefinition("outreach_sessions", "Buổi tuyên truyền", "Outreach sessions", "buổi"),
    IndicatorDefinition("participants", "Lượt người tham gia", "Participants", "lượt người"),
    IndicatorDefinition("drug_cases", "Vụ phạm tội về ma túy", "Drug cases", "vụ"),
    IndicatorDefinition("suspects", "Đối tượng", "Suspects", "đối tượng"),
    IndicatorDefinition("drugs_seized_g", "Ma túy thu giữ", "Drugs seized", "g"),
    IndicatorDefinition("hotspots_eliminated", "Điểm, tụ điểm bị triệt xóa", "Hotspots eliminated", "điểm"),
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


@dataclass(frozen=True)
class PlanCreated(DomainEvent):
    type = "plans.plan.created"
    plan_id: str
    title: str
    kind: str
    area_code: str
    starts_on: date
    ends_on: date
    indicators: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class TaskAssigned(DomainEvent):
    type = "plans.task.assigned"
    task_id: str
    plan_id: str
    title: str
    lead_unit: str
    supporting_units: list[str]
    due_on: date


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


@dataclass(eq=False)
class Plan(Aggregate):
    stream_type = "plan"
    event_types = {PlanCreated.type: PlanCreated}
    id: str
    title: str | None = None
    kind: str | None = None
    area_code: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    indicators: list[dict] = field(default_factory=list)

    @classmethod
    def create(cls, plan_id, title, kind, area_code, starts_on, ends_on, indicators) -> "Plan":
        plan = cls(plan_id)
        plan.record(PlanCreated(plan_id=plan_id, title=title, kind=kind, area_code=area_code, starts_on=starts_on,
                                ends_on=ends_on, indicators=[{"code": i["code"], "target": float(i["target"])}
                                                             for i in indicators]))
        return plan

    def counts_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on

    def _on_PlanCreated(self, event: PlanCreated) -> None:
        self.title, self.kind, self.area_code = event.title, event.kind, event.area_code
        self.starts_on, self.ends_on = event.starts_on, event.ends_on
        self.indicators = [dict(i) for i in event.indicators]


@dataclass(eq=False)
class Task(Aggregate):
    stream_type = "task"
    event_types = {TaskAssigned.type: TaskAssigned}
    id: str
    plan_id: str | None = None
    title: str | None = None
    lead_unit: str | None = None
    supporting_units: list[str] = field(default_factory=list)
    due_on: date | None = None

    @classmethod
    def assign(cls, task_id, plan_id, title, lead_unit, supporting_units, due_on) -> "Task":
        task = cls(task_id)
        task.record(TaskAssigned(task_id=task_id, plan_id=plan_id, title=title, lead_unit=lead_unit,
                                 supporting_units=list(supporting_units), due_on=due_on))
        return task

    def _on_TaskAssigned(self, event: TaskAssigned) -> None:
        self.plan_id, self.title, self.lead_unit = event.plan_id, event.title, event.lead_unit
        self.supporting_units, self.due_on = event.supporting_units, event.due_on
