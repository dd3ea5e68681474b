"""Where deliveries, their attempts, digest entries and disclosures are kept.

Concurrency by unique inserts (FerretDB v1 updates are not atomic): a delivery is stored once under its derived
id; an attempt is made only by the worker whose insert of `<delivery id>:<attempt>` succeeded; the outcome is
then written by that worker alone. Addresses are personal data and stored encrypted."""
from __future__ import annotations

from datetime import datetime, timedelta

from mongoengine import DateTimeField, DictField, Document, IntField, ListField, StringField
from mongoengine.errors import NotUniqueError

from shared.clock import aware
from shared.documents import as_mongo
from shared.crypto import FieldCipher
from shared.eventstore import insert_ignoring_duplicates
from shared.packed import unpacked

from services.notifications.adapters.documents import AlertSnapshot
from services.notifications.domain.deliveries import CANCELLED, FINISHED, QUEUED, SENT, VERIFICATION, Delivery
from services.notifications.service_layer.ports import Disclosure

CLAIM_LEASE = timedelta(minutes=2)
PURGE_BATCH = 500
"""Deliveries removed per `_id $in` (FerretDB answers up to 500 string ids from the index)."""
"""By default, an attempt claimed this long ago without an outcome is taken to have died with its worker: the next
attempt may be claimed (the receiver drops the copy by the delivery's id, should the first one have gone out).
DELIVERY_CLAIM_LEASE_SECONDS sets it; it must outlast a channel's timeout."""


class DeliveryDocument(Document):
    id = StringField(primary_key=True)
    channel = StringField(required=True)
    target = StringField(required=True)
    address_sealed = StringField(required=True)
    language = StringField(required=True)
    purpose = StringField(required=True)
    not_before = DateTimeField(required=True)
    created_at = DateTimeField(required=True)
    alert_ids = ListField(StringField())
    subject_type = StringField()
    subject_id = StringField()
    group_key = StringField()
    rule_id = StringField()
    content = DictField()
    status = StringField(required=True)
    attempts = IntField(default=0)
    next_attempt_at = DateTimeField()
    last_answer = StringField()
    sent_at = DateTimeField()
    alert_id = StringField()
    unit = StringField()
    round_start = IntField(default=0)
    meta = {"collection": "deliveries", "auto_create_index": False, "indexes": ["status", "alert_id"]}


class AttemptDocument(Document):
    """`_id` is "<delivery id>:<attempt number>"; inserted before the attempt is made."""
    id = StringField(primary_key=True)
    delivery_id = StringField(required=True)
    number = IntField(required=True)
    worker = StringField()
    claimed_at = DateTimeField(required=True)
    outcome = StringField()
    answer = StringField()
    finished_at = DateTimeField()
    meta = {"collection": "delivery_attempts", "auto_create_index": False, "indexes": ["delivery_id"]}


class DigestEntryDocument(Document):
    """`_id` is "<target>:<alert id>": an alert enters a person's digest once."""
    id = StringField(primary_key=True)
    target = StringField(required=True)
    alert_id = StringField(required=True)
    language = StringField(required=True)
    address_sealed = StringField(required=True)
    added_at = DateTimeField(required=True)
    status = StringField(required=True)
    meta = {"collection": "digest_entries", "auto_create_index": False, "indexes": ["target", "status"]}


class DisclosureDocument(Document):
    """The accounting of disclosures: `_id` derives from the alert and the addressee, so a retried delivery is
    one disclosure."""
    id = StringField(primary_key=True)
    case_id = StringField(required=True)
    to = StringField(required=True)
    channel = StringField(required=True)
    rule_id = StringField()
    alert_id = StringField(required=True)
    delivery_id = StringField()
    at = DateTimeField(required=True)
    meta = {"collection": "disclosures", "auto_create_index": False, "indexes": ["case_id"]}


DOCUMENTS = (DeliveryDocument, AttemptDocument, DigestEntryDocument, DisclosureDocument)


def _insert(document: Document) -> bool:
    try:
        document.save(force_insert=True)
        return True
    except NotUniqueError:
        return False


