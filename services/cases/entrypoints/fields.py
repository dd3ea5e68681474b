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


def written_reason(minimum: int = REASON_MIN_LENGTH, **kwargs) -> fields.String:
    """A reason as the domain wants it (rules.check_reason): at least `minimum` characters once trimmed, which the
    pattern states for the OpenAPI document and its clients."""
    return fields.String(required=True, validate=[
        validate.Length(max=2000),
        validate.Regexp(rf"^\s*\S[\s\S]{{{minimum - 2},}}\S\s*$", error=f"say why, in at least {minimum} characters")],
        **kwargs)
