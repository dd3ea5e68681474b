"""What a request may bring before any view reads it (DESIGN.md section 6): no operator-looking keys or NUL
characters in the query or the body, and a body of JSON in UTF-8, nested no deeper than any parser can take."""
from __future__ import annotations

import json
import re
from itertools import accumulate

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
"""Deeper than any body this API takes (a few levels), shallow enough that no parser or validator recursing through
the body (json, this module's key check, webargs, marshmallow) comes near Python's recursion limit."""
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _nesting_depth(text: str) -> int:
    """How deep arrays and objects nest, counted on the text before parsing, so parsing never recurses deeper."""
    brackets = _NOT_BRACKETS.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _body_problem(raw: bytes):
    """The body is refused, naming it (`_body`), unless it is JSON in UTF-8, nested at most MAX_BODY_DEPTH deep,
    with no operator-looking keys or NUL characters."""
    if not request.is_json:
        return problem(415, "Unsupported media type", "send application/json")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return problem(400, "Bad request", "the body is not UTF-8", {"_body": ["not UTF-8"]})
    if _nesting_depth(text) > MAX_BODY_DEPTH:
        message = f"nested deeper than {MAX_BODY_DEPTH} levels"
        return problem(400, "Bad request", f"the body is {message}", {"_body": [message]})
    try:
        body = json.loads(text)
    except ValueError:
        return problem(400, "Bad request", "the body is not valid JSON", {"_body": ["not valid JSON"]})
    found = _bad_key(body)
    if found:
        return problem(400, "Bad request", f"{found[0]}: {found[1]}", {found[0]: [found[1]]})
    return None


def check_input():
    """A problem answer refusing the request, or None to let it through."""
    for key, value in request.args.items(multi=True):
        if "$" in key or "." in key or "\x00" in key or "\x00" in value:
            return problem(400, "Bad request", f"query parameter {key!r} is not allowed",
                           {key: ["operator-looking keys and NUL characters are not allowed"]})
    if request.method in ("POST", "PUT", "PATCH"):
        raw = request.get_data(cache=True)
        if raw:
            return _body_problem(raw)
    return None
