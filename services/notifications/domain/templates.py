"""Notification templates per channel and language, and the privacy rule of what each channel may name.

An e-mail or an SMS leaves our systems (mail providers, phone operators, a shared inbox, a phone's lock screen), so
it may name only what identifies nothing by itself: the case number, the area, a task or report, dates and links.
The in-app inbox and agency webhooks stay inside authorised systems and may name any field the event publishes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from shared.refusals import DecisionInvalid, is_blank

CHANNELS = ("in_app", "email", "sms", "webhook")
LANGUAGES = ("vi", "en")
FALLBACK_LANGUAGE = "vi"
OUTWARD_CHANNELS = ("email", "sms")
OUTWARD_FIELDS = frozenset({
    "case_number", "area_name", "area_code", "category_label", "due_name", "due_on", "tested_on", "period",
    "title", "unit_code", "revision", "effective_on", "raised_at", "ack_link", "alert_url", "escalation_level",
    "ack_due_at", "urgent",
    # the daily digest: `items` are built from alerts' outward renderings (title, raised_at, urgent,
    # category_label), `date` is the digest's day
    "items", "date",
})
"""Never a field naming a person (person_code, subject, worker_id, signer), their identity, or clinical facts."""
DERIVED_FIELDS = frozenset({"area_name", "category_label", "raised_at", "ack_link", "alert_url", "urgent",
                            "escalation_level", "ack_due_at"})
"""What every render gets besides the event's data: the alert's own facts."""
DIGEST_FIELDS = frozenset({"items", "unit_code", "date"})
"""The context of the daily digest, which is about no single event."""
TEMPLATE_ID = re.compile(r"^(?!preview$)[a-z][a-z0-9_]{0,63}$")
"""`preview` is no template's id: /templates/preview previews one."""
MAX_SOURCE = 20_000
SUBJECT_CHANNELS = ("in_app", "email")
HTML_CHANNELS = ("email",)


@dataclass(frozen=True)
class Variant:
    """One channel in one language: `subject` is an e-mail's subject or an in-app title."""
    subject: str | None
    text: str
    html: str | None = None


@dataclass(frozen=True)
class Template:
    id: str
    version: int
    variants: dict

    def variant(self, channel: str, language: str) -> Variant:
        """The channel's variant in `language`, else in Vietnamese (every channel a template has, it has in vi)."""
        found = self.variants.get((channel, language)) or self.variants.get((channel, FALLBACK_LANGUAGE))
        if found is None:
            raise KeyError(f"template {self.id} has no {channel} variant")
        return found


def allowed_fields(channel: str, event_fields: set[str]) -> set[str]:
    """The fields a template of `channel` may name, for an event that has `event_fields`."""
    available = set(event_fields) | DERIVED_FIELDS
    return available & OUTWARD_FIELDS if channel in OUTWARD_CHANNELS else available


GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
SEGMENT_LIMITS = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


def sms_length(text: str) -> dict:
    """How an SMS of `text` is sent (3GPP TS 23.038): GSM-7 if every character is in the basic set or the
    extension table (an extension character takes two septets), else UCS-2 (UTF-16 code units, so Vietnamese with
    diacritics). A long message is split into parts of 153 septets or 67 units; a pair is never split."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        encoding, sizes = "GSM-7", [2 if c in GSM7_EXTENSION else 1 for c in text]
    else:
        encoding, sizes = "UCS-2", [len(c.encode("utf-16-le")) // 2 for c in text]
    single, part = SEGMENT_LIMITS[encoding]
    characters = sum(sizes)
    return {"encoding": encoding, "characters": characters, "segments": _segments(sizes, single, part)}


def _segments(sizes: list[int], single: int, part: int) -> int:
    total = sum(sizes)
    if total <= single:
        return 1 if total else 0
    segments, used = 1, 0
    for size in sizes:
        if used + size > part:
            segments, used = segments + 1, 0
        used += size
    return segments


TEMPLATE_KEYS = ("id", "version", "variants")
VARIANT_KEYS = ("channel", "language", "subject", "text", "html")


def template_from_data(data: dict) -> Template:
    """A template as stored or sent to the API; refusals name the field (`variants.2.channel`)."""
    _no_unknown_keys(data, TEMPLATE_KEYS, "")
    template_id, version, variants = data.get("id"), data.get("version"), data.get("variants")
    if not isinstance(template_id, str) or not TEMPLATE_ID.match(template_id):
        raise DecisionInvalid("id", "lower-case letters, digits and _, starting with a letter; not `preview`")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise DecisionInvalid("version", "a whole number from 1")
    if not isinstance(variants, list) or not variants:
        raise DecisionInvalid("variants", "at least one variant")
    parsed: dict = {}
    for index, item in enumerate(variants):
        key, variant = _variant_from_data(item, f"variants.{index}")
        if key in parsed:
            raise DecisionInvalid(f"variants.{index}", f"a second {key[0]} variant in {key[1]}")
        parsed[key] = variant
    for channel in dict.fromkeys(channel for channel, _ in parsed):
        if (channel, FALLBACK_LANGUAGE) not in parsed:
            raise DecisionInvalid("variants", f"the {channel} variant needs a {FALLBACK_LANGUAGE} version")
    return Template(template_id, version, parsed)


def _variant_from_data(item, field: str) -> tuple[tuple[str, str], Variant]:
    if not isinstance(item, dict):
        raise DecisionInvalid(field, "an object with channel, language, subject, text and html")
    _no_unknown_keys(item, VARIANT_KEYS, f"{field}.")
    channel, language = item.get("channel"), item.get("language")
    if channel not in CHANNELS:
        raise DecisionInvalid(f"{field}.channel", f"one of {', '.join(CHANNELS)}")
    if language not in LANGUAGES:
        raise DecisionInvalid(f"{field}.language", f"one of {', '.join(LANGUAGES)}")
    subject, text, html = (_text_or_none(item, name, field) for name in ("subject", "text", "html"))
    if is_blank(text):
        raise DecisionInvalid(f"{field}.text", "the text is required")
    if (subject is None) == (channel in SUBJECT_CHANNELS):
        rule = "required" if channel in SUBJECT_CHANNELS else f"not used by {channel}"
        raise DecisionInvalid(f"{field}.subject", f"a subject is {rule}")
    if html is not None and channel not in HTML_CHANNELS:
        raise DecisionInvalid(f"{field}.html", f"HTML is not used by {channel}")
    return (channel, language), Variant(subject, text, html)


def _text_or_none(item: dict, name: str, field: str) -> str | None:
    value = item.get(name)
    if value is not None and not isinstance(value, str):
        raise DecisionInvalid(f"{field}.{name}", "text")
    if value is not None and len(value) > MAX_SOURCE:
        raise DecisionInvalid(f"{field}.{name}", f"at most {MAX_SOURCE} characters")
    return None if is_blank(value) and name != "text" else value


def _no_unknown_keys(data, known: tuple[str, ...], prefix: str) -> None:
    if not isinstance(data, dict):
        raise DecisionInvalid(prefix.rstrip(".") or "template", "an object")
    for key in data:
        if key not in known:
            raise DecisionInvalid(f"{prefix}{key}", f"unknown field; known: {', '.join(known)}")


def template_to_data(template: Template) -> dict:
    return {"id": template.id, "version": template.version,
            "variants": [{"channel": channel, "language": language, "subject": v.subject, "text": v.text,
                          "html": v.html} for (channel, language), v in template.variants.items()]}
