"""The cases service layer against fakes of the ports it owns (service_layer/ports.py, shared/ports.py): no
database, no broker. The same handlers run against the real adapters in tests/integration."""
from datetime import date

import pytest

from shared.auth import Principal
from shared.clock import Clock
from shared.errors import InvalidInput, NotAuthorised, NotFound, PreconditionFailed

from services.cases.domain.commands import AssignWorker
from services.cases.domain.model import Case
from services.cases.domain.queries import CaseFilters, ExportCases, ListCases, MyWork
from services.cases.domain.rules import DecisionInvalid
from services.cases.domain.counts import CommuneCount, OpeningSpan
from services.cases.service_layer.lists import Listing, export_cases, list_cases, my_work
from services.cases.service_layer.ports import CaseRow, OpenProposal
from services.cases.service_layer.unit_of_work import CaseUnitOfWork

OFFICER = Principal("cw", ("caseworker",), "UBX-22366", ("22366",))
CLINIC = Principal("bs", ("health_worker",), "PKMT", ("22366",))


class FakeRepository:
    def __init__(self, *aggregates):
        self.stored = {a.id: a for a in aggregates}
        self.saved = []

    def get(self, aggregate_id):
        return self.stored.get(aggregate_id)

    def save(self, aggregate, actor, causation_id=None, event_ids=None):
        self.saved.append((aggregate.id, [e.type for e in aggregate.pending], actor.id))
        aggregate.pending.clear()

    def exists(self, aggregate_id):
        return aggregate_id in self.stored


class FakeAudit:
    def __init__(self):
        self.entries, self.sections = [], []

    def record(self, principal, action, resource_type, resource_id, sections=(), outcome="allowed", purpose=None,
               intent=None):
        self.entries.append((action, resource_id, outcome))
        self.sections.append(set(sections))
        return f"entry-{len(self.entries)}"

    def record_many(self, principal, action, resource_type, resource_ids, sections=()):
        self.entries += [(action, resource_id, "allowed") for resource_id in resource_ids]


def row(case_id, commune, next_due_on, due=None):
    return CaseRow(id=case_id, version=3, case_number=f"N-{case_id}", person_code="P", commune_code=commune,
                   stage="user_management", regime="law-120-2025", opened_on="2026-08-01", assigned_worker="cw",
                   next_due_on=next_due_on, due=due or {"management_ends_on": next_due_on})


class FakeViews:
    def __init__(self, rows=(), proposals=()):
        self.rows, self.proposals, self.asked = list(rows), list(proposals), []

    def assigned_due(self, worker, horizon):
        self.asked.append(("assigned_due", worker, horizon))
        return [r for r in self.rows if r.next_due_on <= horizon.isoformat()]

    def open_proposals(self, clinic_unit):
        return [p for p in self.proposals if clinic_unit == "PKMT"]

    def page(self, communes, filters, person_codes, first, limit, after=None):
        self.asked.append(("page", tuple(communes), person_codes))
        return self.rows[first:first + limit], len(self.rows)

    def newest(self, communes, stage, first, limit, after, span):
        self.asked.append(("newest", tuple(communes), stage, span))
        return self.rows[first:first + limit]

    def person_codes(self, communes, name, national_id, limit=500):
        return ["P1"]


class FakeCounts:
    def __init__(self, *rows):
        self.stored = {row.commune_code: row for row in rows}

    def rows(self, communes):
        return {code: row for code, row in self.stored.items() if code in communes}


def listing(views, *counted, above=3000):
    return Listing(views, FakeCounts(*counted), above)


def opened_case(case_id="c1"):
    case = Case.open(case_id, "n", "P", "22366", date(2026, 8, 1), "user_management", "law-120-2025")
    case.pending.clear()
    return case


def test_my_work_splits_overdue_from_due_soon_within_the_callers_areas_and_audits_each():
    views = FakeViews([row("late", "22366", "2026-09-01"), row("soon", "22366", "2026-09-12"),
                       row("elsewhere", "22333", "2026-09-02")])
    audit = FakeAudit()
    work = my_work(MyWork(within_days=7), OFFICER, views, Clock(lambda: date(2026, 9, 10)), audit)
    assert [w["case_id"] for w in work["overdue"]] == ["late"]
    assert [w["case_id"] for w in work["due_soon"]] == ["soon"] and work["termination_proposals"] == []
    assert views.asked == [("assigned_due", "cw", date(2026, 9, 17))]
    assert audit.entries == [("my_work", "late", "allowed"), ("my_work", "soon", "allowed")]


def test_my_work_shows_a_clinic_its_open_termination_proposals():
    proposal = OpenProposal("c1", "N-c1", "p1", "protocol_breaches", "2026-09-02")
    work = my_work(MyWork(), CLINIC, FakeViews(proposals=[proposal]), Clock(lambda: date(2026, 9, 10)),
                   FakeAudit())
    assert work["termination_proposals"] == [vars(proposal)]


def test_a_name_search_is_narrowed_to_the_people_found_and_refused_to_roles_without_identity():
    views = FakeViews([row("c1", "22366", "2026-09-01")])
    rows, total = list_cases(ListCases(CaseFilters(q="nguyen")), OFFICER, listing(views), FakeAudit())
    assert total == 1 and views.asked[-1][2] == ["P1"] and "22366" in views.asked[-1][1]
    with pytest.raises(NotAuthorised):
        list_cases(ListCases(), Principal("pc", ("plan_coordinator",), None, ("56",)), listing(views), FakeAudit())


