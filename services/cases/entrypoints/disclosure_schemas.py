"""Request and response schemas of consents and break-the-glass."""
from __future__ import annotations

from marshmallow import Schema, fields, post_load, validate

from services.cases.domain.access import PROTECTED
from services.cases.domain.consent import CONSENT, REFERENCE_MAX_LENGTH, ConsentTerms
from services.cases.domain.grants import MIN_REASON_LENGTH
from services.cases.entrypoints.fields import UNIT, written_reason

CODE = validate.Regexp(r"^[a-z][a-z0-9_]{1,49}$", error="must be one of the workflow's codes (snake_case)")


class ConsentTermsIn(Schema):
    """What the person signed (or the exception the law names): the codes allowed are the workflow's
    (`GET /api/v1/workflows`, `disclosure`)."""
    sections = fields.List(fields.String(validate=validate.OneOf(PROTECTED)), required=True,
                           validate=validate.Length(min=1, max=len(PROTECTED)))
    purpose = fields.String(required=True, validate=CODE)
    basis = fields.String(load_default=CONSENT, validate=CODE, metadata={
        "description": "`consent`, or an exception the workflow names (court_order, medical_emergency)"})
    reference = fields.String(required=True, validate=validate.Length(min=1, max=REFERENCE_MAX_LENGTH), metadata={
        "description": "the signed consent form's number, or the court order's"})
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(load_default=None, allow_none=True)


class ConsentIn(ConsentTermsIn):
    to_unit = fields.String(required=True, validate=UNIT)

    @post_load
    def terms(self, data, **kwargs) -> ConsentTerms:
        return ConsentTerms(**{**data, "sections": tuple(data["sections"])})


class ReferralConsentIn(ConsentTermsIn):
    """A consent given with a referral, to the unit referred to."""

    @post_load
    def terms(self, data, **kwargs) -> ConsentTerms:
        return ConsentTerms(to_unit="", **{**data, "sections": tuple(data["sections"])})


class RevocationIn(Schema):
    reason = written_reason()


class ConsentOut(Schema):
    consent_id = fields.String()
    to_unit = fields.String()
    sections = fields.List(fields.String())
    purpose = fields.String()
    basis = fields.String()
    reference = fields.String()
    valid_from = fields.String()
    valid_until = fields.String(allow_none=True)
    recorded_by = fields.String()
    recorded_at = fields.String()
    revoked_at = fields.String(allow_none=True)
    revoked_by = fields.String(allow_none=True)
    share_id = fields.String(allow_none=True, metadata={"description": "the referral it was given with"})


class AccessGrantOut(Schema):
    """A break-the-glass opening of the case, as the person's record shows it (its reason code with the clinical
    section only; its written reason stays in the case's log)."""
    grant_id = fields.String()
    subject = fields.String()
    role = fields.String()
    section = fields.String()
    reason_code = fields.String(allow_none=True)
    opened_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)


class BreakGlassIn(Schema):
    section = fields.String(required=True, validate=validate.OneOf(PROTECTED))
    reason_code = fields.String(required=True, validate=CODE, metadata={
        "description": "one of the workflow's `disclosure.break_glass_reasons`"})
    reason = written_reason(MIN_REASON_LENGTH)


class GrantOut(Schema):
    grant_id = fields.String()
    case_id = fields.String()
    section = fields.String()
    reason_code = fields.String(allow_none=True)
    expires_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)


class DisclosureOut(Schema):
    at = fields.DateTime()
    kind = fields.String(metadata={"description": "read, list, export, break_glass, change or alert"})
    action = fields.String()
    subject = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    unit = fields.String(allow_none=True)
    sections = fields.List(fields.String())
    purpose = fields.String(allow_none=True, metadata={"description": "an export's purpose, a break-the-glass "
                                                                       "reason code, an alert's category"})


DISCLOSURE_COLUMNS = ("at", "kind", "action", "subject", "unit", "sections", "purpose")
