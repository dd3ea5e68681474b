"""HTTP API of routing rules and templates: versioned, edited by admins, read by admins, auditors and plan
coordinators; a dry run of a rule for a sample event, and a template's preview."""
from __future__ import annotations

import copy

from flask import request, url_for
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate

from shared.endpoints import ETAG, IF_MATCH_PATTERN, ask, etag, if_match_version
from shared.idempotency import idempotent
from shared.refusals import VISIBLE
from shared.web import Blueprint

from services.notifications.adapters.catalog import event_fields, event_types
from services.notifications.domain import queries
from services.notifications.domain.commands import ChangeRule, ChangeTemplate, CreateRule, CreateTemplate
from services.notifications.domain.rule_data import AREA, ENDPOINT_ID, EVENT_TYPE, NAME, RULE_ID, rule_to_data
from services.notifications.domain.rules import CHANNELS, OPERATORS, UNIT_HEAD, UNIT_KIND
from services.notifications.domain.templates import LANGUAGES, TEMPLATE_ID, template_to_data
from services.plans.domain.model import UNIT_KINDS

rules_blp = Blueprint("rules", __name__, url_prefix="/api/v1",
                      description="Routing rules and notification templates, versioned; dry runs and previews")

NAMED = validate.Regexp(NAME.pattern, error="letters, digits and _, starting with a letter or _")
IDENTIFIER = validate.Regexp(RULE_ID.pattern, error="lower-case letters, digits and _, starting with a letter")
ESCALATE_TO = rf"^({UNIT_HEAD}|{UNIT_KIND}({'|'.join(UNIT_KINDS)}))$"
SCALAR_TYPES = [{"type": "string", "maxLength": 200}, {"type": "number"}, {"type": "boolean"}]
RULE_PATH = f'matching("{RULE_ID.pattern.strip("^$")}"):rule_id'
TEMPLATE_PATH = f'matching("{TEMPLATE_ID.pattern.strip("^$")}"):template_id'
"""A rule's or template's id in a path: `dry-run` and `preview`, which no id can be, are routes of their own."""
SCALAR_DOC = {"oneOf": [*SCALAR_TYPES, {"type": "array", "maxItems": 100, "items": {"oneOf": SCALAR_TYPES}}]}


def _names(pattern=NAMED, **kwargs):
    return fields.List(fields.String(validate=pattern), validate=validate.Length(max=100), **kwargs)


class ScalarOrList(fields.Field):
    """Text, a number, true/false, or a list of them: what an event field holds and a condition compares."""

    def _deserialize(self, value, attr, data, **kwargs):
        items = value if isinstance(value, list) else [value]
        if isinstance(value, list) and len(value) > 100:
            raise ValidationError("at most 100 items")
        for item in items:
            if not isinstance(item, (str, int, float, bool)) or (isinstance(item, str) and len(item) > 200):
                raise ValidationError("text of at most 200 characters, a number, true/false, or a list of them")
        return value


class ConditionSchema(Schema):
    field = fields.String(required=True, validate=NAMED, metadata={"description": "A field of the event's data"})
    op = fields.String(load_default="eq", validate=validate.OneOf(OPERATORS))
    value = ScalarOrList(allow_none=True, metadata={
        **SCALAR_DOC, "description": "Compared with the field: a list for `in` and `not_in`; none for `present` "
                                     "and `absent`"})


class LevelSchema(Schema):
    after_minutes = fields.Integer(required=True, validate=validate.Range(0, 7 * 24 * 60))
    to = fields.String(required=True, validate=validate.Regexp(ESCALATE_TO), metadata={
        "description": "`unit_head` (the heads of the recipient unit) or `unit_kind:<kind>` (the units of that "
                       "kind covering the alert's area)"})


class EscalationSchema(Schema):
    levels = fields.List(fields.Nested(LevelSchema), required=True, validate=validate.Length(1, 10))
    repeat = fields.Integer(load_default=1, validate=validate.Range(1, 10))


