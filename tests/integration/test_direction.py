"""The direction measures end to end on the real FerretDB and RabbitMQ: cases stored by the cases service's
repository, their published messages delivered (some twice) to the plans' direction consumer, the figures read
over HTTP."""
import dataclasses
import uuid

import pytest

from shared.envelope import envelope_from_message
from shared.once import is_claimed
from services.cases.contracts import CONTRACTS
from services.plans.domain.commands import RecordDirectionEvent
from services.plans.domain.direction import DIRECTION_EVENT_TYPES
from services.plans.entrypoints.app import create_app
from services.plans.entrypoints.consumers import DIRECTION, handlers
from tests.integration.busutil import RunningConsumer
from tests.integration.case_paths import (compulsory, methadone, publish, store,
                                          voluntary_then_aftercare_and_a_positive_test)
from tests.problem import check_problem
from tests.support import wait_for

A = "22366"


@pytest.fixture
def messages(settings):
    return store(settings, voluntary_then_aftercare_and_a_positive_test(), compulsory(), methadone())


@pytest.fixture
def app(settings, messages):
    return create_app(settings("plans"))


@pytest.fixture
def auditor(auth):
    return auth(subject="auditor", roles=["auditor"], unit="TTr-T56", areas=["56"])


def read(client, headers, area="56", first="2026Q1", last="2026Q2"):
    answer = client.get(f"/api/v1/direction?area_code={area}&from={first}&to={last}", headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return {q["quarter"]: q for q in answer.get_json()["quarters"]}


def of(message_type, messages):
    return [m for m in messages if m["type"] == message_type]


def test_a_case_event_moves_the_figures_once_however_often_it_is_delivered(app, messages, amqp_url, auditor):
    client, bus = app.test_client(), app.extensions["service_layer"]
    subscription = dataclasses.replace(DIRECTION, queue=f"test.direction.{uuid.uuid4().hex[:8]}")
    sentinel = of("cases.case.methadone_admitted", messages)
    first = [m for m in messages if m not in sentinel]
    with RunningConsumer(amqp_url, subscription, handlers(bus)[DIRECTION]):
        publish(amqp_url, *first)
        wait_for(lambda: all(is_claimed(f"handled:{subscription.queue}:{m['id']}") for m in first
                             if m["type"] in DIRECTION_EVENT_TYPES), 20, message="every first event handled")
        before = read(client, auditor)
        assert before["2026Q2"]["total"]["aftercare_relapsed"] == 1
        publish(amqp_url, *first)
        publish(amqp_url, *sentinel)
        wait_for(lambda: read(client, auditor)["2026Q2"]["total"]["entering_total"] == 1, 20, message="the sentinel")
    bound = [m for m in messages if m["type"] in DIRECTION_EVENT_TYPES]
    assert len(bound) == 5 and all(is_claimed(f"handled:{subscription.queue}:{m['id']}") for m in bound)
    after = read(client, auditor)
    assert after["2026Q1"] == before["2026Q1"]
    q1 = after["2026Q1"]["total"]
    assert (q1["area_code"], q1["entering_total"], q1["entering_voluntary_or_methadone"], q1["entering_compulsory"],
            q1["share"], q1["trend"]) == ("56", 2, 1, 1, 0.5, {"delta": None, "direction": None})
    assert [c["area_code"] for c in after["2026Q1"]["communes"]] == [A]
    q2 = after["2026Q2"]["total"]
    assert (q2["entering_total"], q2["share"], q2["trend"]) == (1, 1.0, {"delta": 0.5, "direction": "rising"})
    assert (q2["aftercare_managed"], q2["aftercare_relapsed"], q2["relapse_rate"]) == (1, 1, 1.0)
    assert "P1" not in str(after) and "c1" not in str(after)


def test_the_effect_is_keyed_by_the_event_so_a_second_handling_adds_nothing(app, messages, auditor):
    client, bus = app.test_client(), app.extensions["service_layer"]
    [positive] = of("cases.case.relapse_suspected", messages)
    [entered] = of("cases.case.voluntary_rehab_started", messages)
    for message in (entered, positive, entered, positive):
        bus.handle(RecordDirectionEvent(envelope_from_message(message, CONTRACTS)))
    figures = read(client, auditor, A)
    assert figures["2026Q1"]["total"]["entering_total"] == 1
    assert (figures["2026Q2"]["total"]["aftercare_managed"], figures["2026Q2"]["total"]["aftercare_relapsed"]) == (1, 1)
    assert bus.handle(RecordDirectionEvent(envelope_from_message(positive, CONTRACTS))) == 0


@pytest.mark.parametrize("query, field", [
    ("area_code=56&from=2026Q5&to=2026Q4", "from"),
    ("area_code=56&from=2026Q1&to=2026-12", "to"),
    ("area_code=56&from=2026Q3&to=2026Q2", "from"),
    ("area_code=01&from=2026Q1&to=2026Q2", "area_code"),
    ("area_code=00004&from=2026Q1&to=2026Q2", "area_code"),
    ("from=2026Q1&to=2026Q2", "area_code"),
])
def test_bad_input_is_a_problem_naming_the_field(app, auditor, query, field):
    answer = app.test_client().get(f"/api/v1/direction?{query}", headers=auditor)
    problem = check_problem(answer.status_code, answer.headers.get("Content-Type"), answer.get_data(), 422)
    assert field in problem["errors"], problem


def test_only_coordinators_auditors_and_admins_of_the_area_read_the_measures(app, auth):
    client = app.test_client()
    caseworker = auth(subject="cw", roles=["caseworker"], unit="UBX-22366", areas=[A])
    commune_auditor = auth(subject="au", roles=["auditor"], unit="TTr", areas=["22333"])
    for headers in (caseworker, commune_auditor):
        assert client.get(f"/api/v1/direction?area_code={A}&from=2026Q1&to=2026Q1",
                          headers=headers).status_code == 403
    coordinator = auth(subject="pc", roles=["plan_coordinator"], unit="UBX-22366", areas=[A])
    assert read(client, coordinator, A, "2026Q1", "2026Q1")["2026Q1"]["communes"] == []
