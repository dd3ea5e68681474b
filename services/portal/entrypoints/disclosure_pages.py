"""The inspectorate's page of a case's accounting of disclosures (both services' in one list), and the same list
as a workbook to hand to the person on request."""
from __future__ import annotations

from flask import redirect, request, url_for
from flask_babel import lazy_gettext as _l

from shared.spreadsheets import workbook_response

from services.portal.domain.disclosure_pages import COLUMNS
from services.portal.domain.pages import ServiceProblem
from services.portal.domain.queries import ReadDisclosures
from services.portal.entrypoints.case_actions import opaque_ids
from services.portal.entrypoints.pages import PROBLEM_STATUS, _access_token, _account, problem_message
from services.portal.entrypoints.web import _ask, _page, labelled, web

KIND_LABELS = {"read": _l("Viewed"), "list": _l("Listed"), "export": _l("Exported"),
               "break_glass": _l("Break the glass"), "change": _l("Changed"), "alert": _l("Alert raised"),
               "delivery": _l("Alert delivered")}
SECTION_LABELS = {"identity": _l("Identity"), "contact": _l("Contact details"), "legal": _l("Legal records"),
                  "clinical": _l("Clinical records"), "support": _l("Support records")}
"""The sections of a case a disclosure names (services/cases/domain/access.py)."""
COLUMN_LABELS = {"at": _l("Time"), "kind": _l("Kind"), "action": _l("Action or rule"), "who": _l("Who"),
                 "unit": _l("Unit"), "sections": _l("Sections"), "channel": _l("Channel"), "purpose": _l("Purpose")}


def disclosure_kind(code: str) -> str:
    return labelled(KIND_LABELS, code, code)


def disclosed_section(code: str) -> str:
    return labelled(SECTION_LABELS, code, code)


def install_disclosure_pages(app) -> None:
    app.jinja_env.filters.update(disclosure_kind=disclosure_kind, disclosed_section=disclosed_section)


def _read(case_id: str):
    """The page read, or the page that says why not."""
    account = _account()
    opaque_ids(case_id)
    try:
        return account, _ask(ReadDisclosures(_access_token(), case_id)), None
    except ServiceProblem as problem:
        return account, None, _page("disclosures.html", PROBLEM_STATUS[problem.kind], account=account, page=None,
                                    case_id=case_id, error=problem_message(problem))


@web.get("/disclosures")
def find_disclosures():
    """The home page's form: the case an inspector was asked about."""
    _account()
    case_id = request.args.get("case", "").strip()
    opaque_ids(case_id)
    return redirect(url_for("web.disclosures_page", case_id=case_id)) if case_id else redirect(url_for("web.home"))


@web.get("/cases/<case_id>/disclosures")
def disclosures_page(case_id: str):
    account, page, refused = _read(case_id)
    return refused or _shown(account, page)


def _shown(account, page, status: int = 200):
    return _page("disclosures.html", status, account=account, page=page, case_id=page.case_id,
                 problems=[problem_message(p) for p in page.problems])


@web.get("/cases/<case_id>/disclosures.xlsx")
def disclosures_workbook(case_id: str):
    """Only the whole list: when the deliveries could not be read, the page that says so (503)."""
    account, page, refused = _read(case_id)
    if refused or page.problems:
        return refused or _shown(account, page, 503)
    return workbook_response([str(COLUMN_LABELS[column]) for column in COLUMNS],
                             [disclosure.row(disclosure_kind, disclosed_section) for disclosure in page.disclosures],
                             f"ke-khai-tiet-lo-{case_id}.xlsx")
