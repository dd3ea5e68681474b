"""Use cases of the plans service."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

from mongoengine.errors import NotUniqueError

from shared import areas
from shared.auth import Principal
from shared.envelope import Actor, Envelope
from shared.errors import Conflict, InvalidInput, NotAuthorised, NotFound
from shared.eventstore import ConcurrencyConflict
from shared.repository import EventSourcedRepository

from services.plans.adapters.documents import IndicatorContribution, PlanSnapshot, TaskSnapshot, UnitSnapshot
from services.plans.domain.commands import AssignTask, CreatePlan, RegisterUnit
from services.plans.domain.model import INDICATORS, IndicatorDefinition, Plan, Task, Unit, indicators_counting

COORDINATORS = ("plan_coordinator", "admin")
EVENT_DAY_FIELDS = ("opened_on", "effective_on", "provided_on")


def _sees(principal: Principal, area_code: str) -> bool:
    """A plan is visible to callers whose areas it covers or who cover its area."""
    return areas.within_any(principal.areas, area_code) or any(areas.covers(area_code, a) for a in principal.areas)




class PlanService:
    def __init__(self, units: EventSourcedRepository, plans: EventSourcedRepository,
                 tasks: EventSourcedRepository, province_code: str):
        self.units, self.plans, self.tasks = units, plans, tasks
        self.province_code = province_code

    def _coordinator(self, principal: Principal, area_code: str) -> None:
        if not principal.has_role(*COORDINATORS) or not areas.within_any(principal.areas, area_code):
            raise NotAuthorised("only plan coordinators of this area manage plans and units")

    def _in_province(self, field: str, code: str) -> None:
        if areas.province_of(code) != self.province_code:
            raise InvalidInput.field(field, f"{code} is not this province or one of its communes")

    def register_unit(self, command: RegisterUnit, principal: Principal) -> Unit:
        self._in_province("area_code", command.area_code)
        for index, code in enumerate(command.covers):
            self._in_province(f"covers.{index}", code)
        self._coordinator(principal, command.area_code)
        unit = Unit.register(command.unit_code, command.name, command.kind, command.area_code, command.covers)
        try:
            self.units.save(unit, Actor.of(principal))
        except ConcurrencyConflict:
            raise Conflict(f"unit {command.unit_code} is already registered") from None
        return unit

    def list_units(self, first: int, limit: int):
        query = UnitSnapshot.objects.order_by("id")
        return list(query.skip(first).limit(limit)), query.count()

    def create_plan(self, command: CreatePlan, principal: Principal) -> Plan:
        self._in_province("area_code", command.area_code)
        if command.ends_on < command.starts_on:
            raise InvalidInput.field("ends_on", "is before starts_on")
        codes = [i["code"] for i in command.indicators]
        for index, code in enumerate(codes):
            if code not in INDICATORS:
                raise InvalidInput.field(f"indicators.{index}.code", f"unknown indicator {code!r}")
        if len(set(codes)) != len(codes):
            raise InvalidInput.field("indicators", "lists an indicator twice")
        self._coordinator(principal, command.area_code)
        plan = Plan.create(uuid.uuid4().hex, command.title, command.kind, command.area_code, command.starts_on,
                           command.ends_on, command.indicators)
        self.plans.save(plan, Actor.of(principal))
        return plan

    def get_plan(self, plan_id: str, principal: Principal) -> tuple[Plan, dict[str, int]]:
        plan = self.plans.get(plan_id)
        if plan is None or not _sees(principal, plan.area_code):
            raise NotFound(f"no plan {plan_id} visible to you")
        return plan, self.indicator_counts(plan_id)

    def list_plans(self, principal: Principal, first: int, limit: int):
        query = PlanSnapshot.objects.order_by("-starts_on", "id")
        visible = [p for p in query if _sees(principal, p.area_code)]
        return visible[first:first + limit], len(visible)

    def indicator_counts(self, plan_id: str) -> dict[str, int]:
        """Each indicator's total; a contribution stored before amounts existed counts 1."""
        totals: dict[str, int] = {}
        for row in IndicatorContribution._get_collection().find({"plan_id": plan_id},
                                                                {"indicator_code": 1, "amount": 1}):
            totals[row["indicator_code"]] = totals.get(row["indicator_code"], 0) + row.get("amount", 1)
        return totals

    def assign_task(self, command: AssignTask, principal: Principal) -> Task:
        plan = self.plans.get(command.plan_id)
        if plan is None:
            raise NotFound(f"no plan {command.plan_id}")
        self._coordinator(principal, plan.area_code)
        for field, code in [("lead_unit", command.lead_unit)] + [
                (f"supporting_units.{i}", c) for i, c in enumerate(command.supporting_units)]:
            if self.units.get(code) is None:
                raise InvalidInput.field(field, f"no registered unit {code!r}")
        if command.due_on < plan.starts_on:
            raise InvalidInput.field("due_on", "is before the plan starts")
        task = Task.assign(uuid.uuid4().hex, plan.id, command.title, command.lead_unit, command.supporting_units,
                           command.due_on)
        self.tasks.save(task, Actor.of(principal))
        return task

    def list_tasks(self, plan_id: str, principal: Principal, first: int, limit: int):
        self.get_plan(plan_id, principal)
        query = TaskSnapshot.objects(plan_id=plan_id).order_by("id")
        return list(query.skip(first).limit(limit)), query.count()

    def count_case_event(self, envelope: Envelope) -> int:
        """Count a case event toward every indicator of every plan whose area and period cover it."""
        definitions = indicators_counting(envelope.type, envelope.data)
        if not definitions:
            return 0
        commune = envelope.data.get("commune_code") or envelope.area_code
        day = next((date.fromisoformat(envelope.data[name]) for name in EVENT_DAY_FIELDS if envelope.data.get(name)),
                   envelope.occurred_at.date())
        counted = 0
        for snapshot in PlanSnapshot.objects.only("id", "area_code", "starts_on", "ends_on"):
            if not areas.covers(snapshot.area_code, commune):
                continue
            plan = self.plans.get(snapshot.id)
            if not plan.counts_on(day):
                continue
            for definition in definitions:
                if any(i["code"] == definition.code for i in plan.indicators):
                    counted += self._contribute(plan.id, definition, envelope)
        return counted

    @staticmethod
    def _contribute(plan_id: str, definition: IndicatorDefinition, envelope: Envelope) -> int:
        """Add the event's contribution once: a redelivered event, or a person counted per person, adds nothing."""
        key, amount = definition.contribution(envelope.id, envelope.data)
        try:
            IndicatorContribution(key=f"{plan_id}:{definition.code}:{key}", plan_id=plan_id,
                                  indicator_code=definition.code, source_event_id=envelope.id, amount=amount,
                                  area_code=envelope.area_code,
                                  counted_at=datetime.now(timezone.utc)).save(force_insert=True)
            return 1
        except NotUniqueError:
            return 0
