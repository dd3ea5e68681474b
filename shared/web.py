"""The HTTP conventions every service follows (DESIGN.md section 6), in one app factory helper.

problem+json errors naming fields, rejection of operator-looking keys, NUL characters and bodies nested too deep
before anything is read, JWT on every API except health and docs, correlation ids, Prometheus metrics, /healthz and
/readyz. What a request may bring is checked in shared/request_checks.py, what the OpenAPI documents say about
errors is in shared/openapi.py, optimistic concurrency (If-Match, ETag) is in shared/endpoints.py.
"""
from __future__ import annotations

import functools
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from flask import Flask, current_app, g, request
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from marshmallow import fields, validate
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess
from pymongo.errors import ConnectionFailure
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from shared import runtime
from shared.auth import AuthError, TokenVerifier
from shared.crypto import derived_key
from shared.errors import ConcurrencyConflict, InvalidInput, ServiceError, TooManyRequests
from shared.logs import correlation_id, new_correlation_id
from shared.openapi import (PROBLEM_SCHEMA_NAME, SWAGGER_UI_ASSETS, PatternConverter, ProblemResponses,
                            exclusive_bounds, install_swagger_ui_assets, pagination_header, pattern_parameter)
from shared.problems import PROBLEM, ProblemSchema, problem
from shared.request_checks import check_input
from shared.settings import Settings

log = logging.getLogger(__name__)
PUBLIC_PATHS = ("/healthz", "/readyz", "/metrics", "/api/v1/openapi.json", "/api/v1/docs")
OWN_CREDENTIAL_METHODS = ("GET", "HEAD")
CORRELATION_HEADER = "X-Correlation-ID"
REQUESTS = Counter("http_requests_total", "HTTP requests", ["service", "method", "endpoint", "status"])
LATENCY = Histogram("http_request_duration_seconds", "HTTP request latency", ["service", "method", "endpoint"])
_CORRELATION = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def _flatten(messages, prefix="") -> dict[str, list[str]]:
    """Turn marshmallow's nested messages into {"person.birth_date": [...]}, dropping the location level."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            return {prefix or "_body": messages}
        for m in messages:
            flat.update(_flatten(m, prefix))
        return flat
    for key, value in messages.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, (dict, list)) and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            flat.update(_flatten(value, name))
        else:
            flat[name] = value if isinstance(value, list) else [str(value)]
    return flat


def http_problem(error: HTTPException):
    """werkzeug's and webargs' errors as problems, keeping the headers they carry (a 405's `Allow`)."""
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    errors = None
    if messages:
        errors = {}
        for _location, fields_ in messages.items():
            errors.update(_flatten(fields_))
    detail = data.get("message") or error.description
    if errors:
        detail = "invalid fields: " + ", ".join(sorted(errors))
    response = problem(error.code or 500, error.name, detail, errors)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response


class ProblemApi(Api):
    """flask-smorest's Api answering every HTTP error as problem+json with the fields named, and documenting them
    so (shared/openapi.py): the Problem schema under application/problem+json, no catch-all `default`."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def __init__(self, app: Flask):
        super().__init__(app, spec_kwargs={"extra_plugins": [ProblemResponses()]})
        self.ma_plugin.converter.add_attribute_function(exclusive_bounds)
        app.url_map.converters["matching"] = PatternConverter
        self.register_converter(PatternConverter, pattern_parameter)

    def handle_http_exception(self, error: HTTPException):
        return http_problem(error)

    def _register_responses(self):
        """flask-smorest's lazy response per status (`UNPROCESSABLE_ENTITY`...), errors as problems."""
        self.spec.components.schema(PROBLEM_SCHEMA_NAME, schema=ProblemSchema)
        for status in HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM: {"schema": ProblemSchema}}
            self.spec.components.response(status.name, response, lazy=True)

    def _register_pagination_header(self):
        self.spec.components.header("PAGINATION", pagination_header(), lazy=True)


MAX_PAGE = 100_000


