"""The one shape of every error answer: RFC 9457 `application/problem+json`.

The document is built without Flask, so the gunicorn worker (shared/gunicorn_worker.py) answers the errors it raises
itself exactly as the applications do (`problem` wraps it in a Flask response), and documented here, so the OpenAPI
documents describe what is really sent.
"""
from __future__ import annotations

import json

from flask import jsonify
from marshmallow import INCLUDE, Schema, fields

PROBLEM = "application/problem+json"


def problem_document(status: int, title: str, detail: str | None = None, errors: dict | None = None,
                     **extra) -> dict:
    """`type` is always about:blank: the status and its title say what went wrong, `errors` names the fields."""
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def problem(status: int, title: str, detail: str | None = None, errors: dict | None = None, **extra):
    """The problem as the answer of a Flask request."""
    response = jsonify(problem_document(status, title, detail, errors, **extra))
    response.status_code = status
    response.mimetype = PROBLEM
    return response


def problem_bytes(status: int, title: str, detail: str | None = None) -> bytes:
    """ASCII JSON, safe in any HTTP/1.1 framing (gunicorn writes its own answers as latin-1)."""
    return json.dumps(problem_document(status, title, detail), ensure_ascii=True).encode("ascii")


class ProblemSchema(Schema):
    """What every error answer carries; only documents it (problem_document builds the bodies).

    Extra members are allowed: a problem may add its own, like `allowed`, `duplicate_of` or `current_version`."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True, metadata={"description": "always about:blank: the status says it all",
                                                   "example": "about:blank"})
    title = fields.String(required=True, metadata={"description": "the HTTP status phrase or the error's name"})
    status = fields.Integer(required=True, metadata={"description": "the HTTP status code"})
    detail = fields.String(required=True,
                           metadata={"description": "what went wrong with this request, for people"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "messages per field, by its path: `person.birth_date`, "
                                                  "a query parameter's or a header's name, `_body` for the body"})
    allowed = fields.List(fields.String(), metadata={"description": "409 on a workflow step: the steps allowed "
                                                                    "from the current stage"})
    duplicate_of = fields.List(fields.String(), metadata={"description": "409 on registering a person: the "
                                                                         "registered people it may duplicate"})
    current_version = fields.Integer(metadata={"description": "412: the version the resource is at"})