class DeliveryStore:
    def __init__(self, cipher: FieldCipher, claim_lease: timedelta = CLAIM_LEASE):
        self.cipher, self.claim_lease = cipher, claim_lease

    def add(self, deliveries: list[Delivery]) -> None:
        insert_ignoring_duplicates(DeliveryDocument._get_collection(),
                                   [self._document(delivery).to_mongo().to_dict() for delivery in deliveries])

    def add_to_digest(self, target: str, alert_id: str, language: str, address: str, at: datetime) -> None:
        entry_id = f"{target}:{alert_id}"
        _insert(DigestEntryDocument(id=entry_id, target=target, alert_id=alert_id, language=language,
                                    address_sealed=self.cipher.encrypt(address, f"digest:{entry_id}"),
                                    added_at=at, status=QUEUED))

    def digest_entries(self, target: str) -> list[dict]:
        """The target's entries not sent in a digest yet, oldest first, with their addresses opened."""
        entries = DigestEntryDocument.objects(target=target, status=QUEUED).order_by("added_at")
        return [{"id": e.id, "alert_id": e.alert_id, "language": e.language, "added_at": aware(e.added_at),
                 "address": self.cipher.decrypt(e.address_sealed, f"digest:{e.id}")} for e in entries]

    def digest_targets(self) -> list[str]:
        return sorted({e["target"] for e in DigestEntryDocument._get_collection().find({"status": QUEUED},
                                                                                       {"target": 1})})

    def mark_digested(self, entry_ids: list[str]) -> None:
        """Filtered on the indexed `target` and `status` too: `_id $in` alone is answered from the index only by our
        patched FerretDB on SQLite."""
        targets = sorted({entry_id.rpartition(":")[0] for entry_id in entry_ids})
        if targets:
            DigestEntryDocument.objects(target__in=targets, status=QUEUED, id__in=entry_ids).update(
                set__status=SENT)

    def cancel_for(self, alert_id: str) -> int:
        cancelled = 0
        for document in DeliveryDocument.objects(alert_id=alert_id, status=QUEUED):
            document.update(set__status=CANCELLED)
            cancelled += 1
        return cancelled

    def purge_finished(self, created_before: datetime) -> int:
        finished = [d["_id"] for d in DeliveryDocument._get_collection().find(
            {"status": {"$in": list(FINISHED)}, "created_at": {"$lt": created_before}}, {"_id": 1})]
        for start in range(0, len(finished), PURGE_BATCH):
            ids = finished[start:start + PURGE_BATCH]
            AttemptDocument._get_collection().delete_many({"delivery_id": {"$in": ids}})
            DeliveryDocument._get_collection().delete_many({"_id": {"$in": ids}})
        DigestEntryDocument._get_collection().delete_many({"status": SENT, "added_at": {"$lt": created_before}})
        return len(finished)

    def queued(self, now: datetime | None = None) -> list[Delivery]:
        """The queued deliveries (those due at `now` when given): only those are decrypted, not the ones held
        for quiet hours or backoff, read again at every poll."""
        documents = DeliveryDocument.objects(status=QUEUED)
        return [self._delivery(d) for d in documents if now is None or _due(d, now)]

    def every_with_status(self, status: str) -> list[Delivery]:
        """Newest first; the caller narrows them (by the reader's areas) before paging."""
        return [self._delivery(d) for d in DeliveryDocument.objects(status=status).order_by("-created_at", "id")]

    def get(self, the_id: str) -> Delivery | None:
        document = DeliveryDocument.objects(id=the_id).first()
        return self._delivery(document) if document else None

    def claim_attempt(self, delivery: Delivery, worker: str, now: datetime) -> bool:
        """Whether this worker may make the delivery's next attempt; `delivery.attempts` is then its number.
        `delivery` may be stale: another worker may have finished the attempt it counts since it was read (sent,
        parked, or put off by backoff), so once that attempt has an outcome the delivery is read again."""
        number = delivery.attempts + 1
        last = AttemptDocument.objects(id=f"{delivery.id}:{delivery.attempts}").first() if delivery.attempts else None
        if last is not None and last.outcome is None and aware(last.claimed_at) + self.claim_lease > now:
            return False
        if last is not None and last.outcome is not None and not self._still_due(delivery, now):
            return False
        if not _insert(AttemptDocument(id=f"{delivery.id}:{number}", delivery_id=delivery.id, number=number,
                                       worker=worker, claimed_at=now)):
            self._catch_up(delivery.id, number, now)
            return False
        delivery.attempts = number
        DeliveryDocument.objects(id=delivery.id).update(set__attempts=number)
        return True

    def _catch_up(self, the_id: str, number: int, now: datetime) -> None:
        """The attempt `number` exists but the delivery may not count it (its worker died between the two
        writes): once that attempt has an outcome or its lease ran out, the delivery counts it, so the next claim
        is of the attempt after it."""
        attempt = AttemptDocument.objects(id=f"{the_id}:{number}").first()
        if attempt is None:
            return
        if attempt.outcome is not None or aware(attempt.claimed_at) + self.claim_lease <= now:
            DeliveryDocument.objects(id=the_id, attempts__lt=number).update(set__attempts=number)

    def _still_due(self, delivery: Delivery, now: datetime) -> bool:
        fresh = DeliveryDocument.objects(id=delivery.id).only("status", "attempts", "next_attempt_at").first()
        return (fresh is not None and fresh.status == QUEUED and fresh.attempts == delivery.attempts
                and (fresh.next_attempt_at is None or aware(fresh.next_attempt_at) <= now))

    def record_outcome(self, delivery: Delivery, outcome, now: datetime) -> None:
        """The delivery first, then its attempt: whoever sees the attempt finished reads the delivery as it left
        it (`claim_attempt`)."""
        cleared = {"set__content": {}} if delivery.purpose == VERIFICATION and delivery.finished else {}
        if cleared:
            delivery.content = {}
        DeliveryDocument.objects(id=delivery.id).update(
            set__status=delivery.status, set__next_attempt_at=delivery.next_attempt_at,
            set__last_answer=delivery.last_answer, set__sent_at=delivery.sent_at, **cleared)
        AttemptDocument.objects(id=f"{delivery.id}:{delivery.attempts}").update(
            set__outcome=outcome.status, set__answer=outcome.answer[:500], set__finished_at=now)

    def attempts(self, delivery_id: str) -> list[dict]:
        return [{"number": a.number, "claimed_at": aware(a.claimed_at), "outcome": a.outcome, "answer": a.answer,
                 "finished_at": aware(a.finished_at) if a.finished_at else None}
                for a in AttemptDocument.objects(delivery_id=delivery_id).order_by("number")]

    def with_status(self, status: str, first: int, limit: int) -> tuple[list[Delivery], int]:
        query = DeliveryDocument.objects(status=status).order_by("-created_at", "id")
        return [self._delivery(d) for d in query.skip(first).limit(limit)], query.count()

    def requeue(self, delivery: Delivery, now: datetime) -> None:
        """A parked delivery sent again by a person: a fresh round of attempts after the ones made."""
        DeliveryDocument.objects(id=delivery.id).update(set__status=QUEUED, set__next_attempt_at=now,
                                                         set__not_before=min(delivery.not_before, now),
                                                         set__round_start=delivery.attempts)

    def _document(self, delivery: Delivery) -> DeliveryDocument:
        fields = {k: v for k, v in vars(delivery).items() if k != "address"}
        return DeliveryDocument(**fields, address_sealed=self.cipher.encrypt(delivery.address,
                                                                             f"delivery:{delivery.id}"),
                                alert_id=delivery.alert_ids[0] if delivery.alert_ids else None)

    def _delivery(self, document: DeliveryDocument) -> Delivery:
        return Delivery(
            id=document.id, channel=document.channel, target=document.target,
            address=self.cipher.decrypt(document.address_sealed, f"delivery:{document.id}"),
            language=document.language, purpose=document.purpose, not_before=aware(document.not_before),
            created_at=aware(document.created_at), alert_ids=list(document.alert_ids),
            subject_type=document.subject_type, subject_id=document.subject_id, group_key=document.group_key,
            rule_id=document.rule_id, content=dict(document.content) if document.content else None,
            status=document.status, attempts=document.attempts,
            next_attempt_at=aware(document.next_attempt_at) if document.next_attempt_at else None,
            last_answer=document.last_answer, sent_at=aware(document.sent_at) if document.sent_at else None,
            unit=document.unit, round_start=document.round_start or 0)