class RuleBody(Schema):
    """A rule as an admin writes it; what is left out takes its default."""
    event_type = fields.String(required=True, validate=validate.Regexp(EVENT_TYPE.pattern), metadata={
        "description": "An event cases or plans publish, e.g. `cases.case.relapse_suspected`"})
    category = fields.String(required=True, validate=IDENTIFIER)
    subject_type = fields.String(required=True, validate=NAMED, metadata={"description": "e.g. `case`, `task`"})
    subject_field = fields.String(required=True, validate=NAMED, metadata={
        "description": "The event field naming the alert's subject, e.g. `case_id`"})
    template = fields.String(required=True, validate=IDENTIFIER, metadata={"description": "A stored template"})
    enabled = fields.Boolean(load_default=True)
    description = fields.String(validate=validate.Length(max=2000))
    area_scope = _names(validate.Regexp(AREA.pattern, error="a province (2 digits) or commune (5 digits) code"),
                        metadata={"description": "Areas the rule is limited to; none: everywhere"})
    conditions = fields.List(fields.Nested(ConditionSchema), validate=validate.Length(max=20))
    unit_kinds = fields.List(fields.String(validate=validate.OneOf(UNIT_KINDS)), validate=validate.Length(max=20),
                             metadata={"description": "Units of these kinds whose areas cover the event's area"})
    unit_fields = _names(metadata={"description": "Event fields naming recipient units"})
    area_field = fields.String(allow_none=True, validate=NAMED, metadata={
        "description": "An event field holding the area the alert is about, instead of the event's"})
    roles = _names(metadata={"description": "E-mail and SMS reach only members holding one of these roles"})
    endpoints = _names(validate.Regexp(ENDPOINT_ID.pattern), metadata={"description": "Agency webhook endpoints (needs the webhook channel)"})
    channels = fields.List(fields.String(validate=validate.OneOf(CHANNELS)), validate=validate.Length(1, 4))
    urgent = fields.Boolean(load_default=False)
    ack_required = fields.Boolean(load_default=False)
    ack_due_field = fields.String(allow_none=True, validate=NAMED, metadata={
        "description": "An event field holding a legal deadline for the acknowledgement"})
    escalation = fields.Nested(EscalationSchema, metadata={"description": "Left out: the alert does not escalate"})
    resolved_by = fields.List(fields.String(validate=validate.Regexp(EVENT_TYPE.pattern)),
                              validate=validate.Length(max=20))
    resolve_fields = _names()
    group_window_minutes = fields.Integer(validate=validate.Range(0, 24 * 60))


class RuleCreateIn(RuleBody):
    id = fields.String(required=True, validate=IDENTIFIER)


class RuleOut(Schema):
    id = fields.String()
    version = fields.Integer()
    event_type = fields.String()
    category = fields.String()
    subject_type = fields.String()
    subject_field = fields.String()
    template = fields.String()
    enabled = fields.Boolean()
    description = fields.String()
    area_scope = fields.List(fields.String())
    conditions = fields.List(fields.Nested(ConditionSchema))
    unit_kinds = fields.List(fields.String())
    unit_fields = fields.List(fields.String())
    area_field = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    endpoints = fields.List(fields.String())
    channels = fields.List(fields.String())
    urgent = fields.Boolean()
    ack_required = fields.Boolean()
    ack_due_field = fields.String(allow_none=True)
    escalation = fields.Nested(EscalationSchema, metadata={"description": "Absent when the alert does not escalate"})
    resolved_by = fields.List(fields.String())
    resolve_fields = fields.List(fields.String())
    group_window_minutes = fields.Integer()
    saved_at = fields.DateTime()
    saved_by = fields.String()


class RuleQuery(Schema):
    event_type = fields.String(validate=validate.Regexp(EVENT_TYPE.pattern))


EventDataIn = Schema.from_dict(
    {name: ScalarOrList(allow_none=True, metadata=SCALAR_DOC)
     for name in sorted(set().union(*(event_fields(event_type) for event_type in event_types())))},
    name="EventDataIn")
"""The fields routable events carry, each a property of its own, so the document names the keys a sample may
have (OpenAPI 3.0 cannot constrain the keys of a free object, and keys with `.` or `$` are refused before any
view runs)."""


