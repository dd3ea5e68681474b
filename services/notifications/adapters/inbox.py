"""Each person's read state of their inbox's alerts: one document per person and alert they touched,
`_id = "<subject>:<alert id>"`, with `subject` a top-level indexed string so that every query about one person
(their read and archived alerts, their counts) is answered from the index, never by reading every document.

The alert's unit, area and subject type are copied in (they never change once the alert is raised), so the
counts apply the caller's scope without reading the alerts. The state is its owner's alone: the version check
before a write is read-then-write (FerretDB v1 updates are not atomic), which only a person racing themselves
could defeat; the first write is an insert, so two first writes cannot both win."""
from __future__ import annotations

from datetime import datetime

from mongoengine import DateTimeField, Document, IntField, StringField
from pymongo.errors import DuplicateKeyError

from shared.errors import ConcurrencyConflict

from services.notifications.domain.inbox import InboxScope, InboxState
from services.notifications.domain.model import Alert


class InboxStateDocument(Document):
    id = StringField(primary_key=True)
    subject = StringField(required=True)
    alert_id = StringField(required=True)
    state = StringField(required=True)
    version = IntField(required=True)
    changed_at = DateTimeField(required=True)
    unit = StringField(required=True)
    area_code = StringField()
    subject_type = StringField()
    meta = {"collection": "inbox_states", "auto_create_index": False, "indexes": ["subject"]}


DOCUMENTS = (InboxStateDocument,)


def state_id(subject: str, alert_id: str) -> str:
    return f"{subject}:{alert_id}"


class InboxStates:
    @staticmethod
    def _collection():
        return InboxStateDocument._get_collection()

    def of(self, subject: str, alert_id: str) -> InboxState:
        found = self._collection().find_one({"_id": state_id(subject, alert_id)}, {"state": 1, "version": 1})
        return (InboxState(subject, alert_id, found["state"], found["version"]) if found
                else InboxState(subject, alert_id))

    def of_many(self, subject: str, alert_ids: list[str]) -> dict[str, str]:
        if not alert_ids:
            return {}
        return {d["alert_id"]: d["state"] for d in self._collection().find(
            {"subject": subject, "alert_id": {"$in": list(alert_ids)}}, {"alert_id": 1, "state": 1})}

    def alert_ids(self, subject: str, scope: InboxScope, states: tuple[str, ...]) -> list[str]:
        return [d["alert_id"] for d in self._collection().find(
            {"subject": subject, "unit": scope.unit, "state": {"$in": list(states)}}, {"alert_id": 1})]

    def count(self, subject: str, scope: InboxScope, state: str) -> int:
        query = {"subject": subject, "unit": scope.unit, "state": state,
                 "area_code": {"$in": [None, *scope.area_codes]}}
        if scope.hidden_subject_types:
            query["subject_type"] = {"$nin": list(scope.hidden_subject_types)}
        return self._collection().count_documents(query)

    def put(self, current: InboxState, state: str, alert: Alert, at: datetime) -> InboxState:
        """Write the next version of `current`; ConcurrencyConflict if another first write got there first."""
        the_id, version = state_id(current.subject, current.alert_id), current.version + 1
        if current.version == 0:
            raised = alert.raised
            try:
                self._collection().insert_one({
                    "_id": the_id, "subject": current.subject, "alert_id": current.alert_id, "state": state,
                    "version": version, "changed_at": at, "unit": raised.recipient_unit,
                    "area_code": raised.area_code, "subject_type": raised.subject_type})
            except DuplicateKeyError:
                raise ConcurrencyConflict(the_id, current.version) from None
        else:
            self._collection().update_one({"_id": the_id},
                                          {"$set": {"state": state, "version": version, "changed_at": at}})
        return InboxState(current.subject, current.alert_id, state, version)
