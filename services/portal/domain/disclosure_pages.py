"""The accounting of disclosures of a case as the inspectorate reads it and hands it to the person (Law 91/2025,
the standard of 42 CFR Part 2): the cases service's entries (who read or changed which section, lists and exports
that included the case, break-the-glass, the units an alert reached) and the notifications service's (each
delivery of those alerts: to whom, by which channel) in one list, oldest first."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from shared.clock import PROVINCE_TIME

from services.portal.domain.pages import moment_of

DELIVERY = "delivery"
DELIVERIES_PAGE = 100
"""The notifications API's largest page of a case's deliveries."""
DELIVERY_PAGES_READ = 50
"""At most 5,000 deliveries of one case are read for a page, far more than a case's alerts ever reach; a case
with more gets a message instead of a list that looks whole."""
COLUMNS = ("at", "kind", "who", "unit", "sections", "channel", "action", "purpose")
"""The workbook's columns, in the order the page shows them."""


@dataclass(frozen=True)
class Disclosure:
    at: datetime | None
    kind: str
    action: str = ""
    who: str = ""
    unit: str = ""
    sections: tuple[str, ...] = ()
    channel: str = ""
    purpose: str = ""

    def row(self, kind_name=str, section_name=str) -> list:
        """The workbook's row in COLUMNS' order: the time in the province's (a spreadsheet cell has no zone), the
        kind and sections named as the page names them."""
        at = self.at.astimezone(PROVINCE_TIME).replace(tzinfo=None) if self.at else None
        return [at, kind_name(self.kind), self.who, self.unit, ", ".join(map(section_name, self.sections)),
                self.channel, self.action, self.purpose]


def _moment(value) -> datetime | None:
    """A time the services answer; one without a zone is read as UTC, the services' own."""
    moment = moment_of(value)
    return moment.replace(tzinfo=timezone.utc) if moment and moment.tzinfo is None else moment


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def from_cases(entry: dict) -> Disclosure:
    """An entry of the cases service's accounting (its DisclosureOut)."""
    sections = entry.get("sections") if isinstance(entry.get("sections"), list) else []
    roles = [role for role in entry.get("roles") or [] if isinstance(role, str)] \
        if isinstance(entry.get("roles"), list) else []
    who = " ".join(part for part in (_text(entry.get("subject")), f"({', '.join(roles)})" if roles else "") if part)
    return Disclosure(at=_moment(entry.get("at")), kind=_text(entry.get("kind")), action=_text(entry.get("action")),
                      who=who, unit=_text(entry.get("unit")),
                      sections=tuple(s for s in sections if isinstance(s, str)), purpose=_text(entry.get("purpose")))


def from_deliveries(entry: dict) -> Disclosure:
    """A delivery of the notifications service's accounting: `to` is "unit:<code>", "member:<subject>" or
    "endpoint:<id>"."""
    to = _text(entry.get("to"))
    kind_of_recipient, _, recipient = to.partition(":")
    return Disclosure(at=_moment(entry.get("at")), kind=DELIVERY, action=_text(entry.get("rule_id")),
                      who=recipient if kind_of_recipient != "unit" else "",
                      unit=recipient if kind_of_recipient == "unit" else "", channel=_text(entry.get("channel")))


def merged(case_entries, deliveries) -> list[Disclosure]:
    """Both accountings oldest first; an entry whose time cannot be read goes last rather than failing the page."""
    found = [from_cases(e) for e in case_entries if isinstance(e, dict)]
    found += [from_deliveries(e) for e in deliveries if isinstance(e, dict)]
    latest = datetime.max.replace(tzinfo=timezone.utc)
    return sorted(found, key=lambda d: d.at or latest)
