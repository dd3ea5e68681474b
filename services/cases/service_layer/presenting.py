"""A case as one caller may see it: the sections of the caller's roles plus any opened by break-the-glass, the
person's fields, drug tests, follow-up, support and therapy cut down to those sections, sealed text opened."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from shared.auth import Principal
from shared.clock import Clock

from services.cases.domain.access import (CLINICAL, IDENTITY, IDENTITY_CONTACT, LEGAL, SUPPORT, section_of,
                                          sections_of)
from services.cases.domain.alerts import CaseAlertLog, noted_type
from services.cases.domain.model import Case
from services.cases.domain.person import PersonRecord
from services.cases.service_layer.ports import CaseViews, PeopleRegister
from services.cases.service_layer.sealing import CaseSeal

MISSED_DOSE_WINDOW_DAYS = 30


@dataclass(frozen=True)
class CaseView:
    case: Case
    person: dict | None
    drug_tests: list[dict]
    care: dict
    alerts: dict = field(default_factory=dict)
    disclosures: dict = field(default_factory=dict)
    sections: frozenset[str] = frozenset()
    included: dict = field(default_factory=dict)
    """What a read asked for with the case (its history, the steps the caller may take)."""


def visible_person(person: PersonRecord | None, sections: set[str]) -> dict | None:
    """The person's fields the caller's sections allow; nothing at all without IDENTITY."""
    if person is None or IDENTITY not in sections:
        return None
    shown = {"person_code": person.person_code, "full_name": person.full_name, "birth_date": person.birth_date,
             "sex": person.sex, "residence_code": person.residence_code, "merged_into": person.merged_into}
    if IDENTITY_CONTACT in sections:
        shown.update(national_id=person.national_id, phone=person.phone, address=person.address,
                     guardian=vars(person.guardian) if person.guardian else None)
    return shown


class Presenter:
    def __init__(self, views: CaseViews, people: PeopleRegister, seal: CaseSeal, clock: Clock):
        self.views, self.people, self.seal, self.clock = views, people, seal, clock

    def sections(self, principal: Principal, case: Case, grants: list | None = None) -> set[str]:
        """The sections the caller's roles and relationship to the case open (`access.sections_of`), plus any
        the caller opened by break-the-glass, not yet expired nor revoked (of `grants`, the case's
        `views.grants_on`, read here when not given)."""
        grants = self.views.grants_on(case.id) if grants is None else grants
        now = self.clock.now()
        opened = {g.escalated.section for g in grants if g.escalated.subject == principal.subject
                  and g.open_until() > now}
        return sections_of(principal, case, self.clock.today()) | opened

    def __call__(self, case: Case, principal: Principal, person: PersonRecord | None = None,
                 new: bool = False) -> CaseView:
        """The case as `principal` may see it; `view.sections` are the sections it shows, which the audit names.
        A `new` case (just opened under a new id) has no break-the-glass grant nor alert yet: neither is asked."""
        grants = [] if new else self.views.grants_on(case.id)
        sections = self.sections(principal, case, grants)
        tests = [self._test(case, t, sections) for t in case.drug_tests] if LEGAL in sections else []
        if IDENTITY in sections and person is None:
            person = self.people.get(case.person_code)
        return CaseView(case, visible_person(person, sections), tests, self._care(case, sections),
                        self._alerts(case, sections, CaseAlertLog(case.id) if new else None),
                        self._disclosures(case, sections, grants), frozenset(sections))

    def _alerts(self, case: Case, sections: set[str], log: CaseAlertLog | None = None) -> dict:
        """The police notification of a transfer and the alerts awaiting acknowledgement, for the legal section,
        from the case's alert log (none noted: none shown); an alert of a section the caller may not see
        (methadone) is left out."""
        if LEGAL not in sections:
            return {}
        log, now = log or self.views.alert_log(case.id) or CaseAlertLog(case.id), self.clock.now()
        return {"police_notification": log.police_notification(now, case.shares),
                "alerts": log.open_alerts(now, lambda category: section_of(noted_type(category)) in sections)}

    def _disclosures(self, case: Case, sections: set[str], grants: list) -> dict:
        """With the legal section: the consents on record and every break-the-glass opening of the case, so the
        person's record shows who read what by exception; its reason code (an overdose, an emergency) only with
        the clinical section, its written reason never (it stays in the case's log)."""
        if LEGAL not in sections:
            return {}
        return {"consents": [self._consent(case, consent_id, consent)
                             for consent_id, consent in case.consents.items()],
                "access_grants": [{"grant_id": g.id, "subject": g.escalated.subject, "role": g.escalated.role,
                                   "section": g.escalated.section,
                                   "reason_code": g.escalated.reason_code if CLINICAL in sections else None,
                                   "opened_at": g.escalated.opened_at, "expires_at": g.escalated.expires_at,
                                   "revoked_at": g.revoked.at if g.revoked else None}
                                  for g in grants]}

    def _consent(self, case: Case, consent_id: str, consent: dict) -> dict:
        record = {"consent_id": consent_id, **consent}
        if "reference_sealed" not in consent:
            return record
        return self._opened(case, "consent", record, "consent_id", "reference_sealed", "reference")

    def _test(self, case: Case, test: dict, sections: set[str]) -> dict:
        shown = {k: test[k] for k in ("test_id", "tested_on", "result", "tested_by")}
        if CLINICAL in sections:
            substances = self.seal.open(case, "test", test["test_id"], test.get("substances_sealed"))
            shown["findings"] = list(self.seal.test_findings(case, test))
            if substances:
                shown["substances"] = substances.split(",")
        return shown

    def _care(self, case: Case, sections: set[str]) -> dict:
        """Follow-up and visits for the legal section (notes only with support), support records for the support
        section, the methadone therapy for the clinical section."""
        care: dict = {}
        if LEGAL in sections:
            care["follow_up"] = case.follow_up
            care["visits"] = [self._opened(case, "visit", v, "visit_id", "notes_sealed", "notes", SUPPORT in sections)
                              for v in case.visits]
        if SUPPORT in sections:
            care["support"] = [self._opened(case, "support", s, "support_id", "details_sealed", "details")
                               for s in case.support]
        if CLINICAL in sections and case.therapy is not None:
            care["therapy"] = self._therapy(case)
        return care

    def _opened(self, case: Case, kind: str, record: dict, id_key: str, sealed_key: str, shown_key: str,
                show: bool = True) -> dict:
        """`record` without its sealed text, and with it opened under `shown_key` when `show`."""
        opened = {k: v for k, v in record.items() if k != sealed_key}
        if show:
            opened[shown_key] = self.seal.open(case, kind, record[id_key], record.get(sealed_key))
        return opened

    def _therapy(self, case: Case) -> dict:
        therapy = case.therapy
        window = self.clock.today() - timedelta(days=MISSED_DOSE_WINDOW_DAYS)
        return {"admitted_on": therapy.admitted_on, "clinic_unit": therapy.clinic_unit, "phase": therapy.phase,
                "phase_since": therapy.phase_since, "maintenance_since": therapy.maintenance_since,
                "last_dose_on": therapy.last_dose_on,
                "missed_doses_last_30_days": sum(1 for d in therapy.missed_on if d > window),
                "breaches": [self._opened(case, "breach", b, "breach_id", "description_sealed", "description")
                             for b in therapy.breaches],
                "termination_proposals": [{"proposal_id": pid, **p} for pid, p in therapy.proposals.items()]}


