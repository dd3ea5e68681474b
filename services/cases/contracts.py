"""The events the cases service publishes: one marshmallow schema per (type, schema_version).

Consumers import this module and validate what they receive with it; tests/integration/test_contracts.py proves
every event the service stores satisfies it. Unknown data fields are tolerated (EXCLUDE) so a field can be added
without breaking consumers; removing or retyping one needs a new schema_version. Each workflow step is published
under its own type, the `emits` of a transition in the workflow files (services/cases/workflows/*.yaml).
"""
from __future__ import annotations

from pathlib import Path

import yaml
from marshmallow import fields, validate

from shared.contracts import AREA_CODE, EventData

from services.cases.domain.events import DUE_TYPES
from services.cases.domain.sharing import SHARING_TYPES

WORKFLOWS = Path(__file__).resolve().parent / "workflows"


def workflow_step_types(directory: Path = WORKFLOWS) -> tuple[str, ...]:
    """The type of every step the workflow files define (adapters/workflow_files.py validates the files)."""
    steps: set[str] = set()
    for path in sorted(directory.glob("*.yaml")):
        steps |= {t["emits"] for t in yaml.safe_load(path.read_text(encoding="utf-8"))["transitions"]}
    return tuple(sorted(steps))


class CaseOpenedV1(EventData):
    case_id = fields.String(required=True)
    case_number = fields.String(required=True)
    person_code = fields.String(required=True)
    commune_code = fields.String(required=True, validate=AREA_CODE)
    regime = fields.String(required=True)
    stage = fields.String(required=True)
    opened_on = fields.Date(required=True)


class CaseWorkerAssignedV1(EventData):
    case_id = fields.String(required=True)
    commune_code = fields.String(required=True, validate=AREA_CODE)
    worker_id = fields.String(required=True)


class CaseTransitionedV1(EventData):
    """Every step of the legal workflow; the type names the step (each transition's `emits` in the workflow
    files)."""
    case_id = fields.String(required=True)
    case_number = fields.String(required=True)
    person_code = fields.String(required=True)
    commune_code = fields.String(required=True, validate=AREA_CODE)
    regime = fields.String(required=True)
    transition = fields.String(required=True)
    from_stage = fields.String(required=True)
    to_stage = fields.String(required=True)
    effective_on = fields.Date(required=True)
    decision_number = fields.String(allow_none=True, load_default=None)
    reason_code = fields.String(allow_none=True, load_default=None)
    due = fields.Dict(keys=fields.String(), values=fields.Date(), required=True)


class CaseDueNoticeV1(EventData):
    case_id = fields.String(required=True)
    case_number = fields.String(required=True)
    commune_code = fields.String(required=True, validate=AREA_CODE)
    due_name = fields.String(required=True)
    due_on = fields.Date(required=True)


class DrugTestRecordedV1(EventData):
    """That a test was done; its result and substances stay in the cases service."""
    case_id = fields.String(required=True)
    case_number = fields.String(required=True)
    commune_code = fields.String(required=True, validate=AREA_CODE)
    test_id = fields.String(required=True)
    tested_on = fields.Date(required=True)


class RelapseSuspectedV1(EventData):
    case_id = fields.String(required=True)
    case_number = fields.String(required=True)
    commune_code = fields.String(required=True, validate=AREA_CODE)
    stage = fields.String(required=True)
    tested_on = fields.Date(required=True)


class AccessEscalatedV1(EventData):
    """Break the glass: someone opened a protected section of a case; for auditors."""
    grant_id = fields.String(required=True)
    case_id = fields.String(required=True)
    commune_code = fields.String(required=True, validate=AREA_CODE)
    subject = fields.String(required=True)
    role = fields.String(required=True)
    section = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)
    reason_code = fields.String(allow_none=True, load_default=None)


class CaseSharedV1(EventData):
    """Referrals (another unit gets access) and transfers (another commune takes ownership)."""
    case_id = fields.String(required=True)
    case_number = fields.String(required=True)
    commune_code = fields.String(required=True, validate=AREA_CODE)
    share_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["referral", "transfer"]))
    to_unit = fields.String(allow_none=True, load_default=None)
    to_commune = fields.String(allow_none=True, load_default=None, validate=AREA_CODE)
    status = fields.String(required=True)
    reason_code = fields.String(allow_none=True, load_default=None)
    notify_police_by = fields.AwareDateTime(allow_none=True, load_default=None)


class SupportRecordedV1(EventData):
    """Support given to a person; counted by the plans' indicators (people trained, placed; resources mobilised).
    The details (course, employer, counselling notes) stay in the cases service."""
    case_id = fields.String(required=True)
    commune_code = fields.String(required=True, validate=AREA_CODE)
    person_code = fields.String(required=True)
    support_id = fields.String(required=True)
    kind = fields.String(required=True)
    provided_on = fields.Date(required=True)
    amount_vnd = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1))
    funding_source = fields.String(allow_none=True, load_default=None)


class OstTerminationProposedV1(EventData):
    """A methadone termination rule is met: the clinic's doctor must decide. The ground stays in the service."""
    case_id = fields.String(required=True)
    case_number = fields.String(required=True)
    commune_code = fields.String(required=True, validate=AREA_CODE)
    proposal_id = fields.String(required=True)
    proposed_on = fields.Date(required=True)
    clinic_unit = fields.String(allow_none=True, load_default=None)


CONTRACTS = {
    ("cases.case.opened", 1): CaseOpenedV1,
    ("cases.case.worker_assigned", 1): CaseWorkerAssignedV1,
    ("cases.case.drug_test_recorded", 1): DrugTestRecordedV1,
    ("cases.case.relapse_suspected", 1): RelapseSuspectedV1,
    ("cases.case.support_recorded", 1): SupportRecordedV1,
    ("cases.ost.termination_proposed", 1): OstTerminationProposedV1,
    ("cases.access.escalated", 1): AccessEscalatedV1,
    **{(event_type, 1): CaseSharedV1 for event_type in SHARING_TYPES},
    **{(event_type, 1): CaseDueNoticeV1 for event_type in DUE_TYPES},
    **{(event_type, 1): CaseTransitionedV1 for event_type in workflow_step_types()},
}
