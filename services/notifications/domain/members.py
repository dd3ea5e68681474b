"""The member directory: who of a unit is reached by e-mail or SMS, and when.

A member is a person the service knows (their token's subject) in a unit, with their language, quiet hours and
channels per category; a unit has the same settings for its own duty contact points. Both are one aggregate,
`Addressee`, whose id is the delivery target ("member:<subject>", "unit:<code>"). The in-app inbox is always on
and no preference. Urgent alerts override quiet hours and digests."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers

from shared.aggregate import Aggregate, DomainEvent
from shared.refusals import DecisionInvalid

LOCAL_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
LANGUAGES = ("vi", "en")
EMAIL, SMS, DIGEST = "email", "sms", "digest"
PREFERRED = (EMAIL, SMS, DIGEST)
CONTACT_KINDS = (EMAIL, SMS)
URGENT_DEFAULT = (EMAIL, SMS)
ROUTINE_DEFAULT = (EMAIL,)
DEFAULT_DIGEST_AT = "07:00"
"""When a digest goes out for an addressee who chose digests but set no time (local time)."""
MEMBER, UNIT = "member", "unit"
HH_MM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
ADMIN = "admin"


def member_target(subject: str) -> str:
    return f"{MEMBER}:{subject}"


def unit_target(unit: str) -> str:
    return f"{UNIT}:{unit}"


def clock_time(field_name: str, text) -> time:
    """A local time of day written "HH:MM" (24 hours)."""
    if not isinstance(text, str) or not HH_MM.match(text):
        raise DecisionInvalid(field_name, "a time of day as HH:MM, 00:00 to 23:59")
    return time(int(text[:2]), int(text[3:]))


@dataclass(frozen=True)
class QuietHours:
    """Local hours in which nothing but urgent alerts is sent; `start` after `end` wraps midnight (22:00-06:00)."""
    start: str
    end: str

    def check(self) -> "QuietHours":
        start, end = clock_time("quiet_hours.start", self.start), clock_time("quiet_hours.end", self.end)
        if start == end:
            raise DecisionInvalid("quiet_hours.end", "must differ from the start")
        return self

    def contains(self, moment: time) -> bool:
        start, end = clock_time("quiet_hours.start", self.start), clock_time("quiet_hours.end", self.end)
        return start <= moment < end if start < end else (moment >= start or moment < end)

    def end_after(self, now: datetime) -> datetime | None:
        """When the quiet hours `now` falls in end (aware, in UTC's zone of `now`), or None outside them."""
        local = now.astimezone(LOCAL_TIME)
        if not self.contains(local.time().replace(second=0, microsecond=0)):
            return None
        end = clock_time("quiet_hours.end", self.end)
        ends = datetime.combine(local.date(), end, LOCAL_TIME)
        if ends <= local:
            ends += timedelta(days=1)
        return ends.astimezone(now.tzinfo)


@dataclass(frozen=True)
class MemberSettings:
    """What an addressee chose: `preferences` maps a category to its channels among email, sms and digest."""
    language: str = "vi"
    quiet_hours: QuietHours | None = None
    preferences: dict[str, list[str]] = field(default_factory=dict)
    digest_at: str | None = None

    def check(self, known_categories) -> "MemberSettings":
        if self.language not in LANGUAGES:
            raise DecisionInvalid("language", f"one of {', '.join(LANGUAGES)}")
        if self.quiet_hours is not None:
            self.quiet_hours.check()
        if self.digest_at is not None:
            clock_time("digest_at", self.digest_at)
        for category, channels in self.preferences.items():
            if category not in known_categories:
                raise DecisionInvalid(f"preferences.{category}", "not a category of alerts this service sends")
            unknown = [c for c in channels if c not in PREFERRED]
            if unknown:
                raise DecisionInvalid(f"preferences.{category}",
                                      f"unknown channel {unknown[0]!r}; choose among {', '.join(PREFERRED)}")
            if len(set(channels)) != len(channels):
                raise DecisionInvalid(f"preferences.{category}", "name each channel once")
        return self

    def channels_for(self, category: str, urgent: bool) -> tuple[str, ...]:
        """The chosen channels of a category, or the default: e-mail, and SMS too when urgent. An urgent alert
        is never held for a digest: a digest choice then means e-mail now."""
        chosen = tuple(self.preferences.get(category, URGENT_DEFAULT if urgent else ROUTINE_DEFAULT))
        if urgent and DIGEST in chosen:
            chosen = tuple(dict.fromkeys(EMAIL if c == DIGEST else c for c in chosen))
        return chosen

    def decide(self, category: str, channel: str, urgent: bool, now: datetime) -> "Decision | None":
        """Whether and how an alert of `category` reaches this addressee by `channel` (email or sms); None when
        their preferences leave that channel out."""
        chosen = self.channels_for(category, urgent)
        if not urgent and channel == EMAIL and DIGEST in chosen:
            return Decision(digest=True)
        if channel not in chosen:
            return None
        held = None if urgent or self.quiet_hours is None else self.quiet_hours.end_after(now)
        return Decision(send_at=held)

    def digest_due(self, now: datetime) -> bool:
        """Whether today's digest time (local) has come."""
        local = now.astimezone(LOCAL_TIME)
        return local.time() >= clock_time("digest_at", self.digest_at or DEFAULT_DIGEST_AT)


@dataclass(frozen=True)
class Decision:
    send_at: datetime | None = None
    digest: bool = False


def local_date(now: datetime) -> date:
    return now.astimezone(LOCAL_TIME).date()


@dataclass(frozen=True)
class AddresseeRecorded(DomainEvent):
    """The whole record after a change (kept in this service's log only: it is nobody else's business)."""
    type = "notifications.member.recorded"
    published = False
    kind: str
    unit: str
    roles: list[str]
    head: bool
    settings: MemberSettings
    by: str


@dataclass(eq=False)
class Addressee(Aggregate):
    stream_type = "member"
    event_types = {AddresseeRecorded.type: AddresseeRecorded}
    id: str
    kind: str = MEMBER
    unit: str = ""
    roles: list[str] = field(default_factory=list)
    head: bool = False
    settings: MemberSettings = field(default_factory=MemberSettings)

    @property
    def subject(self) -> str:
        return self.id.split(":", 1)[1]

    def record_as(self, by: str, unit: str, roles: list[str], head: bool, settings: MemberSettings) -> None:
        self.record(AddresseeRecorded(kind=self.kind, unit=unit, roles=sorted(set(roles)), head=head,
                                      settings=settings, by=by))

    def _on_AddresseeRecorded(self, event: AddresseeRecorded) -> None:
        self.kind, self.unit, self.roles, self.head = event.kind, event.unit, list(event.roles), event.head
        self.settings = event.settings

    def reached(self, roles: tuple[str, ...], heads_only: bool) -> bool:
        """Whether a member is among those asked for; a unit's own record answers for the unit as a whole."""
        if self.kind == UNIT:
            return not heads_only
        return (not heads_only or self.head) and (not roles or any(r in self.roles for r in roles))


CODE_DIGITS = 6
CODE_VALID = timedelta(minutes=15)
CODE_TRIES = 5


@dataclass
class ContactPoint:
    """An e-mail address or mobile number of a member or a unit. Unverified until its owner types the one-time
    code sent through it; only verified ones are ever used for alerts. `code_hash` is a keyed hash of the code,
    `generation` names the code sent (tries are counted per generation)."""
    id: str
    owner: str
    kind: str
    address: str
    created_at: datetime
    verified_at: datetime | None = None
    generation: str = ""
    code_hash: str | None = None
    code_expires_at: datetime | None = None
    version: int = 1

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    def check_code(self, hashed: str, now: datetime) -> None:
        """Refuses a code that is not the one sent or came too late (the tries are counted by the caller)."""
        if self.code_expires_at is None or now >= self.code_expires_at:
            raise DecisionInvalid("code", "the code has expired; remove the contact point and add it again")
        if hashed != self.code_hash:
            raise DecisionInvalid("code", "not the code we sent")

    def verify(self, now: datetime) -> None:
        self.verified_at, self.code_hash, self.code_expires_at = now, None, None
        self.version += 1


def masked(kind: str, address: str) -> str:
    """What a list shows of an address: "+84 91* *** 678", "n***@example.vn"."""
    if kind == EMAIL:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    number = phonenumbers.parse(address, None)
    national = str(number.national_number)
    shown = "".join(c if i < 2 or i >= len(national) - 3 else "*" for i, c in enumerate(national))
    groups = [shown[i:i + 3] for i in range(0, len(shown), 3)]
    return f"+{number.country_code} " + " ".join(groups)


def verification_text(language: str, code: str) -> dict:
    """The content of the message carrying a one-time code: the code and what it is for, nothing else."""
    minutes = int(CODE_VALID.total_seconds() // 60)
    if language == "en":
        return {"subject": "Đồng Hành verification code",
                "text": f"Your Đồng Hành verification code is {code}. It is valid for {minutes} minutes.",
                "html": None}
    return {"subject": "Mã xác minh Đồng Hành",
            "text": f"Mã xác minh Đồng Hành của bạn là {code}, có hiệu lực trong {minutes} phút.",
            "html": None}
