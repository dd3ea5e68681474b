"""The member directory's use cases: members and units keep their own settings, contact points are added,
verified by a one-time code and removed, the routing pipeline asks who is reached (`MemberAudience`), and the
worker sends each addressee's daily digest once."""
from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from shared import areas
from shared.audit_changes import audited_change
from shared.clock import Clock
from shared.envelope import Actor
from shared.errors import Conflict, InvalidInput, NotAuthorised, NotFound, expect_version
from shared.ports import AuditTrail
from shared.refusals import domain_refusals

from services.notifications.domain import addresses
from services.notifications.domain.access import CASE_SUBJECTS
from services.notifications.domain.commands import (AddContactPoint, RemoveContactPoint, SendDigests, SetMember,
                                                    SetMyMembership, SetUnitSettings, VerifyContactPoint)
from services.notifications.domain.deliveries import DIGEST, VERIFICATION, Delivery, Reach, delivery_id
from services.notifications.domain.members import (ADMIN, CODE_DIGITS, CODE_TRIES, CODE_VALID, CONTACT_KINDS, EMAIL,
                                                   MEMBER, UNIT, Addressee, ContactPoint, MemberSettings, local_date,
                                                   member_target, unit_target, verification_text)
from services.notifications.domain.queries import (ListContactPoints, ListMembers, ReadMember, ReadMyMembership,
                                                   ReadUnitSettings)
from services.notifications.service_layer.ports import DeliveryQueue, Disclosure, Disclosures, UnitDirectory
from services.roles import ROLES


class Members(Protocol):
    """Members and units' own records (an event-sourced repository of `Addressee`, plus the list by unit)."""

    def get(self, target: str) -> Addressee | None: ...

    def save(self, addressee: Addressee, actor: Actor) -> None: ...

    def of_unit(self, unit: str) -> list[Addressee]:
        """Every record whose unit is `unit` (its members and the unit's own), by one indexed query."""


class ContactPoints(Protocol):
    def add(self, point: ContactPoint) -> bool:
        """False when the owner has this address already."""

    def get(self, owner: str, point_id: str) -> ContactPoint | None: ...

    def of_owners(self, owners: list[str]) -> list[ContactPoint]: ...

    def save(self, point: ContactPoint) -> None: ...

    def remove(self, owner: str, point_id: str) -> bool: ...


class Once(Protocol):
    def claim(self, key: str) -> bool:
        """True for the one caller whose claim of `key` succeeded."""

    def claimed(self, key: str) -> bool: ...


class DigestBook(DeliveryQueue, Protocol):
    """The delivery queue's digest entries (services/notifications/adapters/deliveries.py)."""

    def digest_targets(self) -> list[str]: ...

    def digest_entries(self, target: str) -> list[dict]: ...

    def mark_digested(self, entry_ids: list[str]) -> None: ...


class DigestRenderer(Protocol):
    def content(self, language: str, unit: str, day, alerts: list) -> dict:
        """The digest e-mail ({subject, text, html}) listing `alerts` (notifications' Alert aggregates)."""


class Hasher(Protocol):
    def lookup_hash(self, value: str, purpose: str) -> str: ...


def _actor(principal) -> Actor:
    return Actor.of(principal) if principal is not None else Actor.system("notifications")


def administers(principal, unit: str, directory: UnitDirectory) -> bool:
    """An admin manages the units whose areas lie within the admin's own."""
    if principal is None or not principal.has_role(ADMIN):
        return False
    entry = next(iter(directory.named([unit])), None)
    return entry is not None and any(areas.covers(mine, covered) for mine in principal.areas
                                     for covered in entry.covers)


def heads(principal, unit: str, members: Members) -> bool:
    if principal is None or principal.unit != unit:
        return False
    me = members.get(member_target(principal.subject))
    return me is not None and me.head and me.unit == unit


def _checked(settings: MemberSettings, known_categories: Callable[[], set[str]]) -> MemberSettings:
    with domain_refusals():
        return settings.check(known_categories())


def _saved(addressee: Addressee, principal, unit: str, roles, head: bool, settings: MemberSettings,
           members: Members) -> Addressee:
    addressee.record_as(principal.subject, unit, list(roles), head, settings)
    members.save(addressee, _actor(principal))
    return addressee


