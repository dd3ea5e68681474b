"""Agency systems' webhook endpoints: where an agency's alerts are posted, and the secrets they are signed with
(sealed at rest; during a rotation the old secret signs too until it expires, so the receiver can switch)."""
from __future__ import annotations

from datetime import datetime

from mongoengine import DateTimeField, DictField, Document, IntField, ListField, StringField

from shared import once
from shared.clock import aware
from shared.crypto import FieldCipher

from services.notifications.service_layer.ports import Endpoint

ACTIVE, DISABLED = "active", "disabled"


class EndpointDocument(Document):
    id = StringField(primary_key=True)
    unit_code = StringField(required=True)
    name = StringField(required=True)
    url = StringField(required=True)
    secrets = ListField(DictField())
    status = StringField(required=True)
    disabled_reason = StringField()
    created_at = DateTimeField(required=True)
    version = IntField(required=True)
    meta = {"collection": "endpoints", "auto_create_index": False, "indexes": ["unit_code"]}


ENDPOINT_DOCUMENTS = (EndpointDocument,)


class WebhookEndpoints:
    """`clock()` answers now, to drop secrets whose rotation grace has passed."""

    def __init__(self, cipher: FieldCipher, clock):
        self.cipher, self.clock = cipher, clock

    def named(self, endpoint_ids) -> list[Endpoint]:
        found = [EndpointDocument.objects(id=the_id).first() for the_id in endpoint_ids]
        return [self._endpoint(document) for document in found if document is not None]

    def ids(self) -> set[str]:
        return {d["_id"] for d in EndpointDocument._get_collection().find({}, {"_id": 1})}

    def document(self, endpoint_id: str) -> EndpointDocument | None:
        return EndpointDocument.objects(id=endpoint_id).first()

    def of_unit(self, unit_code: str) -> list[EndpointDocument]:
        return list(EndpointDocument.objects(unit_code=unit_code).order_by("created_at"))

    def create(self, endpoint_id: str, unit_code: str, name: str, url: str, secret: str, now: datetime) -> None:
        EndpointDocument(id=endpoint_id, unit_code=unit_code, name=name, url=url,
                         secrets=[self._sealed(endpoint_id, secret, now, None)], status=ACTIVE, created_at=now,
                         version=1).save(force_insert=True)

    def change(self, document: EndpointDocument, **fields) -> bool:
        """Write `fields` only if nobody changed the endpoint since `document` was read (answers whether it was
        written): the next version is claimed by a unique insert first, as FerretDB's updates are not atomic."""
        if not once.claim(f"endpoint:{document.id}:{document.version + 1}"):
            return False
        EndpointDocument.objects(id=document.id).update(
            **{f"set__{name}": value for name, value in fields.items()}, set__version=document.version + 1)
        return True

    def rotated_secrets(self, document: EndpointDocument, secret: str, now: datetime,
                        old_expires_at: datetime) -> list[dict]:
        kept = [{**s, "expires_at": s.get("expires_at") or old_expires_at} for s in document.secrets
                if not s.get("expires_at") or aware(s["expires_at"]) > now]
        return [self._sealed(document.id, secret, now, None), *kept]

    def disable(self, endpoint_id: str, reason: str) -> None:
        document = self.document(endpoint_id)
        if document is not None and document.status == ACTIVE:
            self.change(document, status=DISABLED, disabled_reason=reason[:300])

    def _sealed(self, endpoint_id: str, secret: str, now: datetime, expires_at) -> dict:
        return {"sealed": self.cipher.encrypt(secret, f"endpoint:{endpoint_id}:secret"), "created_at": now,
                "expires_at": expires_at}

    def _endpoint(self, document: EndpointDocument) -> Endpoint:
        now = self.clock()
        secrets = tuple(self.cipher.decrypt(s["sealed"], f"endpoint:{document.id}:secret") for s in document.secrets
                        if not s.get("expires_at") or aware(s["expires_at"]) > now)
        return Endpoint(document.id, document.unit_code, document.url, secrets, document.status == ACTIVE)
