"""The recount of the indicators computed from case events: the cases event log replayed through the live
consumer's rules against the ledger, by the CLI in a process of its own."""
import os
import subprocess
import sys
from datetime import date

import pytest

from shared.envelope import envelope_from_message
from services.cases.contracts import CONTRACTS
from services.plans.adapters.documents import IndicatorContribution
from services.plans.domain.commands import CountCaseEvent, CountCaseEvents, RefreshRollup
from services.plans.entrypoints.app import create_app
from tests.integration.case_paths import compulsory, methadone, store, voluntary_then_aftercare_and_a_positive_test
from tests.support import ROOT

COUNTED = ["people_newly_managed", "compulsory_dossiers", "methadone_patients", "people_in_aftercare"]
LOT = 3
"""The live consumer takes the events that arrive together as one lot."""


@pytest.fixture
def counted(settings, auth):
    """A plan of the province for 2026, and the ledger as the live consumer left it after every case event (taken
    in lots, the first event also alone before: delivered twice, counted once)."""
    messages = store(settings, voluntary_then_aftercare_and_a_positive_test(), compulsory(), methadone())
    app = create_app(settings("plans"))
    coordinator = auth(subject="pc", roles=["plan_coordinator"], unit="UBND-T56", areas=["56"])
    created = app.test_client().post("/api/v1/plans", headers=coordinator, json={
        "title": "Kế hoạch phòng, chống ma túy năm 2026", "kind": "yearly", "area_code": "56",
        "starts_on": "2026-01-01", "ends_on": "2026-12-31",
        "indicators": [{"code": code, "target": 10} for code in [*COUNTED, "hotspots_eliminated"]]})
    assert created.status_code == 201, created.get_json()
    bus = app.extensions["service_layer"]
    envelopes = [envelope_from_message(message, CONTRACTS) for message in messages]
    bus.handle(CountCaseEvent(envelopes[0]))
    for start in range(0, len(envelopes), LOT):
        bus.handle(CountCaseEvents(envelopes[start:start + LOT]))
    return created.get_json()["id"], bus


def recount(settings, *args):
    s = settings("plans")
    env = {**os.environ, "MONGODB_URI": s.mongodb_uri, "AMQP_URL": s.amqp_url,
           "MONGODB_DB_PREFIX": s.mongodb_db.rsplit("_", 1)[0], "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "services.plans.entrypoints.cli", "recount-indicators", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def row(output: str, indicator: str) -> list[str]:
    line = next(line for line in output.splitlines() if f" {indicator} " in line and "│" in line)
    return [cell.strip() for cell in line.split("│")[1:-1]]


def aftercare_in_roll_up(bus, plan_id: str, commune: str) -> float:
    [row] = [s.row for s in bus.dependencies["rollup_store"].rows(plan_id, ("area",)) if s.row.code == commune]
    return row.periods["all"].indicators["people_in_aftercare"].computed


def test_a_lost_contribution_is_reported_then_added_by_fix(settings, counted):
    plan_id, bus = counted
    bus.dependencies["ledger"].add(plan_id, "hotspots_eliminated", "hotspot-1", 1, "e-hotspot", "22366",
                                   counted_on=date(2026, 6, 5))
    assert recount(settings).returncode == 0
    lost = IndicatorContribution.objects(plan_id=plan_id, indicator_code="people_in_aftercare").get()
    lost.delete()
    bus.handle(RefreshRollup(plan_id))
    assert aftercare_in_roll_up(bus, plan_id, lost.area_code) == 0

    found = recount(settings, "--plan", plan_id)
    assert found.returncode == 1, found.stdout + found.stderr
    assert row(found.stdout, "people_in_aftercare")[2:6] == ["0", "1", "+1", "1"]
    assert row(found.stdout, "people_newly_managed")[2:5] == ["3", "3", "0"]
    assert f"missing {plan_id} people_in_aftercare key=P1 amount=1 event={lost.source_event_id}" in found.stdout
    assert "hotspots_eliminated" not in found.stdout and "\nextra " not in found.stdout

    fixed = recount(settings, "--fix")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    restored = IndicatorContribution.objects(plan_id=plan_id, indicator_code="people_in_aftercare").get()
    assert (restored.key, restored.counted_on, restored.area_code) == (lost.key, "2026-05-01", "22366")
    assert aftercare_in_roll_up(bus, plan_id, lost.area_code) == 1, "the fix folds the commune's roll-up again"
    again = recount(settings)
    assert again.returncode == 0 and row(again.stdout, "people_in_aftercare")[2:5] == ["1", "1", "0"], again.stdout


def test_an_extra_contribution_is_listed_and_never_deleted(settings, counted):
    plan_id, bus = counted
    bus.dependencies["ledger"].add(plan_id, "people_newly_managed", "no-such-event", 1, "no-such-event", "22366",
                                   counted_on=date(2026, 2, 2))
    for args in ((), ("--fix",)):
        found = recount(settings, *args)
        assert found.returncode == 1, found.stdout + found.stderr
        assert f"extra {plan_id} people_newly_managed key=no-such-event" in found.stdout
    assert IndicatorContribution.objects(key=f"{plan_id}:people_newly_managed:no-such-event").count() == 1


def test_an_unknown_plan_is_an_error(settings, counted):
    found = recount(settings, "--plan", "no-such-plan")
    assert found.returncode == 2 and "no plan no-such-plan" in found.stdout


def test_computed_figures_carry_the_commune_and_the_day_the_fact_happened(counted):
    plan_id, bus = counted
    figures = bus.dependencies["views"].computed_figures(plan_id)
    assert sorted((f.indicator_code, f.area_code, f.counted_on, f.amount) for f in figures
                  if f.indicator_code != "people_newly_managed") == [
        ("compulsory_dossiers", "22366", date(2026, 2, 1), 1),
        ("methadone_patients", "22366", date(2026, 4, 10), 1),
        ("people_in_aftercare", "22366", date(2026, 5, 1), 1)]
    assert sorted(f.counted_on for f in figures if f.indicator_code == "people_newly_managed") == [
        date(2026, 1, 5), date(2026, 1, 5), date(2026, 4, 10)]
