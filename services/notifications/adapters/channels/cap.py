"""CAP 1.2 (OASIS Common Alerting Protocol) messages for the alerts an agency receives, and the Atom feed of an
agency's current alerts. The XSD checks the structure; the data dictionary's other rules (no spaces, commas,
`<` or `&` in identifiers and senders; numeric time offsets, UTC as -00:00; `references` as sender,identifier,sent
triples) are applied when building and checked by `validate_cap`. Only case numbers or task ids go out as the
subject: never a person's identity."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from lxml import etree

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_TYPE = "application/cap+xml"
XSD_PATH = Path(__file__).with_name("CAP-v1.2.xsd")
FORBIDDEN = re.compile(r"[\s,<&]")
CAP_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d")
HEADLINE_MAX = 160
AREA_GEOCODE = "VN-area-code"
HEALTH_CATEGORIES = frozenset({"relapse_suspected", "methadone_termination_proposed"})
HEALTH_PREFIXES = ("methadone_", "ost_", "treatment_", "health_")
RESTRICTION = ("Chỉ dành cho cơ quan, đơn vị nhận; không chuyển tiếp. "
               "For the receiving agency only; do not forward.")
LANGUAGES = (("vi-VN", "title_vi"), ("en-US", "title_en"))
EVENTS_VI = {
    "case_opened": "Hồ sơ quản lý mới", "relapse_suspected": "Nghi tái nghiện",
    "transfer_requested": "Chuyển nơi cư trú", "case_referred": "Chuyển gửi hồ sơ", "case_overdue": "Quá hạn",
    "case_due_soon": "Sắp đến hạn", "methadone_termination_proposed": "Đề xuất chấm dứt điều trị methadone",
    "dossier_submitted": "Chuyển hồ sơ đến Tòa án", "access_escalated": "Truy cập khẩn cấp",
    "task_assigned": "Giao nhiệm vụ", "task_overdue": "Nhiệm vụ quá hạn", "report_overdue": "Báo cáo quá hạn",
    "hotspot_re_emerged": "Điểm nóng tái phát",
}
LABELS = {
    "vi-VN": {"subject": "Đối tượng", "area": "Địa bàn", "ack": "Cần xác nhận đã nhận."},
    "en-US": {"subject": "Subject", "area": "Area", "ack": "Acknowledgement required."},
}


def safe_token(text: str) -> str:
    """An identifier or sender as the data dictionary allows it."""
    return FORBIDDEN.sub("-", str(text)) or "-"


def cap_time(moment: datetime) -> str:
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("CAP times need a time zone")
    text = moment.replace(microsecond=0).isoformat()
    return text[:-6] + "-00:00" if offset == timedelta(0) else text


def cap_category(category: str) -> str:
    return "Health" if category in HEALTH_CATEGORIES or category.startswith(HEALTH_PREFIXES) else "Safety"


def event_label(category: str, language: str) -> str:
    english = category.replace("_", " ").strip().capitalize() or "Alert"
    return EVENTS_VI.get(category, english) if language == "vi-VN" else english


def message_identifier(alert: Mapping, msg_type: str) -> str:
    """An Update or Cancel is a new message with its own identifier, naming the original in `references`."""
    base = safe_token(alert["id"])
    return base if msg_type == "Alert" else f"{base}.{msg_type.lower()}.{alert['sent'].strftime('%Y%m%dT%H%M%S')}"


def _add(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _parameter(info: etree._Element, name: str, value: str) -> None:
    parameter = _add(info, "parameter")
    _add(parameter, "valueName", name)
    _add(parameter, "value", value)


def _headline(text: str) -> str:
    return text if len(text) <= HEADLINE_MAX else text[:HEADLINE_MAX - 1] + "…"


def _description(alert: Mapping, language: str, title: str) -> str:
    words = LABELS[language]
    area = alert.get("area_name") or alert.get("area_code") or "-"
    lines = [title, f"{words['subject']}: {alert['subject_type']} {alert['subject_ref']}", f"{words['area']}: {area}"]
    return "\n".join(lines + ([words["ack"]] if alert.get("ack_required") else []))


def _info(root: etree._Element, alert: Mapping, language: str, title_key: str) -> None:
    info = _add(root, "info")
    title = alert.get(title_key) or alert.get("title_en") or alert.get("title_vi") or ""
    _add(info, "language", language)
    _add(info, "category", cap_category(alert["category"]))
    _add(info, "event", event_label(alert["category"], language))
    _add(info, "urgency", "Immediate" if alert.get("urgent") else "Expected")
    _add(info, "severity", "Severe" if alert.get("urgent") else "Moderate")
    _add(info, "certainty", "Likely" if "suspected" in alert["category"] else "Observed")
    if alert.get("expires"):
        _add(info, "expires", cap_time(alert["expires"]))
    _add(info, "senderName", "Đồng Hành")
    _add(info, "headline", _headline(title))
    _add(info, "description", _description(alert, language, title))
    if alert.get("web"):
        _add(info, "web", alert["web"])
    _parameter(info, "category", alert["category"])
    _parameter(info, "subject", f"{alert['subject_type']}:{alert['subject_ref']}")
    _parameter(info, "ack_required", "true" if alert.get("ack_required") else "false")
    area = _add(info, "area")
    _add(area, "areaDesc", alert.get("area_name") or alert.get("area_code") or "-")
    if alert.get("area_code"):
        geocode = _add(area, "geocode")
        _add(geocode, "valueName", AREA_GEOCODE)
        _add(geocode, "value", str(alert["area_code"]))


def cap_element(alert: Mapping, sender: str, msg_type: str = "Alert",
                references: Iterable[tuple[str, str, datetime]] = ()) -> etree._Element:
    root = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})
    _add(root, "identifier", message_identifier(alert, msg_type))
    _add(root, "sender", safe_token(sender))
    _add(root, "sent", cap_time(alert["sent"]))
    _add(root, "status", "Actual")
    _add(root, "msgType", msg_type)
    _add(root, "scope", "Restricted")
    _add(root, "restriction", RESTRICTION)
    triples = [f"{safe_token(s)},{safe_token(i)},{cap_time(t)}" for s, i, t in references]
    if triples:
        _add(root, "references", " ".join(triples))
    for language, title_key in LANGUAGES:
        _info(root, alert, language, title_key)
    return root


def cap_alert(alert: Mapping, sender: str, msg_type: str = "Alert",
              references: Iterable[tuple[str, str, datetime]] = ()) -> bytes:
    """`alert["sent"]` is this message's time: for an Update or Cancel, when it was decided; `references` names
    the earlier messages (sender, identifier, sent) it updates or cancels."""
    return etree.tostring(cap_element(alert, sender, msg_type, references), xml_declaration=True,
                          encoding="UTF-8", pretty_print=True)


@lru_cache(maxsize=1)
def cap_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_PATH)))


def dictionary_errors(root: etree._Element) -> list[str]:
    """The data dictionary's rules the XSD leaves out."""
    errors = []
    for tag in ("identifier", "sender"):
        value = root.findtext(f"{{{CAP_NS}}}{tag}") or ""
        if FORBIDDEN.search(value):
            errors.append(f"{tag} holds a space, comma, < or &: {value!r}")
    for tag in ("sent", "effective", "onset", "expires"):
        for element in root.iter(f"{{{CAP_NS}}}{tag}"):
            if not CAP_TIME.fullmatch(element.text or ""):
                errors.append(f"{tag} is not a time with a numeric offset: {element.text!r}")
    references = root.findtext(f"{{{CAP_NS}}}references")
    for triple in (references or "").split():
        parts = triple.split(",")
        if len(parts) != 3 or not all(parts) or not CAP_TIME.fullmatch(parts[2]):
            errors.append(f"references holds {triple!r}, not sender,identifier,sent")
    return errors


