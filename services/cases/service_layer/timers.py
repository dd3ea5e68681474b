"""The due-date timer: notices of due dates coming near (`due_soon`) or passing (`overdue`), each appended once."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from shared.auth import Principal
from shared.clock import Clock
from shared.envelope import Actor
from shared.errors import ConcurrencyConflict

from services.cases.domain.commands import NoticeDueDates
from services.cases.domain.model import DUE_SOON_DAYS
from services.cases.service_layer.ports import CaseViews
from services.cases.service_layer.unit_of_work import CaseUnitOfWork

NOTICE_WINDOW_DAYS = 400
NOTICE_IDS = uuid.UUID("0d6b3f0e-8f7c-4a53-9a0c-3d1f0f1c5e21")


@dataclass
class TimerState:
    """Whether this process has swept every case with a due date once (its first run)."""
    swept: bool = False


def notice_due_dates(command: NoticeDueDates, principal: Principal | None, uow: CaseUnitOfWork, views: CaseViews,
                     clock: Clock, timer_state: TimerState) -> int:
    """Append the notices now owed; returns how many. Safe with several workers: a notice's event id derives
    from the case, due name and date, so a second worker's append of the same notice is a no-op.

    Cases are found by `next_notice_on` among the last `NOTICE_WINDOW_DAYS` days, which the store answers from an
    index. The first run of a process sweeps every case with a due date instead (a range the store scans), which
    also catches snapshots written before `next_notice_on` existed."""
    today = clock.today()
    if timer_state.swept:
        case_ids = views.owing_notices([today - timedelta(days=back) for back in range(NOTICE_WINDOW_DAYS)])
    else:
        case_ids = views.with_due_until(today + timedelta(days=DUE_SOON_DAYS))
    noticed = sum(_notice(case_id, uow, today) for case_id in case_ids)
    timer_state.swept = True
    return noticed


def _notice(case_id: str, uow: CaseUnitOfWork, today: date) -> int:
    case = uow.cases.get(case_id)
    owed = case.due_notices(today, DUE_SOON_DAYS)
    if not owed:
        return 0
    for notice in owed:
        case.notice(notice)
    try:
        uow.cases.save(case, Actor.system("cases"),
                       event_ids=[str(uuid.uuid5(NOTICE_IDS, f"{case.id}:{n.notice_key}")) for n in owed])
    except ConcurrencyConflict:
        return 0
    return len(owed)


HANDLERS = {NoticeDueDates: notice_due_dates}