# Members

def read_my_membership(query: ReadMyMembership, principal, members: Members) -> Addressee:
    found = members.get(member_target(principal.subject))
    if found is None:
        raise NotFound("you are not a member yet: PUT your settings to /members/me")
    return found


def set_my_membership(command: SetMyMembership, principal, members: Members,
                      known_categories: Callable[[], set[str]]) -> tuple[Addressee, bool]:
    """Answers the record and whether it is new."""
    if not principal.unit:
        raise NotAuthorised("your token names no unit; a member belongs to one")
    settings = _checked(command.settings, known_categories)
    current = members.get(member_target(principal.subject))
    expect_version(current.version if current else 0, command.expected_version)
    addressee = current or Addressee(member_target(principal.subject), kind=MEMBER)
    head = current.head and current.unit == principal.unit if current else False
    return _saved(addressee, principal, principal.unit, principal.roles, head, settings, members), current is None


def list_members(query: ListMembers, principal, members: Members,
                 directory: UnitDirectory) -> tuple[list[Addressee], int]:
    if not administers(principal, query.unit, directory):
        raise NotAuthorised("only an admin of the unit's areas lists its members")
    found = sorted((a for a in members.of_unit(query.unit) if a.kind == MEMBER), key=lambda a: a.id)
    return found[query.first:query.first + query.limit], len(found)


def read_member(query: ReadMember, principal, members: Members, directory: UnitDirectory) -> Addressee:
    found = members.get(member_target(query.subject))
    if found is None or not administers(principal, found.unit, directory):
        raise NotFound(f"no member {query.subject} in your areas")
    return found


def set_member(command: SetMember, principal, members: Members, directory: UnitDirectory,
               known_categories: Callable[[], set[str]]) -> tuple[Addressee, bool]:
    if principal is None or not principal.has_role(ADMIN):
        raise NotAuthorised("only an admin sets another member's unit, roles or head")
    current = members.get(member_target(command.subject))
    if current is not None and not administers(principal, current.unit, directory):
        raise NotFound(f"no member {command.subject} in your areas")
    if not directory.named([command.unit]):
        raise InvalidInput.field("unit", "not a unit this service knows")
    if not administers(principal, command.unit, directory):
        raise NotAuthorised("the unit lies outside your areas")
    unknown = [r for r in command.roles if r not in ROLES]
    if unknown:
        raise InvalidInput.field("roles", f"unknown role {unknown[0]!r}")
    settings = _checked(command.settings, known_categories)
    expect_version(current.version if current else 0, command.expected_version)
    addressee = current or Addressee(member_target(command.subject), kind=MEMBER)
    return _saved(addressee, principal, command.unit, command.roles, command.head, settings, members), \
        current is None


# A unit's own settings

def _unit_keeper(principal, unit: str, members: Members, directory: UnitDirectory) -> None:
    if not (administers(principal, unit, directory) or heads(principal, unit, members)):
        raise NotAuthorised("only an admin of the unit's areas or the unit's head manages its contact points")


def read_unit_settings(query: ReadUnitSettings, principal, members: Members, directory: UnitDirectory) -> Addressee:
    _unit_keeper(principal, query.unit, members, directory)
    return members.get(unit_target(query.unit)) or Addressee(unit_target(query.unit), kind=UNIT, unit=query.unit)


def set_unit_settings(command: SetUnitSettings, principal, members: Members, directory: UnitDirectory,
                      known_categories: Callable[[], set[str]]) -> tuple[Addressee, bool]:
    _unit_keeper(principal, command.unit, members, directory)
    settings = _checked(command.settings, known_categories)
    current = members.get(unit_target(command.unit))
    expect_version(current.version if current else 0, command.expected_version)
    addressee = current or Addressee(unit_target(command.unit), kind=UNIT)
    return _saved(addressee, principal, command.unit, (), False, settings, members), current is None


# Contact points

def _owner(owner: str, principal, members: Members, directory: UnitDirectory) -> str:
    if owner == "me":
        return member_target(principal.subject)
    _unit_keeper(principal, owner.split(":", 1)[1], members, directory)
    return owner