def validate_cap(xml: bytes) -> None:
    """Raises ValueError naming every error: not XML, not valid against CAP 1.2, or against its data dictionary."""
    try:
        root = etree.fromstring(xml)
    except etree.XMLSyntaxError as error:
        raise ValueError(f"not XML: {error}") from None
    schema = cap_schema()
    errors = [f"line {e.line}: {e.message}" for e in schema.error_log] if not schema.validate(root) else []
    errors += dictionary_errors(root) if not errors else []
    if errors:
        raise ValueError("not a valid CAP 1.2 message: " + "; ".join(errors))


@dataclass(frozen=True)
class FeedEntry:
    id: str
    title: str
    updated: datetime
    summary: str
    cap_url: str
    cap: bytes


def _atom(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ATOM_NS}}}{tag}", **attributes)
    if text is not None:
        element.text = text
    return element


def _entry(feed: etree._Element, entry: FeedEntry) -> None:
    element = _atom(feed, "entry")
    _atom(element, "id", entry.id)
    _atom(element, "title", entry.title)
    _atom(element, "updated", entry.updated.isoformat())
    _atom(element, "summary", entry.summary)
    _atom(element, "link", rel="alternate", type=CAP_TYPE, href=entry.cap_url)
    content = _atom(element, "content", type=CAP_TYPE)
    content.append(etree.fromstring(entry.cap))


def atom_feed(feed_id: str, title: str, self_url: str, updated: datetime,
              entries: Iterable[FeedEntry | Mapping], author: str = "Đồng Hành") -> bytes:
    """Atom (RFC 4287): each entry links to its CAP message and carries it inline, as XML content."""
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    _atom(feed, "id", feed_id)
    _atom(feed, "title", title)
    _atom(feed, "updated", updated.isoformat())
    _atom(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _atom(_atom(feed, "author"), "name", author)
    for entry in entries:
        _entry(feed, entry if isinstance(entry, FeedEntry) else FeedEntry(**entry))
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)
