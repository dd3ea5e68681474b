"""What every service's views share: asking the service layer as the caller, and optimistic concurrency (the
version read comes back as `If-Match`, every write answers the new `ETag`), documented in the OpenAPI document."""
from __future__ import annotations

import copy
import re

from flask import current_app, g, request

from shared.errors import PreconditionFailed

IF_MATCH_PATTERN = r'^[ \t]*(\*|(W/)?"([0-9]+)")[ \t]*$'
ETAG = {"ETag": {"description": 'The version after this answer, e.g. "3": send it back as If-Match to change it',
                 "schema": {"type": "string"}}}
IF_MATCH = {"in": "header", "name": "If-Match", "required": False,
            "schema": {"type": "string", "pattern": IF_MATCH_PATTERN},
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


def if_match_version() -> int | None:
    """The aggregate version a write expects, from `If-Match: "<version>"`; None when the header is absent or `*`.
    The OpenAPI documents show the same IF_MATCH_PATTERN."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    match = re.fullmatch(IF_MATCH_PATTERN, header)
    if not match:
        raise PreconditionFailed("If-Match must be an ETag this API issued, like \"3\"",
                                 errors={"If-Match": ["not an ETag of this API"]})
    return int(match.group(3)) if match.group(3) else None


def etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}
