"""What every error answer must be: RFC 9457 application/problem+json with type, title, status and detail."""
from __future__ import annotations

import json


def check_problem(status: int, content_type: str | None, body: bytes | str, expected: int) -> dict:
    """Assert an answer is the expected problem and return its members."""
    text = body.decode() if isinstance(body, bytes) else body
    assert status == expected, text
    assert (content_type or "").split(";")[0].strip() == "application/problem+json", (content_type, text)
    document = json.loads(text)
    assert document["status"] == expected and type(document["status"]) is int, document
    assert document["type"] == "about:blank", document
    assert isinstance(document["title"], str) and document["title"], document
    assert isinstance(document["detail"], str) and document["detail"], document
    return document
