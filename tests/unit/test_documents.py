"""`as_mongo` stores what mongoengine's `to_mongo` would, for every snapshot collection of every service (as the
repositories call it) and for the other documents written through it: given each field, given none (their
defaults), and given None."""
import importlib
import pkgutil
from datetime import datetime, timezone

import pytest
from mongoengine import BooleanField, DateTimeField, DictField, IntField, ListField, StringField

import services
from services.notifications.adapters.deliveries import DisclosureDocument
from shared.documents import as_mongo
from shared.packed import packed
from shared.repository import SNAPSHOT_STATE, SnapshotDocument

STATE = {"name": "Nguyễn Văn Khánh", "stage": "aftercare", "steps": [{"at": "2026-06-01", "n": 2}], "open": True}
SAMPLES = {StringField: "Khánh Hòa", IntField: 7, BooleanField: True,
           DateTimeField: datetime(2026, 6, 1, 8, 30, tzinfo=timezone.utc), ListField: ["22366", "22333"],
           DictField: {"a": 1, "b": ["x"]}}


def snapshot_classes() -> list[type]:
    for module in pkgutil.walk_packages(services.__path__, "services."):
        if ".adapters." in module.name or module.name.endswith(".adapters"):
            importlib.import_module(module.name)
    found, stack = [], list(SnapshotDocument.__subclasses__())
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return sorted(found, key=lambda cls: cls.__name__)


def listed_fields(cls) -> dict:
    return {name: field for name, field in cls._fields.items() if name not in ("id", "version", "state")}


def sample(field):
    if field.choices:
        choice = field.choices[0]
        return choice[0] if isinstance(choice, (tuple, list)) else choice
    return SAMPLES[type(field)]


CLASSES = snapshot_classes()


def test_every_service_has_snapshot_collections():
    assert {cls.__module__.split(".")[1] for cls in CLASSES} >= {"plans", "cases", "notifications"}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_built_as_mongoengine_builds_it(cls):
    given = {name: sample(field) for name, field in listed_fields(cls).items()}
    for listed in (given, {}, {name: None for name in given}):
        expected = cls(id="a-1", version=3, state=STATE, **listed).to_mongo().to_dict()
        assert as_mongo(cls, {"id": "a-1", "version": 3, "state": packed(STATE), **listed}, SNAPSHOT_STATE) == expected


@pytest.mark.parametrize("cls", [DisclosureDocument], ids=lambda cls: cls.__name__)
def test_other_documents_built_as_mongoengine_builds_them(cls):
    given = {name: sample(field) for name, field in cls._fields.items()}
    for values in (given, {"id": "d-1"}, {name: None for name in given} | {"id": "d-1"}):
        assert as_mongo(cls, values) == cls(**values).to_mongo().to_dict(), values


def test_a_name_that_is_no_field_is_refused_as_the_document_refuses_it():
    with pytest.raises(ValueError, match="recipient"):
        as_mongo(DisclosureDocument, {"id": "d-1", "recipient": "CAX-22366"})

