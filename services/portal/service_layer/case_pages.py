"""The case pages' reads: the search and the case page, each through the cases API with the person's own token.
The portal shows what the API answered for the person's role and adds nothing: a field the API left out is not on
the page. Stage codes get the workflows' Vietnamese and English names when the workflows answer, else stay codes."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from services.portal.domain.case_actions import StepForm, step_form
from services.portal.domain.case_pages import CASE_PAGE_SIZE
from services.portal.domain.queries import ReadCasePage, ReadStageNames, SearchCases
from services.portal.domain.pages import ServiceProblem, day_of, moment_of
from services.portal.service_layer.pages import ServicesApi, _pagination


@dataclass(frozen=True)
class StageName:
    code: str
    vi: str
    en: str

    def in_(self, language: str) -> str:
        return (self.en if language == "en" else self.vi) or self.code


@dataclass(frozen=True)
class CaseRow:
    id: str
    case_number: str
    commune_code: str
    stage: StageName
    opened_on: date | None


@dataclass(frozen=True)
class CaseResults:
    rows: list[CaseRow]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class TimelineStep:
    type: str
    occurred_at: datetime | None
    actor: str
    actor_role: str
    stage_from: StageName | None
    stage_to: StageName | None
    changed: tuple[str, ...]


@dataclass
class CasePage:
    case: dict
    stage: StageName
    person: dict | None
    due: list[tuple[str, date]]
    timeline: list[TimelineStep] = field(default_factory=list)
    steps: list[StepForm] = field(default_factory=list)
    """The workflow steps the person may take now, as forms; none when the API lists none."""


def _workflows(token: str, services_api: ServicesApi) -> list[dict]:
    """The workflows as the cases API describes them; none when it cannot say (the codes are shown then)."""
    try:
        body, _headers = services_api.get("cases", "/workflows", token)
    except ServiceProblem:
        return []
    return body if isinstance(body, list) else []


def _stage_names(workflows: list[dict], regime: str | None = None) -> dict[str, StageName]:
    """The stages of `regime`'s workflow first, then those of the others for a code it does not have."""
    names: dict[str, StageName] = {}
    for workflow in sorted(workflows, key=lambda w: w.get("regime") != regime):
        for stage in workflow.get("stages") or []:
            code = stage.get("name")
            if code and code not in names:
                names[code] = StageName(code, stage.get("vi") or "", stage.get("en") or "")
    return names


def _named(code: str | None, names: dict[str, StageName]) -> StageName | None:
    return names.get(code, StageName(code, "", "")) if code else None


def read_stage_names(query: ReadStageNames, principal, services_api: ServicesApi) -> list[StageName]:
    return list(_stage_names(_workflows(query.access_token, services_api)).values())


def search_cases(query: SearchCases, principal, services_api: ServicesApi) -> CaseResults:
    """The terms go to the cases API as they were typed; it matches them and keeps to the person's area."""
    params = {**dict(query.terms), "page": query.page, "page_size": CASE_PAGE_SIZE}
    body, headers = services_api.get("cases", "/cases", query.access_token, params)
    names = _stage_names(_workflows(query.access_token, services_api))
    rows = [CaseRow(item["id"], item.get("case_number", ""), item.get("commune_code", ""),
                    _named(item.get("stage"), names) or StageName("", "", ""), day_of(item.get("opened_on")))
            for item in body]
    total, pages = _pagination(headers, len(rows))
    return CaseResults(rows, query.page, pages, total)


def _timeline(entries: list[dict], names: dict[str, StageName]) -> list[TimelineStep]:
    steps = []
    for entry in entries:
        actor = entry.get("actor") or {}
        changes = entry.get("changes") or {}
        stage = changes.get("stage") if isinstance(changes.get("stage"), list) and changes["stage"] else [None, None]
        steps.append(TimelineStep(entry.get("type", ""), moment_of(entry.get("occurred_at")), actor.get("id", ""),
                                  actor.get("role", ""), _named(stage[0], names), _named(stage[-1], names),
                                  tuple(name for name in changes if name != "stage")))
    return steps


CASE_PAGE_READ = {"include": ["history", "transitions"]}
"""The case page's one read: the case with its history and the steps the person may take, one access check and
one audit entry in the cases API."""


def read_case_page(query: ReadCasePage, principal, services_api: ServicesApi) -> CasePage:
    """A refused or failed read is the page's answer."""
    case, _headers = services_api.get("cases", f"/cases/{query.case_id}", query.access_token, CASE_PAGE_READ)
    names = _stage_names(_workflows(query.access_token, services_api), case.get("regime"))
    due = sorted(((name, day_of(on)) for name, on in (case.get("due") or {}).items() if day_of(on)),
                 key=lambda item: item[1])
    page = CasePage(case, _named(case.get("stage"), names) or StageName("", "", ""), case.get("person"), due)
    page.timeline = _timeline(_listed(case.get("history")), names)
    page.steps = [step_form(item) for item in _listed(case.get("transitions")) if item.get("name")]
    return page


def _listed(items) -> list[dict]:
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


HANDLERS = {SearchCases: search_cases, ReadCasePage: read_case_page, ReadStageNames: read_stage_names}
