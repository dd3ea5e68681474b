"""Use cases of follow-up, support and methadone treatment (mixed into `CaseService`): authorise, seal the clinical
and support text, call the domain, save, audit."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from shared import audit
from shared.auth import Principal
from shared.crypto import FieldCipher
from shared.envelope import Actor
from shared.errors import NotAuthorised

from services.cases.domain.access import CLINICAL, LEGAL, SUPPORT
from services.cases.domain.commands import (ChangeOstPhase, DismissTermination, PlanFollowUp, RecordDose,
                                            RecordOstBreach, RecordSupport, RecordVisit)
from services.cases.domain.model import Case
from services.cases.domain.ost import OstDoseRecorded

CARE_ROLES = ("caseworker", "police_liaison")
SUPPORT_ROLES = ("caseworker",)
CLINICIANS = ("health_worker",)
OFFENCE_REPORTERS = ("health_worker", "police_liaison")
MISSED_DOSE_WINDOW_DAYS = 30


def _opened(cipher: FieldCipher, sealed: str | None, context: str) -> str | None:
    return cipher.decrypt(sealed, context) if sealed else None


def visible_care(case: Case, sections: set[str], cipher: FieldCipher, today: date) -> dict:
    """Follow-up and visits for the legal section (notes only with support), support records for the support
    section, the methadone therapy for the clinical section."""
    care: dict = {}
    if LEGAL in sections:
        care["follow_up"] = case.follow_up
        care["visits"] = [
            {**{k: v for k, v in visit.items() if k != "notes_sealed"},
             **({"notes": _opened(cipher, visit["notes_sealed"], f"case:{case.id}:visit:{visit['visit_id']}")}
                if SUPPORT in sections else {})}
            for visit in case.visits]
    if SUPPORT in sections:
        care["support"] = [
            {**{k: v for k, v in item.items() if k != "details_sealed"},
             "details": _opened(cipher, item["details_sealed"], f"case:{case.id}:support:{item['support_id']}")}
            for item in case.support]
    if CLINICAL in sections and case.therapy is not None:
        therapy = case.therapy
        window = today - timedelta(days=MISSED_DOSE_WINDOW_DAYS)
        care["therapy"] = {
            "admitted_on": therapy.admitted_on, "clinic_unit": therapy.clinic_unit, "phase": therapy.phase,
            "phase_since": therapy.phase_since,
            "maintenance_since": therapy.maintenance_since, "last_dose_on": therapy.last_dose_on,
            "missed_doses_last_30_days": sum(1 for d in therapy.missed_on if d > window),
            "breaches": [{**{k: v for k, v in b.items() if k != "description_sealed"},
                          "description": _opened(cipher, b["description_sealed"],
                                                 f"case:{case.id}:breach:{b['breach_id']}")}
                         for b in therapy.breaches],
            "termination_proposals": [{"proposal_id": pid, **p} for pid, p in therapy.proposals.items()]}
    return care


class TreatmentUseCases:
    """Needs from `CaseService`: cases, cipher, workflows, today, _visible, _act, _refused, _view, sections."""

    def _act_on_therapy(self, case_id: str, principal: Principal, roles) -> Case:
        """Methadone records are kept by the treating clinic (the unit that admitted the person); the police may
        add an offence."""
        case = self._act(case_id, principal, roles)
        clinic = case.therapy.clinic_unit if case.therapy else None
        if clinic and principal.unit != clinic and not principal.has_role("police_liaison"):
            raise NotAuthorised(f"methadone records of this case are kept by {clinic}")
        return case

    def _saved(self, case: Case, principal: Principal, action: str, sections: set[str]):
        self.cases.save(case, Actor.of(principal))
        audit.record(principal, action, "case", case.id, sections)
        return self._view(case, principal)

    def plan_follow_up(self, command: PlanFollowUp, principal: Principal):
        case = self._act(command.case_id, principal, CARE_ROLES)
        with self._refused():
            case.plan_follow_up(command.every_days, command.first_on, principal.subject, self.today())
        return self._saved(case, principal, "plan_follow_up", {LEGAL})

    def record_visit(self, command: RecordVisit, principal: Principal):
        case = self._act(command.case_id, principal, CARE_ROLES)
        visit_id = uuid.uuid4().hex
        notes = self.cipher.encrypt(command.notes, f"case:{case.id}:visit:{visit_id}") if command.notes else None
        with self._refused():
            case.record_visit(visit_id, command.visited_on, command.kind, command.outcome, principal.subject, notes,
                              self.today())
        return self._saved(case, principal, "record_visit", {LEGAL, SUPPORT} if notes else {LEGAL})

    def record_support(self, command: RecordSupport, principal: Principal):
        case = self._act(command.case_id, principal, SUPPORT_ROLES)
        support_id = uuid.uuid4().hex
        details = self.cipher.encrypt(command.details, f"case:{case.id}:support:{support_id}") \
            if command.details else None
        with self._refused():
            case.record_support(support_id, command.kind, command.provided_on, principal.subject,
                                command.amount_vnd, command.funding_source, details, self.today())
        return self._saved(case, principal, f"record_support:{command.kind}", {SUPPORT})

    def change_ost_phase(self, command: ChangeOstPhase, principal: Principal):
        case = self._act_on_therapy(command.case_id, principal, CLINICIANS)
        with self._refused():
            case.change_ost_phase(command.phase, command.effective_on, principal.subject, self.today())
        return self._saved(case, principal, "ost_phase", {CLINICAL})

    def record_dose(self, command: RecordDose, principal: Principal):
        case = self._act_on_therapy(command.case_id, principal, CLINICIANS)
        dose_id = uuid.uuid4().hex
        sealed = self.cipher.encrypt(f"{command.dose_mg:g}", f"case:{case.id}:dose:{dose_id}") \
            if command.dose_mg is not None else None
        with self._refused():
            case.record_dose(dose_id, command.given_on, command.missed, command.dose_mg, sealed, principal.subject,
                             self.today())
        return self._saved(case, principal, "ost_dose", {CLINICAL})

    def record_ost_breach(self, command: RecordOstBreach, principal: Principal):
        case = self._act_on_therapy(command.case_id, principal,
                                    CLINICIANS if command.kind == "protocol" else OFFENCE_REPORTERS)
        breach_id = uuid.uuid4().hex
        sealed = self.cipher.encrypt(command.description, f"case:{case.id}:breach:{breach_id}") \
            if command.description else None
        with self._refused():
            case.record_breach(breach_id, command.kind, command.occurred_on, sealed, principal.subject,
                               self.workflows[case.regime].ost_termination, self.today())
        return self._saved(case, principal, f"ost_breach:{command.kind}", {CLINICAL})

    def dismiss_termination(self, command: DismissTermination, principal: Principal):
        case = self._act_on_therapy(command.case_id, principal, CLINICIANS)
        with self._refused():
            case.dismiss_termination(command.proposal_id, principal.subject, command.reason)
        return self._saved(case, principal, "ost_termination_dismissed", {CLINICAL})

    def dose_log(self, case_id: str, principal: Principal) -> list[dict]:
        """Every dose given or missed, oldest first, read from the case's log (the snapshot keeps no doses)."""
        self._visible(case_id, principal)
        if CLINICAL not in self.sections(principal, case_id):
            audit.record(principal, "read_dose_log", "case", case_id, {CLINICAL}, outcome="denied")
            raise NotAuthorised("the dose log is clinical: health workers of the treating clinic only")
        audit.record(principal, "read_dose_log", "case", case_id, {CLINICAL})
        doses = []
        for envelope in self.cases.store.load(self.cases.stream_id(case_id)):
            if envelope.type != OstDoseRecorded.type:
                continue
            dose = OstDoseRecorded.from_data(envelope.data)
            doses.append({"dose_id": dose.dose_id, "given_on": dose.given_on, "missed": dose.missed,
                          "recorded_by": dose.recorded_by,
                          "dose_mg": float(self.cipher.decrypt(dose.dose_sealed, f"case:{case_id}:dose:{dose.dose_id}"))
                          if dose.dose_sealed else None})
        return doses