def _address(kind: str, address: str) -> str:
    if kind not in CONTACT_KINDS:
        raise InvalidInput.field("kind", f"one of {', '.join(CONTACT_KINDS)}")
    with domain_refusals():
        return addresses.check_email("address", address) if kind == EMAIL else \
            addresses.normalise_phone("address", address)


def _language_of(owner: str, members: Members) -> str:
    found = members.get(owner)
    return found.settings.language if found else "vi"


CONTACT = ("contact",)
"""Contact points are people's phone numbers and e-mail addresses: every read and change is audited against their
owner ("member:<subject>" or "unit:<code>")."""


def add_contact_point(command: AddContactPoint, principal, members: Members, directory: UnitDirectory,
                      contact_points: ContactPoints, delivery_queue: DeliveryQueue, cipher: Hasher,
                      clock: Clock, audit: AuditTrail) -> ContactPoint:
    """Stored unverified; its one-time code goes out through the point itself, and only the code's keyed hash
    is kept."""
    owner = _owner(command.owner, principal, members, directory)
    address = _address(command.kind, command.address)
    now, code = clock.now(), f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    point_id = cipher.lookup_hash(f"{owner}:{command.kind}:{address}", "contact-point")[:24]
    point = ContactPoint(id=point_id, owner=owner, kind=command.kind, address=address, created_at=now,
                         generation=uuid.uuid4().hex, code_expires_at=now + CODE_VALID)
    point.code_hash = _code_hash(cipher, point, code)
    with audited_change(audit, principal, "add_contact_point", "contact_point", owner, CONTACT, command.kind):
        if not contact_points.add(point):
            raise Conflict("this address is listed already", errors={"address": ["listed already"]})
    language = _language_of(owner, members)
    delivery_queue.add([Delivery(
        id=delivery_id(VERIFICATION, point.id, point.generation), channel=point.kind, target=owner,
        address=address, language=language, purpose=VERIFICATION, not_before=now, created_at=now,
        content=verification_text(language, code), unit=_delivering_unit(owner, principal))])
    return point


def _delivering_unit(owner: str, principal) -> str | None:
    """The unit whose area's admins read the verification delivery (as every delivery of a unit): the unit's own
    point, or the caller's unit for a point of their own."""
    kind, _, name = owner.partition(":")
    return name if kind == UNIT else principal.unit


def _code_hash(cipher: Hasher, point: ContactPoint, code: str) -> str:
    return cipher.lookup_hash(f"{point.id}:{point.generation}:{code}", "verification-code")


def list_contact_points(query: ListContactPoints, principal, members: Members, directory: UnitDirectory,
                        contact_points: ContactPoints, audit: AuditTrail) -> list[ContactPoint]:
    owner = _owner(query.owner, principal, members, directory)
    points = sorted(contact_points.of_owners([owner]), key=lambda p: (p.created_at, p.id))
    audit.record(principal, "read", "contact_point", owner, CONTACT)
    return points


def _point(owner: str, point_id: str, contact_points: ContactPoints) -> ContactPoint:
    point = contact_points.get(owner, point_id)
    if point is None:
        raise NotFound(f"no contact point {point_id}")
    return point


def remove_contact_point(command: RemoveContactPoint, principal, members: Members, directory: UnitDirectory,
                         contact_points: ContactPoints, audit: AuditTrail) -> None:
    owner = _owner(command.owner, principal, members, directory)
    _point(owner, command.contact_point_id, contact_points)
    with audited_change(audit, principal, "remove_contact_point", "contact_point", owner, CONTACT):
        if not contact_points.remove(owner, command.contact_point_id):
            raise NotFound(f"no contact point {command.contact_point_id}")


def verify_contact_point(command: VerifyContactPoint, principal, members: Members, directory: UnitDirectory,
                         contact_points: ContactPoints, once: Once, cipher: Hasher, clock: Clock,
                         audit: AuditTrail) -> ContactPoint:
    """At most CODE_TRIES tries per code, each claimed once so that parallel guesses count too."""
    owner = _owner(command.owner, principal, members, directory)
    point = _point(owner, command.contact_point_id, contact_points)
    if point.verified:
        raise Conflict("this contact point is verified already")
    expect_version(point.version, command.expected_version)
    if not any(once.claim(f"contact-point-try:{point.id}:{point.generation}:{n}") for n in range(1, CODE_TRIES + 1)):
        raise Conflict(f"{CODE_TRIES} wrong codes: remove the contact point and add it again for a new code")
    now = clock.now()
    with domain_refusals():
        point.check_code(_code_hash(cipher, point, command.code.strip()), now)
    point.verify(now)
    with audited_change(audit, principal, "verify_contact_point", "contact_point", owner, CONTACT):
        contact_points.save(point)
    return point