class EventIn(Schema):
    type = fields.String(required=True, validate=validate.OneOf(event_types()))
    area_code = fields.String(validate=validate.Regexp(AREA.pattern), metadata={
        "description": "The area the event is about (a commune's 5 digits or the province's 2)"})
    data = fields.Nested(EventDataIn, load_default=dict, metadata={
        "description": "The event's data fields, among those of the routable events; a field this event type "
                       "does not carry is ignored and named in `ignored_fields`"})


class DryRunIn(Schema):
    rule_id = fields.String(validate=IDENTIFIER, metadata={"description": "A stored rule (or send `rule`)"})
    rule = fields.Nested(RuleCreateIn, metadata={"description": "An unsaved rule (or name `rule_id`)"})
    event = fields.Nested(EventIn, required=True)


class SmsLengthOut(Schema):
    encoding = fields.String(metadata={"description": "GSM-7 or UCS-2 (Vietnamese with diacritics)"})
    characters = fields.Integer(metadata={"description": "Septets (GSM-7) or UTF-16 units (UCS-2)"})
    segments = fields.Integer()


class RenderingOut(Schema):
    channel = fields.String()
    language = fields.String()
    subject = fields.String(allow_none=True)
    text = fields.String(allow_none=True)
    html = fields.String(allow_none=True)
    sms_length = fields.Nested(SmsLengthOut, metadata={"description": "SMS only"})
    error = fields.String(allow_none=True, metadata={"description": "Why this one could not be rendered"})


class AddresseeOut(Schema):
    target = fields.String(metadata={"description": "`unit:<code>`, `member:<subject>`"})
    address = fields.String()
    language = fields.String()
    send_at = fields.DateTime(allow_none=True, metadata={"description": "Later than now in quiet hours"})
    digest = fields.Boolean()


class ChannelReachOut(Schema):
    channel = fields.String()
    addressees = fields.List(fields.Nested(AddresseeOut), allow_none=True, metadata={
        "description": "null where the member directory is not wired in: units and channels only"})


class RecipientOut(Schema):
    unit = fields.String()
    channels = fields.List(fields.Nested(ChannelReachOut))


class EscalationStepOut(Schema):
    step = fields.Integer()
    level = fields.Integer()
    round = fields.Integer()
    at = fields.DateTime(metadata={"description": "When the step would be taken, unacknowledged"})
    to = fields.String()
    units = fields.List(fields.String(), metadata={"description": "Whose heads (unit_head) or which units"})


class DryRunOut(Schema):
    rule_id = fields.String()
    rule_version = fields.Integer(allow_none=True, metadata={"description": "null for an unsaved rule"})
    event_type = fields.String()
    applies = fields.Boolean()
    reasons = fields.List(fields.String(), metadata={"description": "Why it does not apply"})
    area_code = fields.String(allow_none=True)
    urgent = fields.Boolean()
    ack_required = fields.Boolean()
    ack_due_at = fields.DateTime(allow_none=True)
    recipients = fields.List(fields.Nested(RecipientOut))
    endpoints = fields.List(fields.String())
    escalation = fields.List(fields.Nested(EscalationStepOut))
    renderings = fields.List(fields.Nested(RenderingOut))
    addressees_known = fields.Boolean(metadata={"description": "Whether members were looked up per channel"})
    ignored_fields = fields.List(fields.String())


