"""HTTP API of the member directory: your own member record and contact points, an admin's members of a unit,
a unit's own settings and duty contact points (thin views over service_layer/members.py)."""
from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate

from shared.endpoints import ETAG, ask, etag, if_match_version, takes_if_match
from shared.idempotency import idempotent
from shared.web import Blueprint

from services.notifications.domain import queries
from services.notifications.domain.commands import (AddContactPoint, RemoveContactPoint, SetMember,
                                                    SetMyMembership, SetUnitSettings, VerifyContactPoint)
from services.notifications.domain.members import (CONTACT_KINDS, HH_MM, LANGUAGES, PREFERRED, MemberSettings,
                                                   QuietHours, masked)
from services.notifications.domain.seed import SEED_RULES
from services.roles import ROLES

members_blp = Blueprint("members", __name__, url_prefix="/api/v1",
                        description="Members, their preferences, quiet hours and verified contact points")
NAME = validate.Length(min=1, max=128)
CLOCK_TIME = validate.Regexp(HH_MM, error="a time of day as HH:MM, 00:00 to 23:59")
TIME = {"description": 'Local time in Asia/Ho_Chi_Minh, "HH:MM"', "example": "22:00"}
BUILT_IN_CATEGORIES = sorted({rule.category for rule in SEED_RULES})


class QuietHoursSchema(Schema):
    start = fields.String(required=True, validate=CLOCK_TIME, metadata=TIME)
    end = fields.String(required=True, validate=CLOCK_TIME, metadata={
        **TIME, "example": "06:00", "description": TIME["description"] + "; other than the start; before it, the "
                                                                         "quiet hours wrap midnight"})


class DocumentedField(fields.Field):
    """A field whose OpenAPI schema is `document`, written out: apispec would document a nullable Nested as "or
    any object" (OpenAPI 3.0 has no null beside a $ref), and a Dict as an object taking any key, which the
    input guard refuses for `.` and `$`."""

    document: dict = {}

    def __init__(self, **kwargs):
        metadata = {**self.document, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)


class QuietHoursField(DocumentedField):
    document = {"type": "object", "required": ["start", "end"], "additionalProperties": False, "properties": {
        "start": {"type": "string", "pattern": HH_MM.pattern, **QuietHoursSchema().fields["start"].metadata},
        "end": {"type": "string", "pattern": HH_MM.pattern, **QuietHoursSchema().fields["end"].metadata}}}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("an object with start and end, or null")
        return QuietHoursSchema().load(value)


CHANNEL_LIST = fields.List(fields.String(validate=validate.Length(max=16)), validate=validate.Length(max=3))


class PreferencesField(DocumentedField):
    document = {"type": "object", "additionalProperties": False, "properties": {
        category: {"type": "array", "maxItems": 3, "uniqueItems": True,
                   "items": {"type": "string", "enum": list(PREFERRED)}} for category in BUILT_IN_CATEGORIES}}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("an object of channels by alert category")
        loaded, errors = {}, {}
        for category, channels in value.items():
            try:
                loaded[category] = CHANNEL_LIST.deserialize(channels)
            except ValidationError as error:
                errors[category] = error.messages
        if errors:
            raise ValidationError(errors)
        return loaded


class SettingsIn(Schema):
    language = fields.String(load_default="vi", validate=validate.OneOf(LANGUAGES))
    quiet_hours = QuietHoursField(allow_none=True, load_default=None, metadata={
        "description": "Nothing but urgent alerts is sent inside them; null for none"})
    preferences = PreferencesField(load_default=dict, metadata={
        "description": f"Channels per alert category among {', '.join(PREFERRED)} (digest: gathered into the "
                       "daily digest unless urgent); a category left out: e-mail, and SMS too when urgent. The "
                       "in-app inbox is always on. The categories are those of the routing rules: the built-in "
                       "ones listed here, and those of rules admins added since."})
    digest_at = fields.String(allow_none=True, load_default=None, validate=CLOCK_TIME,
                              metadata={**TIME, "description": "When the daily digest goes out (local); null: 07:00"})


class MemberIn(SettingsIn):
    unit = fields.String(required=True, validate=NAME)
    roles = fields.List(fields.String(validate=NAME, metadata={"enum": list(ROLES)}), load_default=list,
                        validate=validate.Length(max=20))
    head = fields.Boolean(load_default=False, metadata={"description": "The unit's head, told of escalations"})


class SettingsOut(Schema):
    version = fields.Integer()
    language = fields.String()
    quiet_hours = QuietHoursField(allow_none=True, metadata={"description": "null for none"})
    preferences = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    digest_at = fields.String(allow_none=True)


