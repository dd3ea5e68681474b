"""What a delivery says: its alerts rendered from their rule's template for the channel, in the addressee's
language, with what every render gets (area name, label, times, the one-time acknowledgement link); for an agency
system, a signed JSON payload carrying the alert as CAP 1.2."""
from __future__ import annotations

from shared import areas
from shared.ports import Repository

from services.notifications.adapters.channels.cap import cap_alert, event_label
from services.notifications.adapters.rendering import TemplateRenderer
from services.notifications.domain.deliveries import ESCALATION, Delivery
from services.notifications.domain.messages import Message
from services.notifications.domain.model import Alert
from services.notifications.domain.templates import OUTWARD_CHANNELS, Variant

ESCALATED_PREFIX = {"vi": "[Chuyển cấp] ", "en": "[Escalated] "}
CAP_LANGUAGE = {"vi": "vi-VN", "en": "en-US"}


class AlertContent:
    """`templates.for_rendering(id)` answers the current Template; `links.link_for(alert_id, target)` a signed
    one-time acknowledgement link; `endpoints.named([id])` the endpoint with its secrets (read at each send, so a
    rotated secret is used at once)."""

    def __init__(self, alerts: Repository, templates, renderer: TemplateRenderer, links, endpoints,
                 public_url: str, sender: str):
        self.alerts, self.templates, self.renderer, self.links = alerts, templates, renderer, links
        self.endpoints, self.public_url, self.sender = endpoints, public_url.rstrip("/"), sender

    def of(self, template_id: str, context: dict) -> tuple[str, str]:
        template = self.templates.for_rendering(template_id)
        return tuple(self._title(template, language, context) for language in ("vi", "en"))

    def escalated(self, template_id: str, context: dict) -> tuple[str, str]:
        vi, en = self.of(template_id, context)
        return ESCALATED_PREFIX["vi"] + vi, ESCALATED_PREFIX["en"] + en

    def _title(self, template, language: str, context: dict) -> str:
        context = {**context, "category_label": event_label(template.id, CAP_LANGUAGE[language])}
        return self.renderer.subject(template, "in_app", language, context) or template.id

    def message(self, deliveries: list[Delivery]) -> Message | None:
        first = deliveries[0]
        if first.content:
            return Message(delivery_id=first.id, channel=first.channel, address=first.address,
                           subject=first.content.get("subject"), text=first.content.get("text") or "",
                           html=first.content.get("html"))
        alerts = [a for d in deliveries for a in (self.alerts.get(i) for i in d.alert_ids) if a is not None]
        live = [a for a in alerts if a.open and not (first.purpose == ESCALATION and a.acknowledged_by)]
        if not live:
            return None
        if first.channel == "webhook":
            return self._webhook(first, live[0])
        variants = [self._render(first, alert) for alert in live]
        return Message(delivery_id=first.id, channel=first.channel, address=first.address,
                       **_combined(variants, first.language))

    def context(self, alert: Alert, delivery: Delivery | None = None) -> dict:
        raised, language = alert.raised, delivery.language if delivery else "vi"
        context = {**raised.facts, "area_code": raised.area_code, "area_name": _area_name(raised),
                   "category_label": event_label(raised.category, CAP_LANGUAGE.get(language, "vi-VN")),
                   "raised_at": raised.raised_at, "urgent": raised.urgent, "ack_due_at": raised.ack_due_at,
                   "alert_url": f"{self.public_url}/api/v1/inbox/{alert.id}",
                   "escalation_level": alert.escalations if delivery and delivery.purpose == ESCALATION else None}
        if (delivery and raised.ack_required and alert.acknowledged_by is None
                and delivery.channel in OUTWARD_CHANNELS):
            context["ack_link"] = self.links.link_for(alert.id, delivery.target)
        return context

    def _render(self, delivery: Delivery, alert: Alert) -> Variant:
        template = self.templates.for_rendering(alert.raised.template)
        return self.renderer.render(template, delivery.channel, delivery.language, self.context(alert, delivery))

    def _webhook(self, delivery: Delivery, alert: Alert) -> Message | None:
        endpoint_id = delivery.target.split(":", 1)[1]
        endpoints = self.endpoints.named([endpoint_id])
        if not endpoints or not endpoints[0].active:
            return None
        raised = alert.raised
        variant = self.renderer.render(self.templates.for_rendering(raised.template), "webhook", "vi",
                                       self.context(alert))
        payload = {"alert_id": alert.id, "category": raised.category, "subject_type": raised.subject_type,
                   "subject_ref": _subject_ref(raised), "urgent": raised.urgent,
                   "ack_required": raised.ack_required, "ack_due_at": raised.ack_due_at,
                   "area_code": raised.area_code, "area_name": _area_name(raised), "raised_at": raised.raised_at,
                   "title_vi": raised.title_vi, "title_en": raised.title_en, "summary": variant.text,
                   "cap": self.cap(alert).decode("utf-8")}
        return Message(delivery_id=delivery.id, channel="webhook", address=endpoints[0].url, text=variant.text,
                       payload=payload, event_type=raised.type, secrets=endpoints[0].secrets,
                       sent_at=raised.raised_at)

    def cap(self, alert: Alert, msg_type: str = "Alert") -> bytes:
        raised = alert.raised
        return cap_alert({"id": alert.id, "sent": raised.raised_at, "category": raised.category,
                          "urgent": raised.urgent, "ack_required": raised.ack_required,
                          "title_vi": raised.title_vi, "title_en": raised.title_en, "area_code": raised.area_code,
                          "area_name": _area_name(raised), "subject_type": raised.subject_type,
                          "subject_ref": _subject_ref(raised), "web": f"{self.public_url}/api/v1/inbox/{alert.id}",
                          "expires": raised.ack_due_at}, self.sender, msg_type)


def _area_name(raised) -> str:
    return (areas.name_of(raised.area_code) if raised.area_code else None) or raised.area_code or ""


def _subject_ref(raised) -> str:
    """A case goes out by its number, never by anything naming the person."""
    return str(raised.facts.get("case_number") or raised.subject_id)


def _combined(variants: list[Variant], language: str) -> dict:
    """Alerts about one subject within a rule's window, as one message: the first's subject, every text."""
    if len(variants) == 1:
        return {"subject": variants[0].subject, "text": variants[0].text, "html": variants[0].html}
    count = f"({len(variants)} cảnh báo) " if language == "vi" else f"({len(variants)} alerts) "
    return {"subject": count + (variants[0].subject or ""), "text": "\n\n---\n\n".join(v.text for v in variants),
            "html": None if any(v.html is None for v in variants) else "<hr>".join(v.html for v in variants)}
