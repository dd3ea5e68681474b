"""What the plans service keeps besides its event log."""
from mongoengine import DateTimeField, Document, IntField, ListField, StringField

from shared.repository import SnapshotDocument


class UnitSnapshot(SnapshotDocument):
    kind = StringField(required=True)
    area_code = StringField(required=True)
    meta = {"collection": "unit_snapshots", "indexes": ["area_code"]}


class PlanSnapshot(SnapshotDocument):
    area_code = StringField(required=True)
    starts_on = StringField(required=True)
    ends_on = StringField(required=True)
    status = StringField()
    meta = {"collection": "plan_snapshots", "indexes": ["area_code", "starts_on", "status"]}


class TaskSnapshot(SnapshotDocument):
    plan_id = StringField(required=True)
    lead_unit = StringField(required=True)
    units = ListField(StringField())
    meta = {"collection": "task_snapshots", "indexes": ["plan_id", "units"]}


class IndicatorContribution(Document):
    """One case event counted toward one plan indicator; `_id` "<plan>:<indicator>:<event id or person code>"
    counts it once. `amount` is 1, or the đồng it adds to a summed indicator."""
    key = StringField(primary_key=True)
    plan_id = StringField(required=True)
    indicator_code = StringField(required=True)
    source_event_id = StringField(required=True)
    amount = IntField(required=True, default=1)
    area_code = StringField()
    counted_on = StringField()
    counted_at = DateTimeField(required=True)
    meta = {"collection": "indicator_contributions", "auto_create_index": False,
            "indexes": [("plan_id", "indicator_code"), "area_code"]}


class DirectionFactRecord(Document):
    """A fact the direction measures count (services/plans/domain/direction.py), kept once under its key (derived
    from the event id). `quarter` ("2026Q2") and `case_id` are what reads filter on; `day` and `ends_on` are ISO
    dates. `person_code` is kept only on entries, to count each person once; it never leaves the service."""
    key = StringField(primary_key=True)
    kind = StringField(required=True)
    quarter = StringField(required=True)
    commune_code = StringField(required=True)
    case_id = StringField(required=True)
    day = StringField(required=True)
    person_code = StringField()
    treatment = StringField()
    ends_on = StringField()
    meta = {"collection": "direction_facts", "auto_create_index": False, "indexes": ["quarter", "case_id"]}


class HotspotSnapshot(SnapshotDocument):
    """Lists filter on the commune (always, by the caller's areas), status, kind and linked tasks."""
    commune_code = StringField(required=True)
    status = StringField(required=True)
    kind = StringField(required=True)
    found_on = StringField(required=True)
    task_ids = ListField(StringField())
    meta = {"collection": "hotspot_snapshots", "indexes": ["commune_code", "task_ids"]}


class BudgetLineSnapshot(SnapshotDocument):
    plan_id = StringField(required=True)
    task_id = StringField()
    source = StringField(required=True)
    meta = {"collection": "budget_line_snapshots", "indexes": ["plan_id"]}


class ReportSnapshot(SnapshotDocument):
    """Reports are read by plan (the plan's list), by assignment (task, then unit), and by unit or area (the
    roll-up's refresh of a unit's or an area's rows)."""
    plan_id = StringField(required=True)
    task_id = StringField(required=True)
    unit_code = StringField(required=True)
    lead_unit = StringField()
    area_code = StringField(required=True)
    period = StringField(required=True)
    status = StringField(required=True)
    meta = {"collection": "report_snapshots", "indexes": ["plan_id", "task_id", "unit_code", "area_code"]}


def unit_list_fields(unit) -> dict:
    return {"kind": unit.kind, "area_code": unit.area_code}


def plan_list_fields(plan) -> dict:
    return {"area_code": plan.area_code, "starts_on": plan.starts_on.isoformat(), "ends_on": plan.ends_on.isoformat(),
            "status": plan.status}


def task_list_fields(task) -> dict:
    return {"plan_id": task.plan_id, "lead_unit": task.lead_unit, "units": [task.lead_unit, *task.supporting_units]}


def hotspot_list_fields(hotspot) -> dict:
    return {"commune_code": hotspot.commune_code, "status": hotspot.status, "kind": hotspot.kind,
            "found_on": hotspot.found_on.isoformat(), "task_ids": list(hotspot.task_ids)}


def budget_line_list_fields(line) -> dict:
    return {"plan_id": line.plan_id, "task_id": line.task_id, "source": line.source}


def report_list_fields(report) -> dict:
    return {"plan_id": report.plan_id, "task_id": report.task_id, "unit_code": report.unit_code,
            "lead_unit": report.lead_unit, "area_code": report.area_code, "period": report.period,
            "status": report.status}


DOCUMENTS = (UnitSnapshot, PlanSnapshot, TaskSnapshot, IndicatorContribution, DirectionFactRecord, HotspotSnapshot,
             BudgetLineSnapshot, ReportSnapshot)