def _documented_with_ceiling(parameters_schema):
    """flask-smorest's pagination parameters as the document shows them: `page` with the ceiling enforced."""
    page = parameters_schema._declared_fields["page"]
    ceiling = fields.Integer(load_default=page.load_default, validate=validate.Range(min=1, max=MAX_PAGE))
    return type(parameters_schema.__name__, (parameters_schema,), {"page": ceiling})


class Blueprint(SmorestBlueprint):
    """flask-smorest's Blueprint with a ceiling on `page`, so no page number overflows the database's skip."""

    def paginate(self, pager=None, *, page=None, page_size=None, max_page_size=200):
        decorator = super().paginate(pager, page=page, page_size=page_size, max_page_size=max_page_size)

        def guarded(view):
            paginated = decorator(view)
            documented = paginated._apidoc["pagination"]["parameters"]
            documented["schema"] = _documented_with_ceiling(documented["schema"])

            @functools.wraps(paginated)
            def wrapper(*args, **kwargs):
                raw = request.args.get("page", "")
                if raw.isdigit() and int(raw) > MAX_PAGE:
                    raise InvalidInput.field("page", f"must be at most {MAX_PAGE}")
                return paginated(*args, **kwargs)
            return wrapper
        return guarded


def create_base_app(settings: Settings, title: str, service_layer, verifier: TokenVerifier, *,
                    api_prefix: str | None = None, readiness=None) -> tuple[Flask, ProblemApi]:
    """A Flask app with the conventions installed; views ask the service layer through `shared.endpoints.ask`.
    `verifier` knows the roles the identity provider issues (the caller's list). With `api_prefix` ("/api/"), only
    paths under it follow the API conventions (bearer token, JSON bodies): the rest are the app's own pages,
    which check their own credential (the portal's session cookie and forms). `readiness` replaces the checks of
    /readyz (by default the database and the broker)."""
    readiness = readiness or {"database": runtime.database_ping,
                              "broker": functools.partial(runtime.broker_ping, settings)}
    app = Flask(f"donghanh.{settings.service}")
    app.extensions["service_layer"] = service_layer
    app.config.update(
        API_TITLE=title, API_VERSION="v1", OPENAPI_VERSION="3.0.3", OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json", OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=SWAGGER_UI_ASSETS,
        API_SPEC_OPTIONS={"components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
            "security": [{"bearer": []}]},
        JSON_SORT_KEYS=False, MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        IDEMPOTENCY_SECRET=derived_key(settings.data_key, "idempotency") if settings.data_key else b"")
    app.json.ensure_ascii = False
    api = ProblemApi(app)
    _install_hooks(app, settings, verifier, api_prefix)
    _install_error_handlers(app)
    _install_ops_routes(app, readiness)
    install_swagger_ui_assets(app)
    return app, api


def _install_hooks(app: Flask, settings: Settings, verifier: TokenVerifier, api_prefix: str | None) -> None:
    @app.before_request
    def begin():
        g.started = time.perf_counter()
        incoming = request.headers.get(CORRELATION_HEADER, "")
        g.correlation_token = correlation_id.set(incoming if _CORRELATION.match(incoming) else new_correlation_id())
        if api_prefix and not request.path.startswith(api_prefix):
            return None
        upload = _upload_taken()
        if upload is not None:
            request.max_content_length = upload.limit() + MULTIPART_FRAMING
            if request.content_length is not None and request.content_length > request.max_content_length:
                return upload.too_large()
        rejected = check_input(with_body=upload is None and not _method_not_allowed())
        if rejected is not None:
            return rejected
        if request.path in PUBLIC_PATHS or request.path.startswith("/api/v1/docs") or _checks_own_credential():
            return None
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return _unauthorised("send a bearer token in the Authorization header")
        try:
            g.principal = verifier.verify(header[7:].strip())
        except AuthError as exc:
            return _unauthorised(str(exc))
        return None

    @app.after_request
    def finish(response):
        response.headers[CORRELATION_HEADER] = correlation_id.get() or ""
        if g.get("principal") is not None:
            response.headers.setdefault("Cache-Control", "no-store")
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(settings.service, request.method, endpoint, response.status_code).inc()
        LATENCY.labels(settings.service, request.method, endpoint).observe(time.perf_counter() - g.get("started", 0))
        return response

    @app.teardown_request
    def reset(_exc):
        token = g.pop("correlation_token", None)
        if token is not None:
            correlation_id.reset(token)