# Who is reached

class MemberAudience:
    """The routing pipeline's `Audience`: a unit's members and its own record by one indexed query, their
    verified contact points of the channel by one more."""

    def __init__(self, members: Members, contact_points: ContactPoints):
        self.members, self.contact_points = members, contact_points

    def reach(self, unit: str, roles: tuple[str, ...], heads_only: bool, category: str, channel: str,
              urgent: bool, now: datetime) -> list[Reach]:
        records = {a.id: a for a in self.members.of_unit(unit) if a.unit == unit and a.reached(roles, heads_only)}
        owners = list(records)
        if not heads_only and unit_target(unit) not in records:
            owners.append(unit_target(unit))
        if not owners:
            return []
        reached = []
        for point in self.contact_points.of_owners(owners):
            if point.kind != channel or not point.verified:
                continue
            record = records.get(point.owner)
            settings = record.settings if record else MemberSettings()
            decision = settings.decide(category, channel, urgent, now)
            if decision is not None:
                reached.append(Reach(target=point.owner, address=point.address, language=settings.language,
                                     send_at=decision.send_at, digest=decision.digest))
        return sorted(reached, key=lambda r: (r.target, r.address))


# The daily digest

def send_digests(command: SendDigests, principal, members: Members, delivery_queue: DigestBook, once: Once,
                 digest_renderer: DigestRenderer, alerts, disclosures: Disclosures, clock: Clock) -> int:
    """For each addressee with entries waiting whose digest time has come today: one e-mail per address,
    queued once (the day's claim), its entries marked sent only once it is queued. Answers how many. A digest
    naming a case is a disclosure of it to the addressee, recorded per case alert it carries."""
    now, sent = clock.now(), 0
    day = local_date(now)
    for target in delivery_queue.digest_targets():
        record = members.get(target)
        settings = record.settings if record else MemberSettings()
        key = f"digest:{target}:{day.isoformat()}"
        if not settings.digest_due(now) or once.claimed(key):
            continue
        entries = delivery_queue.digest_entries(target)
        if not entries or not once.claim(key):
            continue
        by_address: dict[str, list[dict]] = {}
        for entry in entries:
            by_address.setdefault(entry["address"], []).append(entry)
        unit = record.unit if record else target.split(":", 1)[1]
        batch, disclosed = [], []
        for address, gathered in by_address.items():
            found = [a for a in (alerts.get(e["alert_id"]) for e in gathered) if a is not None]
            batch.append(Delivery(
                id=delivery_id(DIGEST, target, day.isoformat(), address), channel=EMAIL, target=target,
                address=address, language=settings.language, purpose=DIGEST, not_before=now, created_at=now,
                alert_ids=[e["alert_id"] for e in gathered],
                content=digest_renderer.content(settings.language, unit, day, found)))
            disclosed += _disclosed(batch[-1], found, now)
        delivery_queue.add(batch)
        disclosures.record_many(disclosed)
        delivery_queue.mark_digested([e["id"] for e in entries])
        sent += len(batch)
    return sent


def _disclosed(digest: Delivery, found: list, now: datetime) -> list[Disclosure]:
    return [Disclosure(alert.raised.subject_id, digest.target, EMAIL, alert.raised.rule_id, alert.id, digest.id, now)
            for alert in found if alert.raised.subject_type in CASE_SUBJECTS]


HANDLERS = {ReadMyMembership: read_my_membership, SetMyMembership: set_my_membership, ListMembers: list_members,
            ReadMember: read_member, SetMember: set_member, ReadUnitSettings: read_unit_settings,
            SetUnitSettings: set_unit_settings, AddContactPoint: add_contact_point,
            ListContactPoints: list_contact_points, RemoveContactPoint: remove_contact_point,
            VerifyContactPoint: verify_contact_point, SendDigests: send_digests}
