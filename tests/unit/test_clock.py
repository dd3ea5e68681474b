"""The services' today is the province's date (UTC+7), not the machine's (UTC here)."""
from datetime import date, datetime, timezone

from shared.clock import Clock, province_today


def test_from_17_00_utc_it_is_already_the_next_day_in_the_province():
    assert province_today(datetime(2026, 11, 30, 16, 59, tzinfo=timezone.utc)) == date(2026, 11, 30)
    assert province_today(datetime(2026, 11, 30, 17, 0, tzinfo=timezone.utc)) == date(2026, 12, 1)
    assert province_today(datetime(2026, 12, 31, 23, 0, tzinfo=timezone.utc)) == date(2027, 1, 1)


def test_a_clock_given_nothing_answers_the_province_s_date():
    before = province_today()
    assert Clock().today() in {before, province_today()}
