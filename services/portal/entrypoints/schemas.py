"""What the admin API takes and answers. The service layer checks the rules (patterns, roles, password policy);
these schemas check shapes and document them."""
from __future__ import annotations

from marshmallow import Schema, fields, post_dump, validate

from services.portal.domain.model import STATUSES
from services.portal.domain.policy import CLIENT_ROLES, HUMAN_ROLES, MAX_PASSWORD_LENGTH

NAME = r"^[a-z0-9][a-z0-9._-]{2,63}$"
AREA = r"^\d{2}(\d{3})?$"


def _areas():
    return fields.List(fields.String(validate=validate.Regexp(AREA)), required=True,
                       validate=validate.Length(min=1, max=50),
                       metadata={"description": "province (2 digits) or commune (5 digits) codes"})


class AccountIn(Schema):
    username = fields.String(required=True, validate=validate.Regexp(NAME),
                             metadata={"description": "the sign-in name and the tokens' `sub`"})
    full_name = fields.String(required=True, validate=validate.Length(min=2, max=120),
                              metadata={"example": "Nguyễn Thị Lan"})
    unit = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))
    roles = fields.List(fields.String(validate=validate.OneOf(HUMAN_ROLES)), required=True,
                        validate=validate.Length(min=1, max=len(HUMAN_ROLES)))
    areas = _areas()
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(min=1, max=MAX_PASSWORD_LENGTH),
                             metadata={"description": "at least 12 characters, not a common password"})


class AccountOut(Schema):
    username = fields.String(required=True)
    full_name = fields.String(required=True)
    unit = fields.String(allow_none=True)
    roles = fields.List(fields.String(), required=True)
    areas = fields.List(fields.String(), required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    second_factor = fields.String(required=True, validate=validate.OneOf(("enrolled", "required", "not_required")))
    created_at = fields.DateTime(allow_none=True)


class AccountQuery(Schema):
    unit = fields.String(validate=validate.Length(min=1, max=64))


class StatusIn(Schema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))


class PasswordIn(Schema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=MAX_PASSWORD_LENGTH))


class EmptyIn(Schema):
    pass


class SignInOut(Schema):
    address = fields.String(required=True)
    outcome = fields.String(required=True, metadata={
        "description": "signed_in, password_ok, wrong_password, wrong_code, expired_code, replayed_code, locked, "
                       "disabled, unknown_account, rate_limited; with a security key wrong_key, unknown_key, "
                       "replayed_key (its counter did not go up); security_key_added or security_key_removed"})
    at = fields.DateTime(required=True)


class ClientIn(Schema):
    client_id = fields.String(required=True, validate=validate.Regexp(NAME))
    name = fields.String(required=True, validate=validate.Length(min=2, max=120))
    unit = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))
    roles = fields.List(fields.String(validate=validate.OneOf(CLIENT_ROLES)), required=True,
                        validate=validate.Length(min=1, max=len(CLIENT_ROLES)))
    areas = _areas()


class ClientOut(Schema):
    client_id = fields.String(required=True)
    name = fields.String(required=True)
    unit = fields.String(allow_none=True)
    roles = fields.List(fields.String(), required=True)
    areas = fields.List(fields.String(), required=True)
    status = fields.String(required=True)
    created_at = fields.DateTime(allow_none=True)
    client_secret = fields.String(metadata={"description": "only when created: kept by the portal as a hash only"})

    @post_dump
    def _secret_only_when_created(self, data, **kwargs):
        if data.get("client_secret") is None:
            data.pop("client_secret", None)
        return data
