"""The case counts: kept by the `cases.counts` consumer as cases open, move and change stage, and read by
province-wide lists and the counts by commune and stage."""
from __future__ import annotations

from shared.auth import Principal
from shared.errors import NotAuthorised, Unavailable
from shared.ports import AuditTrail

from services.cases.domain.access import CASE_READERS, LEGAL
from services.cases.domain.commands import CountCase, CountEachCase, RebuildCaseCounts
from services.cases.domain.counts import Placement
from services.cases.domain.queries import CountCases
from services.cases.service_layer.people import communes_in
from services.cases.service_layer.ports import CaseCounter
from services.cases.service_layer.unit_of_work import CaseUnitOfWork


def count_case(command: CountCase, principal: Principal | None, uow: CaseUnitOfWork, counts: CaseCounter) -> None:
    """Where the case is now, as its log says (not as the event that woke the consumer said: a late or repeated
    event then changes nothing)."""
    case = uow.cases.read(command.case_id)
    if case is not None and case.commune_code is not None:
        counts.place(case.id, Placement(case.commune_code, case.stage, case.opened_on.isoformat()))


def count_each_case(command: CountEachCase, principal: Principal | None, uow: CaseUnitOfWork,
                    counts: CaseCounter) -> None:
    """`count_case` for the cases of events that arrived together, read in a few queries."""
    for case in uow.cases.get_many(command.case_ids).values():
        if case.commune_code is not None:
            counts.place(case.id, Placement(case.commune_code, case.stage, case.opened_on.isoformat()))


def rebuild_case_counts(command: RebuildCaseCounts, principal: Principal | None, counts: CaseCounter,
                        province_code: str) -> int:
    return counts.rebuild(sorted(communes_in([province_code])))


def count_cases(query: CountCases, principal: Principal, counts: CaseCounter, audit: AuditTrail) -> dict:
    """By commune and stage within the caller's areas, and their totals: no case named, but a stage holding one
    or two cases of a commune says much about them, so the reading is audited as the lists are."""
    if not principal.has_role(*CASE_READERS):
        raise NotAuthorised("your role does not list cases")
    communes = communes_in(principal.areas)
    if query.commune_code is not None:
        communes &= {query.commune_code}
    found = counts.rows(communes)
    if not found and not counts.complete():
        raise Unavailable("the case counts are not made yet on this system (cases cli rebuild-counts)")
    audit.record(principal, "count", "case_counts", query.commune_code or ",".join(sorted(principal.areas)), {LEGAL})
    rows = sorted(found.values(), key=lambda row: row.commune_code)
    by_stage: dict[str, int] = {}
    for row in rows:
        for stage, count in row.stages.items():
            by_stage[stage] = by_stage.get(stage, 0) + count
    return {"communes": [{"commune_code": row.commune_code, "stages": dict(sorted(row.stages.items())),
                          "total": row.total()} for row in rows],
            "stages": dict(sorted(by_stage.items())), "total": sum(by_stage.values())}


HANDLERS = {CountCase: count_case, CountEachCase: count_each_case, RebuildCaseCounts: rebuild_case_counts,
            CountCases: count_cases}