class VariantSchema(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    subject = fields.String(allow_none=True, validate=validate.Length(max=500), metadata={
        "description": "Required for in_app (the title) and email; not used by sms and webhook"})
    text = fields.String(required=True, validate=[validate.Length(min=1, max=10000),
                                                  validate.Regexp(VISIBLE, error="the text is required")])
    html = fields.String(allow_none=True, validate=validate.Length(max=50000), metadata={"description": "email only"})


class TemplateBody(Schema):
    variants = fields.List(fields.Nested(VariantSchema), required=True, validate=validate.Length(1, 16), metadata={
        "description": "One per channel and language; every channel needs its Vietnamese variant"})


class TemplateCreateIn(TemplateBody):
    id = fields.String(required=True, validate=validate.Regexp(TEMPLATE_ID.pattern))


class TemplateOut(Schema):
    id = fields.String()
    version = fields.Integer()
    variants = fields.List(fields.Nested(VariantSchema))
    saved_at = fields.DateTime()
    saved_by = fields.String()


class PreviewIn(Schema):
    template_id = fields.String(validate=validate.Regexp(TEMPLATE_ID.pattern), metadata={
        "description": "A stored template (or send `template`)"})
    template = fields.Nested(TemplateCreateIn, metadata={"description": "An unsaved template (or `template_id`)"})
    event = fields.Nested(EventIn, required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    language = fields.String(load_default="vi", validate=validate.OneOf(LANGUAGES))


class PreviewOut(RenderingOut):
    template_id = fields.String()
    template_version = fields.Integer()
    ignored_fields = fields.List(fields.String())


REQUIRED_IF_MATCH = {"in": "header", "name": "If-Match", "required": True,
                     "schema": {"type": "string", "pattern": IF_MATCH_PATTERN},
                     "description": 'The ETag of the version you changed, e.g. "3"; `*` for whatever is current. '
                                    "If another change was saved since, nothing is written and the answer is 412; "
                                    "without the header, 428."}


def requires_if_match(view):
    view._apidoc = copy.deepcopy(getattr(view, "_apidoc", {}))
    arguments = view._apidoc.setdefault("arguments", {})
    arguments.setdefault("parameters", []).append(dict(REQUIRED_IF_MATCH))
    responses = arguments.setdefault("responses", {})
    responses[412] = "PRECONDITION_FAILED"
    responses[428] = "PRECONDITION_REQUIRED"
    return view


def _if_match() -> tuple[int | None, bool]:
    return if_match_version(), "If-Match" in request.headers


def _without_none(data: dict, *keys: str) -> dict:
    return {k: v for k, v in data.items() if not (k in keys and v is None)}


def _rule_out(saved) -> dict:
    return {**_without_none(rule_to_data(saved.item), "escalation"), "saved_at": saved.saved_at,
            "saved_by": saved.saved_by}


def _template_out(saved) -> dict:
    return {**template_to_data(saved.item), "saved_at": saved.saved_at, "saved_by": saved.saved_by}


def _rendering_out(rendering: dict) -> dict:
    return _without_none(rendering, "sms_length")


@rules_blp.route("/rules")
class Rules(MethodView):
    @rules_blp.arguments(RuleQuery, location="query")
    @rules_blp.response(200, RuleOut(many=True))
    @rules_blp.paginate()
    def get(self, query, pagination_parameters):
        """The current version of every routing rule, by id (admins, auditors, plan coordinators)"""
        rows, total = ask(queries.ListRules(query.get("event_type"), pagination_parameters.first_item,
                                            pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return [_rule_out(saved) for saved in rows]

    @idempotent
    @rules_blp.arguments(RuleCreateIn)
    @rules_blp.response(201, RuleOut, headers=ETAG)
    def post(self, body):
        """Add a routing rule, checked against the events, templates and unit kinds it names (admins; accepts
        Idempotency-Key)"""
        saved = ask(CreateRule(body))
        return _rule_out(saved), 201, {**etag(saved.item.version),
                                       "Location": url_for("rules.Rule", rule_id=saved.item.id)}


@rules_blp.route("/rules/dry-run")
class RuleDryRun(MethodView):
    @rules_blp.arguments(DryRunIn)
    @rules_blp.response(200, DryRunOut)
    def post(self, body):
        """Who would get what, by which channel, if this event happened now: for a stored or an unsaved rule.
        Nothing is stored or sent."""
        result = ask(queries.DryRunRule(body["event"], body.get("rule_id"), body.get("rule")))
        answer = dict(vars(result))
        answer["renderings"] = [_rendering_out(r) for r in result.renderings]
        return answer


@rules_blp.route(f"/rules/<{RULE_PATH}>")
class Rule(MethodView):
    @rules_blp.response(200, RuleOut, headers=ETAG)
    def get(self, rule_id):
        """A rule's current version"""
        saved = ask(queries.ReadRule(rule_id))
        return _rule_out(saved), 200, etag(saved.item.version)

    @requires_if_match
    @rules_blp.arguments(RuleBody)
    @rules_blp.response(200, RuleOut, headers=ETAG)
    def put(self, body, rule_id):
        """Save the rule's next version, from the version you read (If-Match; admins)"""
        expected, sent = _if_match()
        saved = ask(ChangeRule(rule_id, body, expected, sent))
        return _rule_out(saved), 200, etag(saved.item.version)


@rules_blp.route(f"/rules/<{RULE_PATH}>/versions")
class RuleVersions(MethodView):
    @rules_blp.response(200, RuleOut(many=True))
    @rules_blp.paginate()
    def get(self, rule_id, pagination_parameters):
        """Every version of a rule, oldest first: who saved which and when"""
        rows, total = ask(queries.RuleHistory(rule_id, pagination_parameters.first_item,
                                              pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return [_rule_out(saved) for saved in rows]


@rules_blp.route(f"/rules/<{RULE_PATH}>/versions/<int:version>")
class RuleVersion(MethodView):
    @rules_blp.response(200, RuleOut)
    def get(self, rule_id, version):
        """One version of a rule"""
        return _rule_out(ask(queries.ReadRule(rule_id, version)))


@rules_blp.route("/templates")
class Templates(MethodView):
    @rules_blp.response(200, TemplateOut(many=True))
    @rules_blp.paginate()
    def get(self, pagination_parameters):
        """The current version of every template, by id"""
        rows, total = ask(queries.ListTemplates(pagination_parameters.first_item, pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return [_template_out(saved) for saved in rows]

    @idempotent
    @rules_blp.arguments(TemplateCreateIn)
    @rules_blp.response(201, TemplateOut, headers=ETAG)
    def post(self, body):
        """Add a template; it must compile and name only what its channels may show (admins; accepts
        Idempotency-Key)"""
        saved = ask(CreateTemplate(body))
        return _template_out(saved), 201, {**etag(saved.item.version),
                                           "Location": url_for("rules.Template", template_id=saved.item.id)}


@rules_blp.route("/templates/preview")
class TemplatePreview(MethodView):
    @rules_blp.arguments(PreviewIn)
    @rules_blp.response(200, PreviewOut)
    def post(self, body):
        """A stored or unsaved template rendered for a sample event on one channel, with an SMS's encoding and
        segments. Nothing is stored or sent."""
        return _rendering_out(ask(queries.PreviewTemplate(body["event"], body["channel"], body["language"],
                                                          body.get("template_id"), body.get("template"))))


@rules_blp.route(f"/templates/<{TEMPLATE_PATH}>")
class Template(MethodView):
    @rules_blp.response(200, TemplateOut, headers=ETAG)
    def get(self, template_id):
        """A template's current version"""
        saved = ask(queries.ReadTemplate(template_id))
        return _template_out(saved), 200, etag(saved.item.version)

    @requires_if_match
    @rules_blp.arguments(TemplateBody)
    @rules_blp.response(200, TemplateOut, headers=ETAG)
    def put(self, body, template_id):
        """Save the template's next version, from the version you read (If-Match; admins)"""
        expected, sent = _if_match()
        saved = ask(ChangeTemplate(template_id, body, expected, sent))
        return _template_out(saved), 200, etag(saved.item.version)


@rules_blp.route(f"/templates/<{TEMPLATE_PATH}>/versions")
class TemplateVersions(MethodView):
    @rules_blp.response(200, TemplateOut(many=True))
    @rules_blp.paginate()
    def get(self, template_id, pagination_parameters):
        """Every version of a template, oldest first"""
        rows, total = ask(queries.TemplateHistory(template_id, pagination_parameters.first_item,
                                                  pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return [_template_out(saved) for saved in rows]


@rules_blp.route(f"/templates/<{TEMPLATE_PATH}>/versions/<int:version>")
class TemplateVersion(MethodView):
    @rules_blp.response(200, TemplateOut)
    def get(self, template_id, version):
        """One version of a template"""
        return _template_out(ask(queries.ReadTemplate(template_id, version)))
