"""The alerts the notifications service raised about a case, as steps of the case's history: raised,
acknowledged, escalated, resolved (issue 9: "every step is an event that cases can show on the case's timeline").

They are kept in a stream of their own beside the case's (`CaseAlertLog`, one per case, its id the case's), never
on the case's stream: a step arrives in the background moments after the case event that raised it, and on the
case's stream it would take the next version, so a caller's write made from what they had read would fail (409)
and their If-Match go stale (412) for no doing of theirs. The case's history shows both streams merged in time.

Under Law 120/2025 the receiving commune's police must be told of a move within 24 hours (`notify_police_by` of a
transfer); the transfer alert to that police unit is how they are told, and its acknowledgement is the proof. The
log keeps the facts of each step it heard of, whatever order they arrived in, and derives from them (and the
case's transfers) whether that notification is pending, overdue or done. Alerts carry no identity and no
clinical data, and neither do these events, which are never published.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from shared.aggregate import Aggregate, VariantEvent

from services.cases.domain.sharing import OPEN, TRANSFER

STEPS = ("raised", "acknowledged", "escalated", "resolved")
POLICE_NOTICE_CATEGORY = "transfer_requested"
CLINICAL_CATEGORY_PREFIXES = ("methadone", "ost")
LEGAL_NOTED, CLINICAL_NOTED = "cases.case.alert_noted", "cases.ost.alert_noted"
NOTED_TYPES = (LEGAL_NOTED, CLINICAL_NOTED)
OPEN_ALERTS_SHOWN = 20


def noted_type(category: str | None) -> str:
    """A methadone alert is a clinical step (its type reads as one, `access.section_of`); every other is legal."""
    return CLINICAL_NOTED if (category or "").startswith(CLINICAL_CATEGORY_PREFIXES) else LEGAL_NOTED


@dataclass(frozen=True)
class AlertStep:
    """One step of an alert, as the notifications service published it; `step_id` is its event id."""
    step_id: str
    step: str
    alert_id: str
    recipient_unit: str
    at: datetime
    category: str | None = None
    by: str | None = None
    via: str | None = None
    urgent: bool | None = None
    ack_required: bool | None = None
    ack_due_at: datetime | None = None
    escalated_from: str | None = None
    late: bool = False
    level: int | None = None
    round: int | None = None
    to_units: tuple[str, ...] = ()
    to_unit_heads: bool = False
    deadline_missed: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class AlertNoted(VariantEvent):
    """A step of an alert about the case; `share_id` is the transfer a transfer alert was raised for. Never
    published: the notifications service published the step itself."""
    published = False
    case_id: str
    step_id: str
    step: str
    alert_id: str
    recipient_unit: str
    at: datetime
    category: str | None = None
    by: str | None = None
    via: str | None = None
    urgent: bool | None = None
    ack_required: bool | None = None
    ack_due_at: datetime | None = None
    escalated_from: str | None = None
    late: bool = False
    level: int | None = None
    round: int | None = None
    to_units: list[str] = field(default_factory=list)
    to_unit_heads: bool = False
    deadline_missed: bool = False
    reason: str | None = None
    share_id: str | None = None

    def timeline(self) -> dict:
        """What the case's history shows of the step: what happened to which alert, by whom and when."""
        shown = {"step": self.step, "alert_id": self.alert_id, "category": self.category,
                 "recipient_unit": self.recipient_unit, "at": self.at.isoformat()}
        extra = {"raised": {"urgent": self.urgent, "ack_due_at": _iso(self.ack_due_at),
                            "escalated_from": self.escalated_from},
                 "acknowledged": {"by": self.by, "via": self.via, "late": self.late},
                 "escalated": {"level": self.level, "round": self.round, "to_units": list(self.to_units),
                               "to_unit_heads": self.to_unit_heads, "deadline_missed": self.deadline_missed},
                 "resolved": {"reason": self.reason}}[self.step]
        return {**shown, **{k: v for k, v in extra.items() if v is not None}}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(eq=False)