def checks_own_credential(view_class=None, *, methods=OWN_CREDENTIAL_METHODS):
    """Exempt a MethodView's reads from the bearer check: for a client that cannot send a bearer token (a calendar
    subscribed to by URL), the view checks a credential of its own and answers 404 to a wrong one. Only the marked
    class's GET and HEAD are exempt, unless `methods` names others (`@checks_own_credential(methods=("GET",
    "POST"))` for a signed one-time link whose form posts back to it); document its operations with
    `security=[]`."""
    def mark(cls):
        cls.checks_own_credential = True
        cls.own_credential_methods = tuple(methods)
        return cls
    return mark(view_class) if view_class is not None else mark


def _method_not_allowed() -> bool:
    """A method the route lacks is answered 405 whatever its body (an upload sent with PUT is not a 415)."""
    return isinstance(request.routing_exception, MethodNotAllowed)


MULTIPART_FRAMING = 64 * 1024
"""What a multipart upload may bring beyond its file (boundaries, part headers)."""


@dataclass(frozen=True)
class UploadLimit:
    field: str
    limit_config: str

    def limit(self) -> int:
        return current_app.config[self.limit_config]

    def too_large(self):
        why = f"is larger than {self.limit()} bytes"
        return problem(413, "Content too large", f"{self.field}: {why}", {self.field: [why]})


def takes_upload(field: str, limit_config: str):
    """Let a MethodView's POST take a multipart/form-data upload, where the API otherwise takes only JSON bodies
    of at most MAX_CONTENT_LENGTH: the file `field` of at most `app.config[limit_config]` bytes, a larger one
    answered 413 naming it. The body is left to the view's parser (and the Idempotency-Key's fingerprint)."""
    def mark(cls):
        cls.takes_upload = UploadLimit(field, limit_config)
        return cls
    return mark


def _view_class():
    """The MethodView class the request is routed to, if any (its marks: `takes_upload`, `checks_own_credential`)."""
    return getattr(current_app.view_functions.get(request.endpoint) if request.endpoint else None, "view_class",
                   None)


def _upload_taken() -> UploadLimit | None:
    upload = getattr(_view_class(), "takes_upload", None)
    return upload if (isinstance(upload, UploadLimit) and request.method == "POST"
                      and request.mimetype == "multipart/form-data") else None


def _checks_own_credential() -> bool:
    view_class = _view_class()
    return (getattr(view_class, "checks_own_credential", False) is True
            and request.method in getattr(view_class, "own_credential_methods", OWN_CREDENTIAL_METHODS))


def _unauthorised(detail: str):
    response = problem(401, "Unauthorized", detail)
    response.headers["WWW-Authenticate"] = 'Bearer realm="donghanh"'
    return response


def _install_error_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        response = problem(exc.status, exc.title, exc.detail, exc.errors or None, **exc.extra)
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(ConcurrencyConflict)
    def concurrent_write(exc: ConcurrencyConflict):
        return problem(409, "Conflict", "another change to this resource was saved first; read it again and retry")

    @app.errorhandler(ConnectionFailure)
    def database_unavailable(exc):
        log.warning("database unavailable: %s", exc)
        response = problem(503, "Service unavailable", "the database is unreachable; retry shortly")
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def unexpected(exc):
        if isinstance(exc, HTTPException):
            return http_problem(exc)
        log.exception("unhandled error")
        return problem(500, "Internal server error", "an unexpected error was logged with the correlation id")


def _install_ops_routes(app: Flask, readiness: dict[str, Callable[[], None]]) -> None:
    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz():
        failures = {}
        for name, check in readiness.items():
            try:
                check()
            except Exception as exc:  # noqa: BLE001 - any failure means not ready
                failures[name] = [type(exc).__name__]
        if failures:
            return problem(503, "Service unavailable", "not ready: " + ", ".join(sorted(failures)), failures)
        return {"status": "ready", "checks": sorted(readiness)}

    @app.get("/metrics")
    def metrics():
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        else:
            from prometheus_client import REGISTRY as registry
        return generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST}


