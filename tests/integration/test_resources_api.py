"""A plan's budget lines through the plans API in-process against the real FerretDB: planned per plan and task,
spending with If-Match, totals by source and task, overspending flagged, who may see and manage, bad input."""

import pytest
from shared.clock import province_today

from services.plans.entrypoints.app import create_app
from services.plans.views import PlanViews
from tests.integration.test_hotspots_api import IN_TWO_DAYS, plan_with_task


@pytest.fixture
def client(settings):
    return create_app(settings("plans")).test_client()


@pytest.fixture
def coordinator(auth):
    return auth(subject="coordinator", roles=["plan_coordinator"], unit="UBND-T56", areas=["56"])


def plan_line(client, headers, plan_id, **body):
    response = client.post(f"/api/v1/plans/{plan_id}/budget-lines", headers=headers, json=body)
    assert response.status_code == 201, response.get_json()
    return response


def spend(client, headers, line_id, amount, spent_on="2026-06-15", version=None, **extra):
    if_match = {"If-Match": f'"{version}"'} if version is not None else {}
    return client.post(f"/api/v1/budget-lines/{line_id}/spending", headers={**headers, **if_match},
                       json={"amount_vnd": amount, "spent_on": spent_on, **extra})


def test_budget_lines_per_plan_and_task_with_spending_and_totals(client, coordinator):
    plan_id, task_id = plan_with_task(client, coordinator)
    own = plan_line(client, coordinator, plan_id, source="local_budget", purpose="Tổ chức lễ mít tinh",
                    planned_vnd=50_000_000)
    assert own.headers["ETag"] == '"1"' and own.get_json()["task_id"] is None
    task_line = plan_line(client, coordinator, plan_id, task_id=task_id, source="socialisation",
                          purpose="Hỗ trợ người sau cai nghiện", planned_vnd=20_000_000).get_json()
    enterprise = plan_line(client, coordinator, plan_id, task_id=task_id, source="enterprises",
                           purpose="Tài trợ in pa nô", planned_vnd=5_000_000).get_json()

    assert spend(client, coordinator, task_line["id"], 15_000_000, version=2).status_code == 412
    spent = spend(client, coordinator, task_line["id"], 15_000_000, version=1, document_ref="PC-12/2026")
    assert spent.status_code == 201 and spent.headers["ETag"] == '"2"', spent.get_json()
    assert spent.get_json()["spent_vnd"] == 15_000_000 and spent.get_json()["overspent"] is False
    over = spend(client, coordinator, task_line["id"], 8_000_000, spent_on=province_today().isoformat(),
                 note="Thanh toán bổ sung")
    assert over.status_code == 201 and over.get_json()["overspent"] is True and over.get_json()["spent_vnd"] == 23_000_000
    assert [e["amount_vnd"] for e in over.get_json()["spending"]] == [15_000_000, 8_000_000]
    assert spend(client, coordinator, enterprise["id"], 1_000_000).status_code == 201

    budget = client.get(f"/api/v1/plans/{plan_id}/budget-lines", headers=coordinator)
    assert budget.status_code == 200, budget.get_json()
    lines, totals = budget.get_json()["lines"], budget.get_json()["totals"]
    assert [line["id"] for line in lines][0] == own.get_json()["id"] and len(lines) == 3
    assert totals["planned_vnd"] == 75_000_000 and totals["spent_vnd"] == 24_000_000
    assert totals["by_source"] == [
        {"source": "enterprises", "planned_vnd": 5_000_000, "spent_vnd": 1_000_000},
        {"source": "local_budget", "planned_vnd": 50_000_000, "spent_vnd": 0},
        {"source": "socialisation", "planned_vnd": 20_000_000, "spent_vnd": 23_000_000}]
    assert totals["by_task"] == [{"task_id": None, "planned_vnd": 50_000_000, "spent_vnd": 0},
                                 {"task_id": task_id, "planned_vnd": 25_000_000, "spent_vnd": 24_000_000}]
    assert next(line for line in lines if line["id"] == task_line["id"])["overspent"] is True

    figures = PlanViews().budget_totals(plan_id)
    assert figures.by_source["socialisation"] == (20_000_000, 23_000_000)
    assert figures.by_task == {None: (50_000_000, 0), task_id: (25_000_000, 24_000_000)}
    read = client.get(f"/api/v1/budget-lines/{task_line['id']}", headers=coordinator)
    assert read.status_code == 200 and read.headers["ETag"] == '"3"'


