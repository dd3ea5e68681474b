"""The rules a new installation starts with (the fixed table of routes this service had before rules became
data); admins change them through the API, and each change is a new version."""
from __future__ import annotations

from services.notifications.domain.rules import UNIT_HEAD, UNIT_KIND, EscalationLevel, EscalationPolicy, Rule

COMMUNE = ("commune_police", "commune_committee")
URGENT_POLICY = EscalationPolicy(levels=[EscalationLevel(30, UNIT_HEAD),
                                         EscalationLevel(60, UNIT_KIND + "provincial_committee")], repeat=2)
"""Unacknowledged for 30 minutes: the unit's heads; an hour after that: the provincial standing office; twice."""
POLICE_BY_LAW = EscalationPolicy(levels=[EscalationLevel(0, UNIT_KIND + "provincial_police")])
"""Law 120/2025: the receiving commune's police must be told of a move within 24 hours; once that passes
unacknowledged, the provincial police are."""
HEAD_NEXT_DAY = EscalationPolicy(levels=[EscalationLevel(24 * 60, UNIT_HEAD)])
"""A task overdue and not acknowledged within a day: the unit's head is told (DOMAIN.md: lead unit, then its head)."""
DELIVERED = ("in_app", "email", "sms")


def _case(event_type, category, **rule) -> Rule:
    return Rule(id=category, event_type=event_type, category=category, subject_type=rule.pop("subject_type", "case"),
                subject_field=rule.pop("subject_field", "case_id"), template=category, **rule)


def _plans(event_type, category, subject_type="task", subject_field="task_id", **rule) -> Rule:
    return Rule(id=category, event_type=event_type, category=category, subject_type=subject_type,
                subject_field=subject_field, template=category, **rule)


UNIT_PERIOD = ("unit_code", "period")
"""A report notice names its period; a task's overdue notice names none, and any report its lead unit submits on
the task ends it."""

SEED_RULES = (
    _case("cases.case.opened", "case_opened", unit_kinds=COMMUNE, channels=("in_app", "email")),
    _case("cases.case.relapse_suspected", "relapse_suspected", unit_kinds=COMMUNE, urgent=True, ack_required=True,
          channels=DELIVERED, escalation=URGENT_POLICY,
          resolved_by=("cases.case.relapse_reported", "cases.case.closed")),
    _case("cases.case.absconded", "case_absconded", unit_kinds=("commune_police",), urgent=True, ack_required=True,
          channels=DELIVERED, escalation=URGENT_POLICY, resolved_by=("cases.case.closed",)),
    _case("cases.case.transfer_requested", "transfer_requested", unit_kinds=COMMUNE, area_field="to_commune",
          urgent=True, ack_required=True, ack_due_field="notify_police_by", escalation=POLICE_BY_LAW,
          channels=DELIVERED,
          resolved_by=("cases.case.transferred", "cases.case.transfer_rejected", "cases.case.transfer_revoked")),
    _case("cases.case.referred", "case_referred", unit_fields=("to_unit",), channels=("in_app", "email"),
          resolved_by=("cases.case.referral_accepted", "cases.case.referral_rejected",
                       "cases.case.referral_revoked")),
    _case("cases.case.overdue", "case_overdue", unit_kinds=("commune_committee", "commune_police"),
          channels=("in_app", "email"), group_window_minutes=10),
    _case("cases.case.due_soon", "case_due_soon", unit_kinds=("commune_committee",), channels=("in_app", "email"),
          group_window_minutes=10),
    _case("cases.ost.termination_proposed", "methadone_termination_proposed", unit_fields=("clinic_unit",),
          channels=("in_app", "email")),
    _case("cases.case.dossier_submitted", "dossier_submitted", subject_type="court_dossier", unit_kinds=("court",),
          channels=("in_app", "email")),
    _case("cases.access.escalated", "access_escalated", subject_type="access_grant", subject_field="grant_id",
          unit_kinds=("inspectorate",), channels=("in_app", "email")),
    _plans("plans.task.assigned", "task_assigned", unit_fields=("lead_unit", "supporting_units", "assigned_units"),
           channels=("in_app", "email")),
    _plans("plans.assignment.made", "assignment_made", unit_fields=("unit_code",), channels=("in_app", "email")),
    _plans("plans.task.due_soon", "task_due_soon", unit_fields=("unit_code",), channels=("in_app", "email")),
    _plans("plans.task.overdue", "task_overdue", unit_fields=("unit_code",), urgent=True, ack_required=True,
           escalation=HEAD_NEXT_DAY, channels=("in_app", "email"), resolved_by=("plans.report.submitted",),
           resolve_fields=("unit_code",)),
    _plans("plans.report.due_soon", "report_due_soon", unit_fields=("unit_code",), channels=("in_app", "email"),
           resolved_by=("plans.report.submitted",), resolve_fields=UNIT_PERIOD),
    _plans("plans.report.overdue", "report_overdue", unit_fields=("unit_code",), channels=("in_app", "email"),
           resolved_by=("plans.report.submitted",), resolve_fields=UNIT_PERIOD),
    _plans("plans.report.submitted", "report_submitted", subject_type="report", subject_field="report_id",
           unit_kinds=("provincial_committee",), area_field="plan_area_code", unit_fields=("reviewer_unit",),
           channels=("in_app", "email"), group_window_minutes=30,
           resolved_by=("plans.report.approved", "plans.report.returned")),
    _plans("plans.report.returned", "report_returned", subject_type="report", subject_field="report_id",
           unit_fields=("unit_code",), channels=("in_app", "email")),
    _plans("plans.report.approved", "report_approved", subject_type="report", subject_field="report_id",
           unit_fields=("unit_code",), channels=("in_app",)),
    _plans("plans.hotspot.re_emerged", "hotspot_re_emerged", subject_type="hotspot", subject_field="hotspot_id",
           unit_kinds=("commune_police", "provincial_police"), urgent=True, channels=DELIVERED),
)
