"""The case counts projection's arithmetic (services/cases/domain/counts.py), without I/O."""
from services.cases.domain.counts import CommuneCount, OpeningSpan, Placement, moved

OPENED = Placement("22366", "user_management", "2026-08-03")


def test_a_new_case_counts_once_in_its_commune_and_stage():
    [row] = moved({}, None, OPENED)
    assert (row.commune_code, row.stages, row.earliest_opened_on) == ("22366", {"user_management": 1}, "2026-08-03")
    assert moved({"22366": row}, OPENED, OPENED) == [], "placing a case where it counts changes nothing"


def test_a_stage_change_moves_one_count_within_the_commune_and_a_transfer_between_communes():
    here = CommuneCount.of("22366", [OPENED, Placement("22366", "user_management", "2025-01-01")])
    [row] = moved({"22366": here}, OPENED, Placement("22366", "ost", "2026-08-03"))
    assert row.stages == {"user_management": 1, "ost": 1} and row.total() == 2 and row.total("ost") == 1
    away = Placement("22333", "ost", "2026-08-03")
    left, arrived = moved({"22366": row}, Placement("22366", "ost", "2026-08-03"), away)
    assert (left.commune_code, left.stages) == ("22366", {"user_management": 1})
    assert (arrived.commune_code, arrived.stages, arrived.earliest_opened_on) == ("22333", {"ost": 1}, "2026-08-03")
    assert left.earliest_opened_on == "2025-01-01", "a bound no later than every case still counted"
    assert (left.latest_opened_on, arrived.latest_opened_on) == ("2026-08-03", "2026-08-03")


def test_the_opening_span_of_a_list_covers_the_communes_holding_its_stage():
    rows = [CommuneCount.of("22366", [OPENED, Placement("22366", "ost", "2024-02-01")]),
            CommuneCount.of("22333", [Placement("22333", "ost", "2026-10-01")]), CommuneCount("22315")]
    assert OpeningSpan.of(rows) == OpeningSpan("2024-02-01", "2026-10-01", 3)
    assert OpeningSpan.of(rows, "user_management") == OpeningSpan("2026-08-03", "2026-08-03", 1), "its own days"
    assert OpeningSpan.of(rows, "ost") == OpeningSpan("2024-02-01", "2026-10-01", 2)
    assert OpeningSpan.of(rows, "closed") is None