class MemberOut(SettingsOut):
    subject = fields.String()
    unit = fields.String()
    roles = fields.List(fields.String())
    head = fields.Boolean()


class UnitSettingsOut(SettingsOut):
    unit = fields.String()


class MembersQuery(Schema):
    unit = fields.String(required=True, validate=NAME)


class ContactPointIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(CONTACT_KINDS))
    address = fields.String(required=True, validate=validate.Length(min=1, max=320), metadata={
        "description": "An e-mail address, or a mobile number (Vietnamese by default: 0912 345 678)"})


class CodeIn(Schema):
    code = fields.String(required=True, validate=validate.Length(max=16), metadata={
        "description": "The 6-digit code sent through the contact point"})


class ContactPointOut(Schema):
    id = fields.String()
    version = fields.Integer()
    kind = fields.String()
    address = fields.String(metadata={"description": "Masked: +84 91* *** 678, n***@example.vn"})
    verified = fields.Boolean()
    created_at = fields.DateTime()
    verified_at = fields.DateTime(allow_none=True)
    code_expires_at = fields.DateTime(allow_none=True)


def _settings(body: dict) -> MemberSettings:
    quiet = body.get("quiet_hours")
    return MemberSettings(language=body["language"], digest_at=body["digest_at"],
                          quiet_hours=QuietHours(quiet["start"], quiet["end"]) if quiet else None,
                          preferences={k: list(v) for k, v in body["preferences"].items()})


def _settings_out(addressee) -> dict:
    settings = addressee.settings
    return {"version": addressee.version, "language": settings.language, "digest_at": settings.digest_at,
            "quiet_hours": vars(settings.quiet_hours) if settings.quiet_hours else None,
            "preferences": settings.preferences}


def _member(addressee, status: int = 200):
    body = {**_settings_out(addressee), "subject": addressee.subject, "unit": addressee.unit,
            "roles": addressee.roles, "head": addressee.head}
    return body, status, etag(addressee.version)


def _unit_settings(addressee, status: int = 200):
    return {**_settings_out(addressee), "unit": addressee.unit or addressee.subject}, status, etag(addressee.version)


def _point(point) -> dict:
    return {"id": point.id, "version": point.version, "kind": point.kind, "address": masked(point.kind, point.address),
            "verified": point.verified, "created_at": point.created_at, "verified_at": point.verified_at,
            "code_expires_at": None if point.verified else point.code_expires_at}


@members_blp.route("/members/me")
class MyMembership(MethodView):
    @members_blp.response(200, MemberOut, headers=ETAG)
    @members_blp.alt_response(404, description="You are not a member yet: PUT your settings to become one")
    def get(self):
        """Your member record"""
        return _member(ask(queries.ReadMyMembership()))

    @takes_if_match
    @members_blp.arguments(SettingsIn)
    @members_blp.response(200, MemberOut, headers=ETAG)
    @members_blp.alt_response(201, schema=MemberOut, headers=ETAG, description="You became a member")
    def put(self, body):
        """Set your language, quiet hours, channels per category and digest time (unit and roles: your token's)"""
        addressee, new = ask(SetMyMembership(_settings(body), if_match_version()))
        return _member(addressee, 201 if new else 200)


