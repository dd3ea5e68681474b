"""What every service's views share: asking the service layer as the caller, and optimistic concurrency (the
version read comes back as `If-Match`, every write answers the new `ETag`), documented in the OpenAPI document."""
from __future__ import annotations

import copy

from flask import current_app, g

ETAG = {"ETag": {"description": 'The version after this answer, e.g. "3": send it back as If-Match to change it',
                 "schema": {"type": "string"}}}
IF_MATCH = {"in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
            "description": 'The ETag of the version you read, e.g. "3". If the resource has changed since, nothing '
                           "is written and the answer is 412; without the header the write applies to the current "
                           "version."}


def ask(message):
    """The service layer's answer to `message`, asked as the authenticated caller."""
    return current_app.extensions["service_layer"].handle(message, g.principal)


def takes_if_match(view):
    """Document a write's optional `If-Match` header and its 412 answer (flask-smorest's own etag feature
    computes ETags from the body; ours are the aggregate's version)."""
    view._apidoc = copy.deepcopy(getattr(view, "_apidoc", {}))
    arguments = view._apidoc.setdefault("arguments", {})
    arguments.setdefault("parameters", []).append(dict(IF_MATCH))
    arguments.setdefault("responses", {})[412] = "PRECONDITION_FAILED"
    return view