class CaseAlertLog(Aggregate):
    """The alerts about one case: `alerts` holds, by alert id, the facts of the steps heard and the ids of those
    steps, so a step heard again changes nothing. Its only writer is the consumer of the alert steps."""
    stream_type = "case_alerts"
    event_types = {t: AlertNoted for t in NOTED_TYPES}
    id: str
    alerts: dict[str, dict] = field(default_factory=dict)

    def note(self, step: AlertStep, shares: dict) -> None:
        """Note `step` once; `shares` are the case's, of which a transfer alert names the transfer it is for."""
        if step.step not in STEPS:
            raise ValueError(f"an alert's step is one of {', '.join(STEPS)}")
        known = self.alerts.get(step.alert_id, {})
        if step.step_id in known.get("noted", ()):
            return
        category = step.category or known.get("category")
        transfer = step.step == "raised" and category == POLICE_NOTICE_CATEGORY
        self.record(AlertNoted(
            event_type=noted_type(category), case_id=self.id, step_id=step.step_id, step=step.step,
            alert_id=step.alert_id, recipient_unit=step.recipient_unit, at=step.at, category=category, by=step.by,
            via=step.via, urgent=step.urgent, ack_required=step.ack_required, ack_due_at=step.ack_due_at,
            escalated_from=step.escalated_from, late=step.late, level=step.level, round=step.round,
            to_units=list(step.to_units), to_unit_heads=step.to_unit_heads, deadline_missed=step.deadline_missed,
            reason=step.reason, share_id=_transfer_of(shares) if transfer else None))

    def police_notification(self, now: datetime, shares: dict) -> dict | None:
        """The transfer alert to the receiving commune's police: the latest first-level transfer alert that
        requires acknowledgement. Its deadline is the transfer's `notify_police_by` in the case's `shares` (the
        alert's own, which the notifications rule takes from it, when the transfer has none)."""
        candidates = [(alert_id, a) for alert_id, a in self.alerts.items()
                      if a.get("category") == POLICE_NOTICE_CATEGORY and not a.get("escalated_from")
                      and (a.get("ack_required") or a.get("ack_due_at"))]
        if not candidates:
            return None
        alert_id, alert = max(candidates, key=lambda c: (c[1].get("raised_at") or "", c[1]["recipient_unit"]))
        share = shares.get(alert.get("share_id") or "", {})
        due = _moment(share.get("notify_police_by")) or _moment(alert.get("ack_due_at"))
        acknowledged = _moment(alert.get("acknowledged_at"))
        resolved = bool(alert.get("resolved_at"))
        late = bool(alert.get("acknowledged_late")) or bool(acknowledged and due and acknowledged > due)
        missed = bool(alert.get("deadline_missed")) or bool(due and now > due)
        return {"alert_id": alert_id, "recipient_unit": alert["recipient_unit"], "share_id": alert.get("share_id"),
                "due_at": due, "acknowledged_at": acknowledged, "acknowledged_by": alert.get("acknowledged_by"),
                "acknowledged_late": bool(acknowledged) and late,
                "overdue": not acknowledged and not resolved and missed,
                "escalation_level": alert.get("escalation_level"), "resolved": resolved}

    def open_alerts(self, now: datetime, categories_shown) -> list[dict]:
        """Alerts still waiting for an acknowledgement, oldest first, of the categories the caller may see."""
        waiting = [(alert_id, a) for alert_id, a in self.alerts.items()
                   if (a.get("ack_required") or a.get("ack_due_at")) and not a.get("acknowledged_at")
                   and not a.get("resolved_at") and categories_shown(a.get("category"))]
        waiting.sort(key=lambda c: (c[1].get("raised_at") or "", c[0]))
        return [{"alert_id": alert_id, "category": a.get("category"), "recipient_unit": a["recipient_unit"],
                 "raised_at": _moment(a.get("raised_at")), "due_at": _moment(a.get("ack_due_at")),
                 "escalation_level": a.get("escalation_level"),
                 "overdue": bool(a.get("deadline_missed")) or bool(a.get("ack_due_at")
                                                                   and now > _moment(a["ack_due_at"]))}
                for alert_id, a in waiting[:OPEN_ALERTS_SHOWN]]

    def _on_AlertNoted(self, event: AlertNoted) -> None:
        alert = dict(self.alerts.get(event.alert_id, {}))
        alert.setdefault("recipient_unit", event.recipient_unit)
        if event.category:
            alert["category"] = event.category
        alert.update(_facts_of(event, alert))
        alert["noted"] = [*alert.get("noted", []), event.step_id]
        self.alerts = {**self.alerts, event.alert_id: alert}


def _transfer_of(shares: dict) -> str | None:
    """The transfer a transfer alert is about: the pending one, else the latest (an alert heard after the
    receiving commune already decided)."""
    transfers = sorted(((s["status"] == OPEN, s.get("requested_at") or "", share_id)
                        for share_id, s in shares.items() if s["kind"] == TRANSFER), reverse=True)
    return transfers[0][2] if transfers else None


def _facts_of(event: AlertNoted, alert: dict) -> dict:
    """The facts a step adds; steps may arrive in any order, so each sets only its own facts, and escalation
    keeps the highest level heard and any missed deadline."""
    if event.step == "raised":
        return {"recipient_unit": event.recipient_unit, "raised_at": event.at.isoformat(),
                "urgent": bool(event.urgent), "ack_required": bool(event.ack_required),
                "ack_due_at": _iso(event.ack_due_at), "escalated_from": event.escalated_from,
                **({"share_id": event.share_id} if event.share_id else {})}
    if event.step == "acknowledged":
        return {"acknowledged_at": event.at.isoformat(), "acknowledged_by": event.by,
                "acknowledged_late": event.late}
    if event.step == "escalated":
        return {"escalation_level": max(event.level or 0, alert.get("escalation_level") or 0),
                "deadline_missed": event.deadline_missed or bool(alert.get("deadline_missed"))}
    return {"resolved_at": event.at.isoformat(), "resolved_reason": event.reason}