def _due(document: DeliveryDocument, now: datetime) -> bool:
    return (aware(document.not_before) <= now
            and (document.next_attempt_at is None or aware(document.next_attempt_at) <= now))


class DisclosureLog:
    def record(self, case_id: str, to: str, channel: str, rule_id: str | None, alert_id: str,
               delivery_id: str | None, at: datetime) -> None:
        self.record_many([Disclosure(case_id, to, channel, rule_id, alert_id, delivery_id, at)])

    def record_many(self, disclosures: list[Disclosure]) -> None:
        insert_ignoring_duplicates(DisclosureDocument._get_collection(), [
            as_mongo(DisclosureDocument, {"id": f"{d.alert_id}:{d.channel}:{d.to}", "case_id": d.case_id, "to": d.to,
                                          "channel": d.channel, "rule_id": d.rule_id, "alert_id": d.alert_id,
                                          "delivery_id": d.delivery_id, "at": d.at}) for d in disclosures])

    def for_case(self, case_id: str, first: int, limit: int) -> tuple[list[dict], int]:
        """Oldest first. The in-app disclosures are the alerts raised about the case themselves, each shown in its
        unit's inbox from the moment it was raised (`in_app_disclosures`); the log holds the others, and the in-app
        ones recorded before that, under the same ids."""
        listed = {d.id: {"case_id": d.case_id, "to": d.to, "channel": d.channel, "rule_id": d.rule_id,
                         "alert_id": d.alert_id, "delivery_id": d.delivery_id, "at": aware(d.at)}
                  for d in DisclosureDocument.objects(case_id=case_id)}
        for entry_id, entry in in_app_disclosures(case_id):
            listed.setdefault(entry_id, entry)
        ordered = [entry for _, entry in sorted(listed.items(), key=lambda item: (item[1]["at"], item[0]))]
        return ordered[first:first + limit], len(ordered)


def in_app_disclosures(case_id: str) -> list[tuple[str, dict]]:
    """The alerts about the case, as the disclosures to their units' inboxes (by `subject_id`, indexed)."""
    return [(f"{s['_id']}:in_app:unit:{s['recipient_unit']}",
             {"case_id": case_id, "to": f"unit:{s['recipient_unit']}", "channel": "in_app",
              "rule_id": unpacked(s["state"])["raised"].get("rule_id"), "alert_id": s["_id"], "delivery_id": None,
              "at": aware(s["raised_at"])})
            for s in AlertSnapshot._get_collection().find({"subject_id": case_id},
                                                          {"recipient_unit": 1, "subject_type": 1, "raised_at": 1,
                                                           "state": 1})
            if s.get("subject_type") == "case"]
