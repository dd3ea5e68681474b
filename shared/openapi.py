"""What the OpenAPI documents say about errors, and the Swagger UI they are read with.

Every error is documented as `application/problem+json` with the Problem schema, because that is what is sent.
The errors any operation can answer are documented here once, by what the operation takes, so endpoints only
document what is their own (a 409 with `allowed`, a 412 for If-Match):

- 400 (operator-looking keys, NUL, invalid or too deeply nested JSON), 401 (no or a bad token), 403 (the role may
  not), 503 (database or audit unreachable): every operation;
- 404: operations on a resource named in the path;
- 409: writes (another write was saved first; an Idempotency-Key still in progress);
- 413, 415, 422: operations taking a body (too large, not JSON, invalid);
- 422: operations taking query parameters.

No catch-all `default` response: with one, every status would be documented and a check of the statuses an
operation answers could never fail. A 500 is a bug, so it is not documented.
"""
from __future__ import annotations

from http import HTTPStatus

from apispec import BasePlugin
from flask import Flask, send_from_directory
from flask_smorest.pagination import PaginationMetadataSchema
from marshmallow.validate import Range
from swagger_ui_bundle import swagger_ui_path
from werkzeug.routing import BaseConverter

from shared.problems import PROBLEM

PROBLEM_SCHEMA_NAME = "Problem"
WRITES = frozenset({"post", "put", "patch", "delete"})
OPERATIONS = WRITES | {"get", "head", "options", "trace"}
EVERY_OPERATION = (400, 401, 403, 503)
SWAGGER_UI_ASSETS = "/api/v1/docs/assets/"


def generic_statuses(path: str, method: str, operation: dict) -> list[int]:
    """The errors this operation can answer whatever its endpoint does (the module's docstring says why)."""
    statuses = list(EVERY_OPERATION)
    if "{" in path:
        statuses.append(404)
    if method in WRITES:
        statuses.append(409)
    if "requestBody" in operation:
        statuses += [413, 415, 422]
    if any(p.get("in") == "query" for p in operation.get("parameters", []) if isinstance(p, dict)):
        statuses.append(422)
    return statuses


def problem_content() -> dict:
    return {PROBLEM: {"schema": {"$ref": f"#/components/schemas/{PROBLEM_SCHEMA_NAME}"}}}


class ProblemResponses(BasePlugin):
    """Adds the generic errors to every operation, and the Problem content to errors documented without one
    (an endpoint's `alt_response(409, description=...)`)."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            if method not in OPERATIONS:
                continue
            responses = operation.setdefault("responses", {})
            documented = {str(status) for status in responses}
            for status in generic_statuses(path or "", method, operation):
                if str(status) not in documented:
                    responses[status] = HTTPStatus(status).name
                    documented.add(str(status))
            for status, response in responses.items():
                if str(status)[0] in "45" and isinstance(response, dict) and "content" not in response:
                    response["content"] = problem_content()


def exclusive_bounds(self, field, ret, **kwargs) -> dict:
    """apispec documents a Range's bounds as inclusive even when the validator excludes them (`min_inclusive=False`,
    a dose above 0 mg): say so, in OpenAPI 3.0's boolean form."""
    attributes = {}
    for validator in field.validators:
        if not isinstance(validator, Range):
            continue
        if validator.min is not None and not validator.min_inclusive and ret.get("minimum") == validator.min:
            attributes["exclusiveMinimum"] = True
        if validator.max is not None and not validator.max_inclusive and ret.get("maximum") == validator.max:
            attributes["exclusiveMaximum"] = True
    return attributes


class PatternConverter(BaseConverter):
    """`<matching("[a-z][a-z0-9_]{0,63}"):rule_id>`: a path segment that is a name of that shape, documented with
    the pattern. A literal route beside a variable one (`/rules/dry-run` beside `/rules/<rule_id>`) then answers
    OPTIONS and 405 with an `Allow` of its own methods: werkzeug lists those of every route matching a path."""

    def __init__(self, url_map, pattern: str):
        super().__init__(url_map)
        self.regex = pattern


def pattern_parameter(converter: PatternConverter) -> dict:
    return {"type": "string", "pattern": f"^(?:{converter.regex})$"}


def pagination_header() -> dict:
    """`X-Pagination` carries JSON, so it is described by `content` (OpenAPI 3.0 Header Object), not by a `schema`,
    which would mean the `simple` style (`total,3,page,1`). A new dict each time: apispec resolves it in place."""
    return {"description": "Pagination metadata, a JSON object: total, total_pages, first_page, last_page, page, "
                           "previous_page, next_page",
            "content": {"application/json": {"schema": PaginationMetadataSchema}}}


def install_swagger_ui_assets(app: Flask) -> None:
    """Serve Swagger UI from the packaged copy (swagger-ui-bundle), so the docs work without internet; under the
    docs path, which needs no token."""

    @app.get(SWAGGER_UI_ASSETS + "<path:filename>")
    def swagger_ui_asset(filename: str):
        return send_from_directory(str(swagger_ui_path), filename, max_age=86400)
