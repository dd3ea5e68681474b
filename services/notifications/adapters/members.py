"""Where the member directory is kept: members' and units' records (event-sourced, listed by the top-level `unit`
FerretDB answers from its index), contact points (addresses sealed with the data key, found by `owner`), the
once-marks of verification tries and digests, and the digest's rendering."""
from __future__ import annotations

from datetime import date

from mongoengine import DateTimeField, Document, IntField, StringField
from mongoengine.errors import NotUniqueError

from shared import once as once_marks
from shared.clock import aware
from shared.crypto import FieldCipher
from shared.envelope import Actor
from shared.repository import EventSourcedRepository, SnapshotDocument, from_snapshot

from services.notifications.domain.members import LOCAL_TIME, Addressee, ContactPoint


class MemberSnapshot(SnapshotDocument):
    """A member's or a unit's record; `unit` is the top-level copy the audience is found by."""
    unit = StringField(required=True)
    kind = StringField(required=True)
    meta = {"collection": "member_snapshots", "indexes": ["unit"]}


class ContactPointDocument(Document):
    """`_id` derives from owner, kind and address (a keyed hash): an address is listed once per owner."""
    id = StringField(primary_key=True)
    owner = StringField(required=True)
    kind = StringField(required=True)
    address_sealed = StringField(required=True)
    created_at = DateTimeField(required=True)
    verified_at = DateTimeField()
    generation = StringField(required=True)
    code_hash = StringField()
    code_expires_at = DateTimeField()
    version = IntField(required=True)
    meta = {"collection": "contact_points", "auto_create_index": False, "indexes": ["owner"]}


MEMBER_DOCUMENTS = (MemberSnapshot, ContactPointDocument)


def member_list_fields(addressee: Addressee) -> dict:
    return {"unit": addressee.unit, "kind": addressee.kind}


class MemberRecords:
    """The `Members` port: the repository for single records, one indexed query for a unit's."""

    def __init__(self, repository: EventSourcedRepository | None = None):
        self.repository = repository or EventSourcedRepository("notifications", Addressee, MemberSnapshot,
                                                               list_fields=member_list_fields)

    def get(self, target: str) -> Addressee | None:
        return self.repository.get(target)

    def save(self, addressee: Addressee, actor: Actor) -> None:
        self.repository.save(addressee, actor)

    def of_unit(self, unit: str) -> list[Addressee]:
        return [from_snapshot(Addressee, s)
                for s in MemberSnapshot._get_collection().find({"unit": unit})]


class SealedContactPoints:
    """The `ContactPoints` port; an address opens only under its own point's id and owner."""

    def __init__(self, cipher: FieldCipher):
        self.cipher = cipher

    @staticmethod
    def _context(point_id: str, owner: str) -> str:
        return f"contact-point:{point_id}:{owner}"

    def add(self, point: ContactPoint) -> bool:
        try:
            self._document(point).save(force_insert=True)
            return True
        except NotUniqueError:
            return False

    def get(self, owner: str, point_id: str) -> ContactPoint | None:
        found = ContactPointDocument._get_collection().find_one({"_id": point_id})
        return self._point(found) if found and found["owner"] == owner else None

    def of_owners(self, owners: list[str]) -> list[ContactPoint]:
        query = {"owner": owners[0]} if len(owners) == 1 else {"owner": {"$in": list(owners)}}
        return [self._point(found) for found in ContactPointDocument._get_collection().find(query)]

    def save(self, point: ContactPoint) -> None:
        self._document(point).save()

    def remove(self, owner: str, point_id: str) -> bool:
        return ContactPointDocument._get_collection().delete_one({"_id": point_id, "owner": owner}).deleted_count == 1

    def _document(self, point: ContactPoint) -> ContactPointDocument:
        return ContactPointDocument(
            id=point.id, owner=point.owner, kind=point.kind,
            address_sealed=self.cipher.encrypt(point.address, self._context(point.id, point.owner)),
            created_at=point.created_at, verified_at=point.verified_at, generation=point.generation,
            code_hash=point.code_hash, code_expires_at=point.code_expires_at, version=point.version)

    def _point(self, found: dict) -> ContactPoint:
        moment = (lambda value: aware(value) if value else None)
        return ContactPoint(
            id=found["_id"], owner=found["owner"], kind=found["kind"],
            address=self.cipher.decrypt(found["address_sealed"], self._context(found["_id"], found["owner"])),
            created_at=aware(found["created_at"]), verified_at=moment(found.get("verified_at")),
            generation=found["generation"], code_hash=found.get("code_hash"),
            code_expires_at=moment(found.get("code_expires_at")), version=found["version"])


class OnceMarks:
    """The `Once` port over shared/once.py's unique inserts."""

    def claim(self, key: str) -> bool:
        return once_marks.claim(key, holder="notifications")

    def claimed(self, key: str) -> bool:
        return once_marks.is_claimed(key)


DIGEST_TEMPLATE = "digest"


class TemplateDigest:
    """The digest e-mail from the "digest" template of services/notifications/templates/default.yaml, each
    alert listed by its own e-mail subject (what an e-mail may name); a plain list where no template is there.
    `templates.for_rendering(id)` answers the current Template or None (the template store)."""

    def __init__(self, templates, renderer):
        self.templates, self.renderer = templates, renderer

    def content(self, language: str, unit: str, day: date, alerts: list) -> dict:
        items = [self._item(alert, language) for alert in alerts]
        template = self.templates.for_rendering(DIGEST_TEMPLATE)
        if template is not None:
            try:
                variant = self.renderer.render(template, "email", language,
                                               {"items": items, "unit_code": unit, "date": day})
                return {"subject": variant.subject, "text": variant.text, "html": variant.html}
            except Exception:  # noqa: BLE001 - a template that fails still leaves the plain list
                pass
        return plain_digest(language, unit, day, items)

    def _item(self, alert, language: str) -> dict:
        raised = alert.raised
        title = raised.category
        template = self.templates.for_rendering(raised.template or "")
        if template is not None:
            try:
                context = {**raised.facts, "raised_at": raised.raised_at, "urgent": raised.urgent,
                           "area_code": raised.area_code}
                title = self.renderer.render(template, "email", language, context).subject or title
            except Exception:  # noqa: BLE001 - an alert whose e-mail cannot render is listed by its category
                pass
        return {"title": title, "raised_at": raised.raised_at, "urgent": raised.urgent,
                "category_label": raised.category}


def plain_digest(language: str, unit: str, day: date, items: list[dict]) -> dict:
    heading = (f"Đồng Hành: daily digest for {unit}, {day.isoformat()}" if language == "en"
               else f"Đồng Hành: tin tổng hợp ngày {day.strftime('%d/%m/%Y')} của {unit}")
    lines = [f"- {_when(item['raised_at'])} {item['title']}" for item in items]
    return {"subject": heading, "text": "\n".join([heading, "", *lines]), "html": None}


def _when(moment) -> str:
    return moment.astimezone(LOCAL_TIME).strftime("%H:%M %d/%m") if moment else ""