def test_a_large_province_wide_list_is_read_back_by_opening_day_with_its_total_from_the_counts():
    views, province = FakeViews([row("c1", "22366", "2026-09-01")]), Principal("pc", ("caseworker",), None, ("56",))
    counted = (CommuneCount("22366", {"user_management": 2000, "ost": 5}, "2024-01-02"),
               CommuneCount("22333", {"user_management": 1500}, "2023-05-06"), CommuneCount("22315"))
    rows, total = list_cases(ListCases(), province, listing(views, *counted), FakeAudit())
    assert total == 3505 and views.asked[-1][0] == "newest"
    assert views.asked[-1][3] == OpeningSpan("2023-05-06", "2024-01-02", 3505)
    rows, total = list_cases(ListCases(CaseFilters(stage="ost")), province, listing(views, *counted), FakeAudit())
    assert views.asked[-1][0] == "page", "5 cases in that stage: counted where they are, exact at once"
    list_cases(ListCases(CaseFilters(assigned_worker="cw")), province, listing(views, *counted), FakeAudit())
    assert views.asked[-1][0] == "page", "a selective filter is counted where it is"
    list_cases(ListCases(), province, listing(views, *counted, above=4000), FakeAudit())
    assert views.asked[-1][0] == "page"


def test_a_list_read_back_by_opening_day_is_not_walked_past_its_end_nor_too_deep_by_page():
    views, province = FakeViews([row("c1", "22366", "2026-09-01")]), Principal("pc", ("caseworker",), None, ("56",))
    large = CommuneCount("22366", {"user_management": 12000}, "2020-01-01", "2026-09-01")
    assert list_cases(ListCases(first=12000), province, listing(views, large), FakeAudit()) == ([], 12000)
    with pytest.raises(InvalidInput) as deep:
        list_cases(ListCases(first=5020), province, listing(views, large), FakeAudit())
    assert deep.value.errors and "page" in deep.value.errors
    assert views.asked == [], "neither walked"
    list_cases(ListCases(first=5020, after="2026-08-01/c9"), province, listing(views, large), FakeAudit())
    assert views.asked[-1][0] == "newest", "a position goes as deep as it likes"
    with pytest.raises(InvalidInput) as too_many:
        export_cases(ExportCases("inspection"), province, listing(views, large), None, FakeAudit(), 5000)
    assert "filters" in too_many.value.errors and views.asked[-1][0] == "newest" and len(views.asked) == 1


def test_a_change_at_a_stale_version_is_refused_and_nothing_is_saved_or_audited():
    cases, audit = FakeRepository(opened_case()), FakeAudit()
    uow = CaseUnitOfWork(cases, FakeRepository(), audit)
    with pytest.raises(PreconditionFailed):
        with uow.changing(AssignWorker("c1", "w", expected_version=0), OFFICER, ("caseworker",), "assign") as case:
            case.assign_worker("w")
    assert cases.saved == [] and audit.entries == []
    with uow.changing(AssignWorker("c1", "w", expected_version=1), OFFICER, ("caseworker",), "assign") as case:
        case.assign_worker("w")
    assert cases.saved == [("c1", ["cases.case.worker_assigned"], "cw")] and audit.entries == [
        ("assign", "c1", "intended"), ("assign", "c1", "allowed")]
    assert audit.sections == [{"identity", "contact", "legal", "support"}] * 2, "by default the caller's sections"


def test_a_case_outside_the_callers_jurisdiction_is_not_found_and_the_refusal_is_audited():
    audit = FakeAudit()
    uow = CaseUnitOfWork(FakeRepository(opened_case()), FakeRepository(), audit)
    elsewhere = Principal("cw2", ("caseworker",), "UBX-22333", ("22333",))
    with pytest.raises(NotFound):
        uow.visible("c1", elsewhere)
    assert audit.entries == [("read", "c1", "denied")]
    with pytest.raises(NotAuthorised):
        with uow.changing(AssignWorker("c1", "w"), CLINIC, ("caseworker",), "assign"):
            pass


def test_a_refusal_inside_the_block_saves_and_audits_nothing_and_names_the_field():
    cases, audit = FakeRepository(opened_case()), FakeAudit()
    uow = CaseUnitOfWork(cases, FakeRepository(), audit)
    with pytest.raises(InvalidInput) as invalid:
        with uow.changing(AssignWorker("c1", "w"), OFFICER, ("caseworker",), "assign") as case:
            case.assign_worker("w")
            raise DecisionInvalid("worker_id", "is on leave")
    assert invalid.value.errors == {"worker_id": ["is on leave"]}
    assert cases.saved == [] and audit.entries == []


def test_a_handlers_own_check_comes_before_the_version():
    uow = CaseUnitOfWork(FakeRepository(opened_case()), FakeRepository(), FakeAudit())

    def clinic_only(case):
        raise NotAuthorised("kept by the clinic")
    with pytest.raises(NotAuthorised):
        with uow.changing(AssignWorker("c1", "w", expected_version=0), OFFICER, ("caseworker",), "assign",
                          also=clinic_only):
            pass
