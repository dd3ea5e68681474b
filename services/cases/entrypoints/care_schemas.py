"""Request and response schemas of follow-up, support and methadone records."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.cases.domain.care import (FOLLOW_UP_DAYS, FUNDING_SOURCES, MAX_AMOUNT_VND, SUPPORT_KINDS, VISIT_KINDS,
                                        VISIT_OUTCOMES)
from services.cases.domain.ost import BREACH_KINDS, MAX_DOSE_MG, PHASES
from services.cases.entrypoints.fields import written_reason

NOTES = validate.Length(min=1, max=4000)


class FollowUpIn(Schema):
    every_days = fields.Integer(required=True, strict=True, validate=validate.Range(*FOLLOW_UP_DAYS))
    first_on = fields.Date(required=True)


class VisitIn(Schema):
    visited_on = fields.Date(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(VISIT_KINDS))
    outcome = fields.String(required=True, validate=validate.OneOf(VISIT_OUTCOMES))
    notes = fields.String(validate=NOTES, metadata={"description": "encrypted at rest; support section only"})


class SupportIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(SUPPORT_KINDS))
    provided_on = fields.Date(required=True)
    amount_vnd = fields.Integer(strict=True, validate=validate.Range(1, MAX_AMOUNT_VND),
                                metadata={"description": "required for social_support and loan"})
    funding_source = fields.String(validate=validate.OneOf(FUNDING_SOURCES),
                                   metadata={"description": "required for social_support and loan"})
    details = fields.String(validate=NOTES, metadata={"description": "course, employer, counselling notes; "
                                                                     "encrypted at rest"})


class OstPhaseIn(Schema):
    phase = fields.String(required=True, validate=validate.OneOf(PHASES))
    effective_on = fields.Date(required=True)


class DoseIn(Schema):
    given_on = fields.Date(required=True)
    missed = fields.Boolean(load_default=False)
    dose_mg = fields.Float(allow_nan=False, validate=validate.Range(0, MAX_DOSE_MG, min_inclusive=False),
                           metadata={"description": "required unless missed"})


class BreachIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(BREACH_KINDS))
    occurred_on = fields.Date(required=True)
    description = fields.String(validate=NOTES)


class DismissIn(Schema):
    reason = written_reason()


class FollowUpOut(Schema):
    every_days = fields.Integer()
    planned_by = fields.String()


class VisitOut(Schema):
    visit_id = fields.String()
    visited_on = fields.String()
    kind = fields.String()
    outcome = fields.String()
    recorded_by = fields.String()
    notes = fields.String(allow_none=True)


class SupportOut(Schema):
    support_id = fields.String()
    kind = fields.String()
    provided_on = fields.String()
    recorded_by = fields.String()
    amount_vnd = fields.Integer(allow_none=True)
    funding_source = fields.String(allow_none=True)
    details = fields.String(allow_none=True)


class BreachOut(Schema):
    breach_id = fields.String()
    kind = fields.String()
    occurred_on = fields.String()
    recorded_by = fields.String()
    description = fields.String(allow_none=True)


class ProposalOut(Schema):
    proposal_id = fields.String()
    ground = fields.String()
    evidence = fields.List(fields.String())
    proposed_on = fields.String()
    clinic_unit = fields.String(allow_none=True)
    status = fields.String()
    dismissed_by = fields.String()


class TherapyOut(Schema):
    admitted_on = fields.Date()
    clinic_unit = fields.String(allow_none=True)
    phase = fields.String()
    phase_since = fields.Date(allow_none=True)
    maintenance_since = fields.Date(allow_none=True)
    last_dose_on = fields.Date(allow_none=True)
    missed_doses_last_30_days = fields.Integer()
    breaches = fields.List(fields.Nested(BreachOut))
    termination_proposals = fields.List(fields.Nested(ProposalOut))


class DoseOut(Schema):
    dose_id = fields.String()
    given_on = fields.Date()
    missed = fields.Boolean()
    dose_mg = fields.Float(allow_none=True)
    recorded_by = fields.String()
