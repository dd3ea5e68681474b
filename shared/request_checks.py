"""What a request may bring before any view reads it (DESIGN.md section 6): no operator-looking keys or NUL
characters in the query or the body, and a body of JSON in UTF-8, nested no deeper than any parser can take."""
from __future__ import annotations

import json

from flask import request

from shared.problems import problem


def _bad_key(value, path="") -> tuple[str, str] | None:
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if not isinstance(key, str) or "$" in key or "." in key or "\x00" in key:
                return name, "keys may not contain '$', '.' or NUL"
            found = _bad_key(item, name)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _bad_key(item, f"{path}.{index}" if path else str(index))
            if found:
                return found
    elif isinstance(value, str) and "\x00" in value:
        return path or "_body", "NUL characters are not allowed"
    return None


MAX_BODY_DEPTH = 32
"""Deeper than any body this API takes (a few levels), shallow enough that nothing recursing through a body (this
module's key check, webargs, marshmallow) comes near Python's recursion limit. A body deeper than that limit stops
the json parser itself (RecursionError), which is refused the same way."""


def _nesting_depth(body) -> int:
    """How deep arrays and objects nest in a parsed body, counted without recursing (in time linear in its size:
    a check that any request reaches before its token is read must not be a way to tie up a worker)."""
    deepest, pending = 0, [(body, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth + 1)
            pending.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return deepest


def _body_problem(raw: bytes):
    """The body is refused, naming it (`_body`), unless it is JSON in UTF-8, nested at most MAX_BODY_DEPTH deep,
    with no operator-looking keys or NUL characters."""
    if not request.is_json:
        return problem(415, "Unsupported media type", "send application/json")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return problem(400, "Bad request", "the body is not UTF-8", {"_body": ["not UTF-8"]})
    too_deep = f"nested deeper than {MAX_BODY_DEPTH} levels"
    try:
        body = json.loads(text)
    except RecursionError:
        return problem(400, "Bad request", f"the body is {too_deep}", {"_body": [too_deep]})
    except ValueError:
        return problem(400, "Bad request", "the body is not valid JSON", {"_body": ["not valid JSON"]})
    if _nesting_depth(body) > MAX_BODY_DEPTH:
        return problem(400, "Bad request", f"the body is {too_deep}", {"_body": [too_deep]})
    found = _bad_key(body)
    if found:
        return problem(400, "Bad request", f"{found[0]}: {found[1]}", {found[0]: [found[1]]})
    return None


def check_input(with_body: bool = True):
    """A problem answer refusing the request, or None to let it through; `with_body` False leaves the body to the
    view (an upload, shared/web.py `takes_upload`)."""
    for key, value in request.args.items(multi=True):
        if "$" in key or "." in key or "\x00" in key or "\x00" in value:
            return problem(400, "Bad request", f"query parameter {key!r} is not allowed",
                           {key: ["operator-looking keys and NUL characters are not allowed"]})
    if with_body and request.method in ("POST", "PUT", "PATCH"):
        raw = request.get_data(cache=True)
        if raw:
            return _body_problem(raw)
    return None
