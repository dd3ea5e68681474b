"""The day a case event counts on toward a plan's indicators: its own date field, else the province's date (UTC+7)
when it was recorded, so an event recorded on 30 June at 18:00 UTC counts in July, as it does in the province."""
from datetime import date, datetime, timezone

from shared.envelope import Actor, StreamRef, new_envelope
from services.plans.service_layer.indicators import contributions_of
from services.plans.service_layer.ports import PlanRow

JUNE = PlanRow("june", 1, "Tháng hành động", "action_month", "in_progress", "56", date(2026, 6, 1),
               date(2026, 6, 30), ("compulsory_dossiers",))
JULY = PlanRow("july", 1, "Tháng 7", "action_month", "in_progress", "56", date(2026, 7, 1), date(2026, 7, 31),
               ("compulsory_dossiers",))


def dossier_opened(occurred_at: datetime, **data):
    return new_envelope(event_type="cases.case.compulsory_dossier_opened", schema_version=1, producer="cases",
                        stream=StreamRef("case", "case-c1", 4), area_code="22366", actor=Actor.system("cases"),
                        data={"case_id": "c1", "commune_code": "22366", **data}, occurred_at=occurred_at)


def test_an_event_without_a_date_counts_on_the_province_s_day_it_was_recorded():
    evening = dossier_opened(datetime(2026, 6, 30, 18, 0, tzinfo=timezone.utc))
    assert [(c.plan_id, c.counted_on) for c in contributions_of(evening, [JUNE, JULY])] == [("july", date(2026, 7, 1))]
    afternoon = dossier_opened(datetime(2026, 6, 30, 16, 59, tzinfo=timezone.utc))
    assert [c.plan_id for c in contributions_of(afternoon, [JUNE, JULY])] == ["june"]


def test_an_event_s_own_date_decides_whatever_the_hour_it_was_recorded():
    dated = dossier_opened(datetime(2026, 6, 30, 18, 0, tzinfo=timezone.utc), effective_on="2026-06-30")
    assert [c.plan_id for c in contributions_of(dated, [JUNE, JULY])] == ["june"]