@pytest.mark.parametrize("body, field", [
    ({"source": "lottery"}, "source"), ({"planned_vnd": -1}, "planned_vnd"), ({"planned_vnd": 1.5}, "planned_vnd"),
    ({"planned_vnd": "một triệu"}, "planned_vnd"), ({"purpose": "  "}, "purpose"),
    ({"task_id": "no-such-task"}, "task_id"), ({"task_id": "FOREIGN"}, "task_id")])
def test_a_budget_line_that_breaks_a_rule_is_refused_naming_the_field_and_nothing_is_stored(client, coordinator,
                                                                                          body, field):
    plan_id, _ = plan_with_task(client, coordinator)
    if body.get("task_id") == "FOREIGN":
        body = {"task_id": plan_with_task(client, coordinator)[1]}
    valid = {"source": "state_budget", "purpose": "Tập huấn cán bộ", "planned_vnd": 1_000_000}
    refused = client.post(f"/api/v1/plans/{plan_id}/budget-lines", headers=coordinator, json={**valid, **body})
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert field in refused.get_json()["errors"], refused.get_json()
    assert client.get(f"/api/v1/plans/{plan_id}/budget-lines", headers=coordinator).get_json()["lines"] == []


@pytest.mark.parametrize("amount, spent_on, field", [
    (-100, "2026-06-15", "amount_vnd"), (0, "2026-06-15", "amount_vnd"), (2.5, "2026-06-15", "amount_vnd"),
    (100, "2025-12-31", "spent_on"), (100, IN_TWO_DAYS, "spent_on")])
def test_spending_that_breaks_a_rule_is_refused_naming_the_field_and_nothing_is_stored(client, coordinator, amount,
                                                                                     spent_on, field):
    plan_id, _ = plan_with_task(client, coordinator)
    line = plan_line(client, coordinator, plan_id, source="international", purpose="Dự án UNODC",
                     planned_vnd=1_000_000).get_json()
    refused = spend(client, coordinator, line["id"], amount, spent_on)
    assert refused.status_code == 422 and field in refused.get_json()["errors"], refused.get_json()
    read = client.get(f"/api/v1/budget-lines/{line['id']}", headers=coordinator)
    assert read.headers["ETag"] == '"1"' and read.get_json()["spending"] == []


def test_whoever_sees_the_plan_sees_its_budget_and_only_its_coordinators_manage_it(client, coordinator, auth):
    plan_id, _ = plan_with_task(client, coordinator)
    line = plan_line(client, coordinator, plan_id, source="state_budget", purpose="Tuyên truyền",
                     planned_vnd=3_000_000).get_json()
    reporter = auth(subject="reporter", roles=["unit_reporter"], unit="UBX-22366", areas=["22366"])
    assert client.get(f"/api/v1/plans/{plan_id}/budget-lines", headers=reporter).status_code == 200
    assert client.get(f"/api/v1/budget-lines/{line['id']}", headers=reporter).status_code == 200
    assert client.post(f"/api/v1/plans/{plan_id}/budget-lines", headers=reporter, json={
        "source": "state_budget", "purpose": "x", "planned_vnd": 1}).status_code == 403
    assert spend(client, reporter, line["id"], 1000).status_code == 403
    elsewhere = auth(subject="pc-01", roles=["plan_coordinator"], unit="UBND-T01", areas=["01"])
    assert client.get(f"/api/v1/plans/{plan_id}/budget-lines", headers=elsewhere).status_code == 404
    assert client.get(f"/api/v1/budget-lines/{line['id']}", headers=elsewhere).status_code == 404
    assert spend(client, elsewhere, line["id"], 1000).status_code == 404
    assert client.get(f"/api/v1/budget-lines/{line['id']}", headers=coordinator).headers["ETag"] == '"1"'
