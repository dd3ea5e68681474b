"""Alerts to units, and the rules that decide who must know about which event."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.aggregate import Aggregate, DomainEvent


@dataclass(frozen=True)
class UnitEntry:
    unit_code: str
    kind: str
    covers: tuple[str, ...]


@dataclass(frozen=True)
class Route:
    """Who is told of an event: units of `kinds` covering the event's area, and/or units named in its data."""
    category: str
    subject_type: str
    subject_field: str
    title_vi: str
    title_en: str
    kinds: tuple[str, ...] = ()
    unit_fields: tuple[str, ...] = ()
    urgent: bool = False
    area_field: str | None = None

    def area_of(self, data: dict, event_area: str | None) -> str | None:
        """The area the alert is about: the event's, or one named in its data (a transfer's receiving commune)."""
        return data.get(self.area_field) if self.area_field else event_area


ROUTES = {
    "cases.case.opened": Route(
        category="case_opened", subject_type="case", subject_field="case_id", kinds=("commune_police",
                                                                                      "commune_committee"),
        title_vi="Hồ sơ quản lý mới {case_number} tại {area_name}",
        title_en="New case {case_number} in {area_name}"),
    "cases.case.relapse_suspected": Route(
        category="relapse_suspected", subject_type="case", subject_field="case_id", urgent=True,
        kinds=("commune_police", "commune_committee"),
        title_vi="Nghi tái nghiện: xét nghiệm dương tính ngày {tested_on}, hồ sơ {case_number} tại {area_name}",
        title_en="Suspected relapse: positive test on {tested_on}, case {case_number} in {area_name}"),
    "cases.case.transfer_requested": Route(
        category="transfer_requested", subject_type="case", subject_field="case_id", urgent=True,
        kinds=("commune_police", "commune_committee"), area_field="to_commune",
        title_vi="Người trong hồ sơ {case_number} chuyển đến {area_name}: đề nghị tiếp nhận",
        title_en="The person of case {case_number} moved to {area_name}: please take the case over"),
    "cases.case.referred": Route(
        category="case_referred", subject_type="case", subject_field="case_id", unit_fields=("to_unit",),
        title_vi="Hồ sơ {case_number} được chuyển gửi đến đơn vị", title_en="Case {case_number} referred to your unit"),
    "cases.case.overdue": Route(
        category="case_overdue", subject_type="case", subject_field="case_id",
        kinds=("commune_committee", "commune_police"),
        title_vi="Quá hạn {due_name} ({due_on}): hồ sơ {case_number} tại {area_name}",
        title_en="Overdue {due_name} ({due_on}): case {case_number} in {area_name}"),
    "cases.case.due_soon": Route(
        category="case_due_soon", subject_type="case", subject_field="case_id", kinds=("commune_committee",),
        title_vi="Sắp đến hạn {due_name} ({due_on}): hồ sơ {case_number} tại {area_name}",
        title_en="{due_name} due on {due_on}: case {case_number} in {area_name}"),
    "cases.ost.termination_proposed": Route(
        category="methadone_termination_proposed", subject_type="case", subject_field="case_id",
        unit_fields=("clinic_unit",),
        title_vi="Đề xuất xem xét chấm dứt điều trị methadone: hồ sơ {case_number}",
        title_en="Methadone termination proposed for review: case {case_number}"),
    "cases.case.dossier_submitted": Route(
        category="dossier_submitted", subject_type="court_dossier", subject_field="case_id", kinds=("court",),
        title_vi="Hồ sơ đề nghị áp dụng biện pháp cai nghiện bắt buộc {case_number} ({area_name}) đã được chuyển "
                 "đến Tòa án",
        title_en="Compulsory rehab dossier {case_number} ({area_name}) submitted to the court"),
    "cases.access.escalated": Route(
        category="access_escalated", subject_type="access_grant", subject_field="grant_id",
        kinds=("inspectorate",),
        title_vi="Truy cập khẩn cấp: {subject} ({role}) mở phần {section} của hồ sơ tại {area_name}",
        title_en="Break-the-glass: {subject} ({role}) opened the {section} section of a case in {area_name}"),
    "plans.task.assigned": Route(
        category="task_assigned", subject_type="task", subject_field="task_id",
        unit_fields=("lead_unit", "supporting_units", "assigned_units"),
        title_vi="Nhiệm vụ mới: {title} (hạn {due_on})", title_en="New task: {title} (due {due_on})"),
    "plans.assignment.made": Route(
        category="assignment_made", subject_type="task", subject_field="task_id", unit_fields=("unit_code",),
        title_vi="Đơn vị được giao thực hiện nhiệm vụ: {title} (hạn {due_on})",
        title_en="Your unit is assigned to the task: {title} (due {due_on})"),
    "plans.task.due_soon": Route(
        category="task_due_soon", subject_type="task", subject_field="task_id", unit_fields=("unit_code",),
        title_vi="Sắp đến hạn nhiệm vụ: {title} (hạn {due_on})", title_en="Task due soon: {title} (due {due_on})"),
    "plans.task.overdue": Route(
        category="task_overdue", subject_type="task", subject_field="task_id", unit_fields=("unit_code",),
        urgent=True, title_vi="Quá hạn nhiệm vụ: {title} (hạn {due_on})",
        title_en="Task overdue: {title} (due {due_on})"),
    "plans.report.due_soon": Route(
        category="report_due_soon", subject_type="task", subject_field="task_id", unit_fields=("unit_code",),
        title_vi="Sắp đến hạn báo cáo kỳ {period}: {title} (hạn {due_on})",
        title_en="Report for {period} due soon: {title} (due {due_on})"),
    "plans.report.overdue": Route(
        category="report_overdue", subject_type="task", subject_field="task_id", unit_fields=("unit_code",),
        title_vi="Chưa nộp báo cáo kỳ {period}: {title} (hạn {due_on})",
        title_en="Report for {period} not submitted: {title} (due {due_on})"),
    "plans.report.submitted": Route(
        category="report_submitted", subject_type="report", subject_field="report_id",
        kinds=("provincial_committee",), area_field="plan_area_code", unit_fields=("reviewer_unit",),
        title_vi="Báo cáo kết quả kỳ {period} của đơn vị {unit_code} (lần {revision}) chờ duyệt",
        title_en="Progress report for {period} from {unit_code} (revision {revision}) awaits review"),
    "plans.report.returned": Route(
        category="report_returned", subject_type="report", subject_field="report_id", unit_fields=("unit_code",),
        title_vi="Báo cáo kết quả kỳ {period} (lần {revision}) bị trả lại để chỉnh sửa",
        title_en="Your progress report for {period} (revision {revision}) was returned for correction"),
    "plans.report.approved": Route(
        category="report_approved", subject_type="report", subject_field="report_id", unit_fields=("unit_code",),
        title_vi="Báo cáo kết quả kỳ {period} (lần {revision}) đã được duyệt",
        title_en="Your progress report for {period} (revision {revision}) was approved"),
    "plans.hotspot.re_emerged": Route(
        category="hotspot_re_emerged", subject_type="hotspot", subject_field="hotspot_id", urgent=True,
        kinds=("commune_police", "provincial_police"),
        title_vi="Điểm, tụ điểm ma túy đã triệt xóa hoạt động trở lại tại {area_name} từ ngày {effective_on}",
        title_en="A drug hotspot eliminated before is active again in {area_name} since {effective_on}"),
}