@members_blp.route("/members")
class Members(MethodView):
    @members_blp.arguments(MembersQuery, location="query")
    @members_blp.response(200, MemberOut(many=True))
    @members_blp.paginate()
    def get(self, query, pagination_parameters):
        """The members of a unit in your areas (admins)"""
        items, total = ask(queries.ListMembers(query["unit"], pagination_parameters.first_item,
                                               pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return [_member(item)[0] for item in items]


@members_blp.route("/members/<string:subject>")
class Member(MethodView):
    @members_blp.response(200, MemberOut, headers=ETAG)
    def get(self, subject):
        """A member of a unit in your areas (admins)"""
        return _member(ask(queries.ReadMember(subject)))

    @takes_if_match
    @members_blp.arguments(MemberIn)
    @members_blp.response(200, MemberOut, headers=ETAG)
    @members_blp.alt_response(201, schema=MemberOut, headers=ETAG, description="The member was added")
    def put(self, body, subject):
        """Set a member's unit, roles, head and settings (admins of the unit's areas)"""
        addressee, new = ask(SetMember(subject, body["unit"], tuple(body["roles"]), body["head"], _settings(body),
                                       if_match_version()))
        return _member(addressee, 201 if new else 200)


@members_blp.route("/units/<string:unit_code>/settings")
class UnitSettings(MethodView):
    @members_blp.response(200, UnitSettingsOut, headers=ETAG)
    def get(self, unit_code):
        """How the unit's own duty contact points are reached (admins, the unit's head)"""
        return _unit_settings(ask(queries.ReadUnitSettings(unit_code)))

    @takes_if_match
    @members_blp.arguments(SettingsIn)
    @members_blp.response(200, UnitSettingsOut, headers=ETAG)
    @members_blp.alt_response(201, schema=UnitSettingsOut, headers=ETAG, description="First settings of the unit")
    def put(self, body, unit_code):
        """Set the unit's language, channels per category (digest for routine ones) and digest time"""
        addressee, new = ask(SetUnitSettings(unit_code, _settings(body), if_match_version()))
        return _unit_settings(addressee, 201 if new else 200)


def _owner(unit_code: str | None) -> str:
    return "me" if unit_code is None else f"unit:{unit_code}"


def _point_url(unit_code: str | None, point_id: str) -> str:
    if unit_code is None:
        return url_for("members.MyContactPoint", contact_point_id=point_id)
    return url_for("members.UnitContactPoint", unit_code=unit_code, contact_point_id=point_id)


class _ContactPoints(MethodView):
    def _list(self, unit_code=None):
        return [_point(p) for p in ask(queries.ListContactPoints(_owner(unit_code)))]

    def _add(self, body, unit_code=None):
        point = ask(AddContactPoint(_owner(unit_code), body["kind"], body["address"]))
        return _point(point), 201, {**etag(point.version), "Location": _point_url(unit_code, point.id)}


class _ContactPoint(MethodView):
    def _delete(self, contact_point_id, unit_code=None):
        ask(RemoveContactPoint(_owner(unit_code), contact_point_id))
        return "", 204


class _Verification(MethodView):
    def _verify(self, body, contact_point_id, unit_code=None):
        point = ask(VerifyContactPoint(_owner(unit_code), contact_point_id, body["code"], if_match_version()))
        return _point(point), 200, etag(point.version)


@members_blp.route("/members/me/contact-points")
class MyContactPoints(_ContactPoints):
    @members_blp.response(200, ContactPointOut(many=True))
    def get(self):
        """Your contact points, masked"""
        return self._list()

    @idempotent
    @members_blp.arguments(ContactPointIn)
    @members_blp.response(201, ContactPointOut, headers=ETAG)
    @members_blp.alt_response(409, description="The address is listed already")
    def post(self, body):
        """Add an e-mail address or mobile number: a 6-digit code is sent through it, valid 15 minutes"""
        return self._add(body)


@members_blp.route("/members/me/contact-points/<string:contact_point_id>")
class MyContactPoint(_ContactPoint):
    @members_blp.response(204)
    def delete(self, contact_point_id):
        """Remove one of your contact points"""
        return self._delete(contact_point_id)


@members_blp.route("/members/me/contact-points/<string:contact_point_id>/verification")
class MyVerification(_Verification):
    @idempotent
    @takes_if_match
    @members_blp.arguments(CodeIn)
    @members_blp.response(200, ContactPointOut, headers=ETAG)
    @members_blp.alt_response(409, description="Verified already, or 5 wrong codes")
    def post(self, body, contact_point_id):
        """Verify a contact point with the code sent through it (at most 5 tries)"""
        return self._verify(body, contact_point_id)


@members_blp.route("/units/<string:unit_code>/contact-points")
class UnitContactPoints(_ContactPoints):
    @members_blp.response(200, ContactPointOut(many=True))
    def get(self, unit_code):
        """The unit's duty contact points, masked (admins, the unit's head)"""
        return self._list(unit_code)

    @idempotent
    @members_blp.arguments(ContactPointIn)
    @members_blp.response(201, ContactPointOut, headers=ETAG)
    @members_blp.alt_response(409, description="The address is listed already")
    def post(self, body, unit_code):
        """Add the unit's duty e-mail or phone: a 6-digit code is sent through it, valid 15 minutes"""
        return self._add(body, unit_code)


@members_blp.route("/units/<string:unit_code>/contact-points/<string:contact_point_id>")
class UnitContactPoint(_ContactPoint):
    @members_blp.response(204)
    def delete(self, unit_code, contact_point_id):
        """Remove one of the unit's contact points"""
        return self._delete(contact_point_id, unit_code)


@members_blp.route("/units/<string:unit_code>/contact-points/<string:contact_point_id>/verification")
class UnitVerification(_Verification):
    @idempotent
    @takes_if_match
    @members_blp.arguments(CodeIn)
    @members_blp.response(200, ContactPointOut, headers=ETAG)
    @members_blp.alt_response(409, description="Verified already, or 5 wrong codes")
    def post(self, body, unit_code, contact_point_id):
        """Verify one of the unit's contact points with the code sent through it"""
        return self._verify(body, contact_point_id, unit_code)
