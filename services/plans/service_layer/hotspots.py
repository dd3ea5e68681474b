"""The hotspot registry: the police and the standing office record hotspots in their communes, take them through
their lifecycle and link them to the plan tasks that deal with them. Callers whose role does not read
law-enforcement data are refused the list and never learn that a single hotspot exists."""
from __future__ import annotations

import uuid

from shared import areas
from shared.audit_changes import audited_change
from shared.auth import Principal
from shared.clock import Clock
from shared.errors import InvalidInput, NotAuthorised, NotFound
from shared.ports import AuditTrail
from shared.refusals import domain_refusals

from services.plans.domain.access import may_keep_hotspot, may_see_hotspot, may_see_hotspots
from services.plans.domain.commands import IdentifyHotspot, LinkHotspotTasks, TransitionHotspot
from services.plans.domain.hotspots import Coordinates, Hotspot
from services.plans.domain.queries import ListHotspots, MapHotspots, ReadHotspot
from services.plans.service_layer.plans import visible_plan
from services.plans.service_layer.ports import HotspotRow, PlanViews
from services.plans.service_layer.unit_of_work import PlansUnitOfWork
from services.plans.service_layer.units import check_in_province

MAP_LIMIT = 20_000
"""The GeoJSON export holds at most this many hotspots: a province records a few hundred."""
AUDITED = ("law_enforcement",)
"""A hotspot's place, address and description are law-enforcement data: every read and change is audited."""


def _may_keep(principal: Principal, hotspot: Hotspot) -> bool:
    return may_keep_hotspot(principal, hotspot.commune_code)


def check_tasks(task_ids, principal: Principal, uow: PlansUnitOfWork, field_name: str = "task_ids") -> None:
    """Each task exists and belongs to a plan the caller may see."""
    for index, task_id in enumerate(task_ids):
        task = uow.tasks.get(task_id)
        try:
            if task is None:
                raise NotFound(task_id)
            visible_plan(task.plan_id, principal, uow.plans)
        except NotFound:
            raise InvalidInput.field(f"{field_name}.{index}", f"no task {task_id} in a plan visible to you") from None


def identify_hotspot(command: IdentifyHotspot, principal: Principal, uow: PlansUnitOfWork, province_code: str,
                     clock: Clock, audit: AuditTrail) -> Hotspot:
    check_in_province("commune_code", command.commune_code, province_code)
    if not areas.is_commune(command.commune_code):
        raise InvalidInput.field("commune_code", "must be a commune (5 digits), not the province")
    if not may_keep_hotspot(principal, command.commune_code):
        raise NotAuthorised("only police liaison officers and plan coordinators of the commune record hotspots")
    with domain_refusals():
        hotspot = Hotspot.identify(uuid.uuid4().hex, command.place_name, command.commune_code, command.kind,
                                   command.activity, command.level, command.found_on, clock.today(),
                                   description=command.description, address=command.address,
                                   coordinates=Coordinates(**command.coordinates) if command.coordinates else None,
                                   task_ids=list(command.task_ids))
    check_tasks(command.task_ids, principal, uow)
    with audited_change(audit, principal, "identify", "hotspot", hotspot.id, AUDITED):
        uow.add(hotspot, principal)
    return hotspot


def transition_hotspot(command: TransitionHotspot, principal: Principal, uow: PlansUnitOfWork,
                       clock: Clock, audit: AuditTrail) -> Hotspot:
    with audited_change(audit, principal, "transition", "hotspot", command.hotspot_id, AUDITED, command.to), \
            uow.changing("hotspot", command.hotspot_id, principal, command.expected_version, may_see_hotspot,
                         _may_keep) as hotspot:
        hotspot.transition(command.to, command.effective_on, command.note, clock.today(), command.level)
    return hotspot


def link_hotspot_tasks(command: LinkHotspotTasks, principal: Principal, uow: PlansUnitOfWork,
                       audit: AuditTrail) -> Hotspot:
    with audited_change(audit, principal, "link_tasks", "hotspot", command.hotspot_id, AUDITED), \
            uow.changing("hotspot", command.hotspot_id, principal, command.expected_version, may_see_hotspot,
                         _may_keep) as hotspot:
        check_tasks(command.task_ids, principal, uow)
        hotspot.link_tasks(list(command.task_ids))
    return hotspot


def read_hotspot(query: ReadHotspot, principal: Principal, uow: PlansUnitOfWork,
                 audit: AuditTrail) -> tuple[Hotspot, list[dict]]:
    """The hotspot and its history: every change, who made it and when, oldest first."""
    hotspot = uow.visible("hotspot", query.hotspot_id, principal, may_see_hotspot)
    audit.record(principal, "read", "hotspot", hotspot.id, AUDITED)
    return hotspot, [_history_entry(envelope) for envelope, _ in uow.hotspots.history(hotspot.id)]


def _history_entry(envelope) -> dict:
    return {"version": envelope.stream.version, "type": envelope.type, "occurred_at": envelope.occurred_at,
            "actor": vars(envelope.actor), "data": {k: v for k, v in envelope.data.items() if k != "hotspot_id"}}


def communes_in(area_codes) -> list[str]:
    return sorted({code for area in area_codes for code in
                   ([c for c, _ in areas.communes_of(area)] if areas.is_province(area) else [area])})


def _matching(filters, principal: Principal, views: PlanViews, first: int, limit: int) -> tuple[list[HotspotRow], int]:
    if not may_see_hotspots(principal):
        raise NotAuthorised("your role does not list hotspots")
    communes = [c for c in communes_in(principal.areas)
                if filters.commune_code is None or c == filters.commune_code]
    return views.hotspots(communes, filters, first, limit)


def list_hotspots(query: ListHotspots, principal: Principal, views: PlanViews,
                  audit: AuditTrail) -> tuple[list[HotspotRow], int]:
    """Hotspots of the caller's communes, most recently found first, and how many match."""
    rows, total = _matching(query.filters, principal, views, query.first, query.limit)
    audit.record_many(principal, "list", "hotspot", [row.id for row in rows], AUDITED)
    return rows, total


def map_hotspots(query: MapHotspots, principal: Principal, views: PlanViews, audit: AuditTrail) -> list[HotspotRow]:
    rows, _ = _matching(query.filters, principal, views, 0, MAP_LIMIT)
    audit.record_many(principal, "map", "hotspot", [row.id for row in rows], AUDITED)
    return rows


HANDLERS = {IdentifyHotspot: identify_hotspot, TransitionHotspot: transition_hotspot,
            LinkHotspotTasks: link_hotspot_tasks, ReadHotspot: read_hotspot, ListHotspots: list_hotspots,
            MapHotspots: map_hotspots}