def recipients(route: Route, data: dict, area_code: str | None, directory: list[UnitEntry], covers) -> list[str]:
    """Units that must receive the alert, in a stable order; `covers(outer, inner)` answers area containment."""
    chosen = set()
    area_code = route.area_of(data, area_code)
    if route.kinds and area_code:
        chosen |= {u.unit_code for u in directory
                   if u.kind in route.kinds and any(covers(area, area_code) for area in u.covers)}
    for name in route.unit_fields:
        value = data.get(name) or []
        chosen |= set([value] if isinstance(value, str) else value)
    return sorted(chosen)


@dataclass(frozen=True)
class AlertRaised(DomainEvent):
    type = "notifications.alert.raised"
    alert_id: str
    recipient_unit: str
    category: str
    subject_type: str
    subject_id: str
    urgent: bool
    area_code: str | None
    title_vi: str
    title_en: str
    raised_at: datetime


@dataclass(frozen=True)
class AlertAcknowledged(DomainEvent):
    type = "notifications.alert.acknowledged"
    alert_id: str
    recipient_unit: str
    acknowledged_by: str


class AlreadyAcknowledged(Exception):
    pass


@dataclass(eq=False)
class Alert(Aggregate):
    stream_type = "alert"
    event_types = {e.type: e for e in (AlertRaised, AlertAcknowledged)}
    id: str
    raised: AlertRaised | None = None
    acknowledged_by: str | None = None

    @property
    def area_code(self):
        return self.raised.area_code if self.raised else None

    @classmethod
    def raise_for(cls, alert_id: str, recipient_unit: str, route: Route, data: dict, area_code: str | None,
                  area_name: str | None, raised_at: datetime) -> "Alert":
        alert = cls(alert_id)
        fields = {**data, "area_name": area_name or area_code or ""}
        alert.record(AlertRaised(alert_id=alert_id, recipient_unit=recipient_unit, category=route.category,
                                 subject_type=route.subject_type, subject_id=str(data[route.subject_field]),
                                 urgent=route.urgent, area_code=area_code, title_vi=route.title_vi.format(**fields),
                                 title_en=route.title_en.format(**fields), raised_at=raised_at))
        return alert

    def acknowledge(self, by: str) -> None:
        if self.acknowledged_by is not None:
            raise AlreadyAcknowledged(self.id)
        self.record(AlertAcknowledged(alert_id=self.id, recipient_unit=self.raised.recipient_unit,
                                      acknowledged_by=by))

    def _on_AlertRaised(self, event: AlertRaised) -> None:
        self.raised = event

    def _on_AlertAcknowledged(self, event: AlertAcknowledged) -> None:
        self.acknowledged_by = event.acknowledged_by
