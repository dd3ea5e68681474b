"""Fields every cases schema shares, each checked by one rule (the national ID's shape is the domain's)."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from services.cases.domain.person import national_id_shape_problem
from services.cases.domain.rules import REASON_MIN_LENGTH

COMMUNE = validate.Regexp(r"^\d{5}$", error="must be a 5-digit commune code")
UNIT = validate.Regexp(r"^[A-Za-z0-9_-]{2,64}$", error="letters, digits, _ or -, 2 to 64 characters")


def _national_id(value: str) -> None:
    problem = national_id_shape_problem(value)
    if problem:
        raise ValidationError(problem)


class NationalId(fields.String):
    """A 12-digit citizen identity number whose first three digits are a province of birth registration."""

    def __init__(self, **kwargs):
        super().__init__(validate=[validate.Regexp(r"^\d{12}$", error="must be 12 digits"), _national_id],
                         metadata={"description": "12-digit citizen identity number"}, **kwargs)


SPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""What Python's `str.strip` trims, spelled out: `\\s` means less in the OpenAPI document's (ECMA) patterns, where a
reason ending in U+001C would pass the pattern and then fail the domain's trimmed length."""


def written_reason(minimum: int = REASON_MIN_LENGTH, **kwargs) -> fields.String:
    """A reason as the domain wants it (rules.check_reason): at least `minimum` characters once trimmed, which the
    pattern states for the OpenAPI document and its clients, in both regular expression dialects alike."""
    return fields.String(required=True, validate=[
        validate.Length(max=2000),
        validate.Regexp(rf"^[{SPACE}]*[^{SPACE}][\s\S]{{{minimum - 2},}}[^{SPACE}][{SPACE}]*$",
                        error=f"say why, in at least {minimum} characters")],
        **kwargs)
