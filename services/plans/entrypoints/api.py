"""HTTP API of the plans service."""
from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from shared.endpoints import ETAG, ask, etag, if_match_version, takes_if_match
from shared.idempotency import idempotent
from shared.web import Blueprint

from services.plans.domain.commands import (AmendPlan, AssignTask, AssignUnit, ChangePlanDraft, ChangeTask,
                                            ClosePlan, CopyPlan, CreatePlan, IssuePlan, RegisterUnit, StartPlan,
                                            WaiveAssignment)
from services.plans.domain.model import INDICATORS, UNIT_KINDS
from services.plans.domain.plan import PLAN_KINDS
from services.plans.domain.progress import TASK_STATUSES
from services.plans.domain.queries import (ListPlans, ListTasks, ListUnits, MyTasks, PlanHistory, ReadPlan,
                                           ReadTask)
from services.plans.domain.task import PLACE_TYPES, TAGS
from services.plans.entrypoints.plan_schemas import (AREA, CODE, AmendmentIn, AssignmentIn, CloseIn, CopyIn,
                                                     PlanHistoryEntryOut, IssueIn, PlanChangesIn, PlanIn,
                                                     PlanListQuery, PlanOut, PlanSummaryOut, TaskChangeIn, TaskIn,
                                                     TaskListQuery, TaskOut, VocabularyOut, WaiverIn)

blp = Blueprint("plans", __name__, url_prefix="/api/v1", description="Action plans, tasks, indicators and units")


class UnitIn(Schema):
    unit_code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(UNIT_KINDS))
    area_code = fields.String(required=True, validate=AREA)
    covers = fields.List(fields.String(validate=AREA), load_default=list, validate=validate.Length(max=200))


class UnitOut(Schema):
    unit_code = fields.String(attribute="id")
    version = fields.Integer()
    name = fields.String()
    kind = fields.String()
    area_code = fields.String()
    covers = fields.List(fields.String())


def _unit_out(unit) -> dict:
    return {"id": unit.id, "version": unit.version, "name": unit.name, "kind": unit.kind,
            "area_code": unit.area_code, "covers": unit.covers}


