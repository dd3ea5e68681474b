"""Documents for `insert_many` built without mongoengine's document machinery, for writers that store hundreds a
second (routing a batch of alerts: building them as mongoengine documents took two thirds of its Python time)."""
from __future__ import annotations

import functools

from mongoengine import Document


def as_mongo(document_cls: type[Document], values: dict, as_is: frozenset[str] = frozenset()) -> dict:
    """What `document_cls(**values).to_mongo().to_dict()` stores: each field converted by its own `to_mongo`,
    absent or None ones given their defaults (as a document's attribute set to None is), a name that is no field
    refused as the document's constructor refuses it; fields named in `as_is` hold plain data already and are
    stored unconverted. tests/unit/test_documents.py holds them equal."""
    unknown = values.keys() - document_cls._fields.keys()
    if unknown:
        raise ValueError(f"{document_cls.__name__} has no fields {sorted(unknown)}")
    document = {}
    for name, field in _fields(document_cls):
        value = values.get(name)
        if value is None and field.null:
            document[field.db_field] = None
            continue
        if value is None:
            value = field.default() if callable(field.default) else field.default
        if value is not None:
            document[field.db_field] = value if name in as_is else field.to_mongo(value)
    return document


@functools.cache
def _fields(document_cls: type[Document]) -> tuple:
    return tuple(document_cls._fields.items())