@blp.route("/units")
class Units(MethodView):
    @blp.response(200, UnitOut(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """The directory of units"""
        items, total = ask(ListUnits(pagination_parameters.first_item, pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return items

    @idempotent
    @blp.arguments(UnitIn)
    @blp.response(201, UnitOut, headers=ETAG)
    def post(self, body):
        """Register a unit (agency or commune office)"""
        unit = ask(RegisterUnit(**body))
        return _unit_out(unit), 201, etag(unit.version)


def _plan_out(answer) -> dict:
    plan, counts, periods = answer
    indicators = [{**vars(INDICATORS[item.code]), "target": item.target,
                   "actual": counts.get(item.code, 0) if INDICATORS[item.code].counted_from else None}
                  for item in plan.indicators]
    return {**vars(plan), "indicators": indicators, "reporting_periods": periods}


def _plan_answer(answer, status: int = 200):
    return _plan_out(answer), status, etag(answer[0].version)


def _task_out(progress) -> dict:
    task = progress.task
    assignments = [{**vars(a), "status": progress.unit_statuses.get(a.unit_code)}
                   for a in sorted(task.assignments.values(), key=lambda a: a.unit_code)
                   if progress.only_unit in (None, a.unit_code)]
    return {**vars(task), "status": progress.status, "assignments": assignments, "unassigned": task.unassigned()}


def _task_answer(task, status: int = 200):
    """A changed task: its status is read afresh (it depends on reports)."""
    return _task_out(ask(ReadTask(task.id))), status, etag(task.version)


@blp.route("/vocabulary")
class Vocabulary(MethodView):
    @blp.response(200, VocabularyOut)
    def get(self):
        """Plan kinds, place types, tags (movements and programmes) and task statuses"""
        return {"plan_kinds": PLAN_KINDS, "place_types": PLACE_TYPES, "tags": TAGS, "task_statuses": TASK_STATUSES}


@blp.route("/plans")
class Plans(MethodView):
    @blp.arguments(PlanListQuery, location="query")
    @blp.response(200, PlanSummaryOut(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Plans covering your areas (drafts only for their coordinators)"""
        items, total = ask(ListPlans(**query, first=pagination_parameters.first_item,
                                     limit=pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return items

    @idempotent
    @blp.arguments(PlanIn)
    @blp.response(201, PlanOut, headers=ETAG)
    def post(self, body):
        """Draft a plan with its indicators and targets"""
        plan = ask(CreatePlan(**body))
        answer, status, headers = _plan_answer(ask(ReadPlan(plan.id)), 201)
        return answer, status, {**headers, "Location": url_for("plans.Plan", plan_id=plan.id)}


@blp.route("/plans/<string:plan_id>")
class Plan(MethodView):
    @blp.response(200, PlanOut, headers=ETAG)
    def get(self, plan_id):
        """A plan: its document, status, revisions, reporting periods and indicators with counted results"""
        return _plan_answer(ask(ReadPlan(plan_id)))

    @takes_if_match
    @blp.arguments(PlanChangesIn)
    @blp.response(200, PlanOut, headers=ETAG)
    def patch(self, body, plan_id):
        """Change a draft (an issued plan changes by amendment)"""
        ask(ChangePlanDraft(plan_id, body, if_match_version()))
        return _plan_answer(ask(ReadPlan(plan_id)))


def _plan_step(command):
    ask(command)
    return _plan_answer(ask(ReadPlan(command.plan_id)))


@blp.route("/plans/<string:plan_id>/issue")
class PlanIssue(MethodView):
    @takes_if_match
    @blp.arguments(IssueIn)
    @blp.response(200, PlanOut, headers=ETAG)
    def post(self, body, plan_id):
        """Issue the draft under its document number and signature; its tasks are then announced to their units"""
        return _plan_step(IssuePlan(plan_id=plan_id, expected_version=if_match_version(), **body))


@blp.route("/plans/<string:plan_id>/start")
class PlanStart(MethodView):
    @takes_if_match
    @blp.response(200, PlanOut, headers=ETAG)
    def post(self, plan_id):
        """Start carrying out an issued plan (the daily timer starts it on its first day)"""
        return _plan_step(StartPlan(plan_id, if_match_version()))


@blp.route("/plans/<string:plan_id>/amendments")
class PlanAmendments(MethodView):
    @takes_if_match
    @blp.arguments(AmendmentIn)
    @blp.response(200, PlanOut, headers=ETAG)
    def post(self, body, plan_id):
        """Amend a plan in force: a revision with its document number and reason"""
        return _plan_step(AmendPlan(plan_id=plan_id, expected_version=if_match_version(), **body))


@blp.route("/plans/<string:plan_id>/close")
class PlanClose(MethodView):
    @takes_if_match
    @blp.arguments(CloseIn)
    @blp.response(200, PlanOut, headers=ETAG)
    def post(self, body, plan_id):
        """Close the plan: every assignment's final report approved, or the assignment waived"""
        return _plan_step(ClosePlan(plan_id=plan_id, expected_version=if_match_version(), **body))


@blp.route("/plans/<string:plan_id>/copies")
class PlanCopies(MethodView):
    @idempotent
    @blp.arguments(CopyIn)
    @blp.response(201, PlanOut, headers=ETAG)
    def post(self, body, plan_id):
        """Copy the plan into a new draft for another period: dates shifted, tasks, units and targets kept"""
        plan = ask(CopyPlan(plan_id=plan_id, **body))
        answer, status, headers = _plan_answer(ask(ReadPlan(plan.id)), 201)
        return answer, status, {**headers, "Location": url_for("plans.Plan", plan_id=plan.id)}


@blp.route("/plans/<string:plan_id>/history")
class History(MethodView):
    @blp.response(200, PlanHistoryEntryOut(many=True))
    def get(self, plan_id):
        """Every change of the plan and its tasks, oldest first"""
        return [{"type": envelope.type, "stream": f"{envelope.stream.type}:{envelope.stream.id}",
                 "occurred_at": envelope.occurred_at, "actor": envelope.actor.id if envelope.actor else None,
                 "data": envelope.data} for envelope, _ in ask(PlanHistory(plan_id))]


@blp.route("/plans/<string:plan_id>/tasks")
class Tasks(MethodView):
    @blp.arguments(TaskListQuery, location="query")
    @blp.response(200, TaskOut(many=True))
    @blp.paginate()
    def get(self, query, plan_id, pagination_parameters):
        """The plan's tasks with their status, by due date; filter by tag, status or unit"""
        items, total = ask(ListTasks(plan_id, **query, first=pagination_parameters.first_item,
                                     limit=pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return [_task_out(item) for item in items]

    @idempotent
    @blp.arguments(TaskIn)
    @blp.response(201, TaskOut, headers=ETAG)
    def post(self, body, plan_id):
        """Add a task with its lead and supporting units, scope, targets and tags"""
        task = ask(AssignTask(plan_id=plan_id, supporting_units=body.pop("supporting_units", []), **body))
        answer, status, headers = _task_answer(task, 201)
        return answer, status, {**headers, "Location": url_for("plans.Task", task_id=task.id)}


@blp.route("/tasks/<string:task_id>")
class Task(MethodView):
    @blp.response(200, TaskOut, headers=ETAG)
    def get(self, task_id):
        """A task with its assignments, shares, the difference left unassigned and each unit's status"""
        progress = ask(ReadTask(task_id))
        return _task_out(progress), 200, etag(progress.task.version)

    @takes_if_match
    @blp.arguments(TaskChangeIn)
    @blp.response(200, TaskOut, headers=ETAG)
    def patch(self, body, task_id):
        """Change a task; in a plan in force, cite the amendment (reason and document number)"""
        return _task_answer(ask(ChangeTask(task_id=task_id, expected_version=if_match_version(), **body)))


@blp.route("/tasks/<string:task_id>/assignments/<string:unit_code>")
class Assignment(MethodView):
    @takes_if_match
    @blp.arguments(AssignmentIn)
    @blp.response(200, TaskOut, headers=ETAG)
    def put(self, body, task_id, unit_code):
        """Assign a unit its share of each target; all units' shares may not exceed a target"""
        return _task_answer(ask(AssignUnit(task_id, unit_code, body["shares"], if_match_version())))


@blp.route("/tasks/<string:task_id>/assignments/<string:unit_code>/waiver")
class Waiver(MethodView):
    @takes_if_match
    @blp.arguments(WaiverIn)
    @blp.response(200, TaskOut, headers=ETAG)
    def post(self, body, task_id, unit_code):
        """Waive a unit's assignment, saying why: the plan can close without its report"""
        return _task_answer(ask(WaiveAssignment(task_id, unit_code, body["reason"], if_match_version())))


@blp.route("/my/tasks")
class MyTaskList(MethodView):
    @blp.response(200, TaskOut(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """Your unit's tasks in plans in force, by due date, with your own assignment's status"""
        items, total = ask(MyTasks(pagination_parameters.first_item, pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return [_task_out(item) for item in items]
