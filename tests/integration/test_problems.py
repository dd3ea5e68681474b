"""Every service in-process against the real FerretDB: bodies nested too deep and methods a path does not take are
refused as problems before anything is stored."""
from __future__ import annotations

import mongoengine
import pytest

from services.cases.entrypoints.app import create_app as cases_app
from services.notifications.entrypoints.app import create_app as notifications_app
from services.plans.entrypoints.app import create_app as plans_app
from shared.request_checks import MAX_BODY_DEPTH
from tests.problem import check_problem

APPS = {"cases": cases_app, "plans": plans_app, "notifications": notifications_app}
WRITES = {"plans": ("POST", "/api/v1/units"), "cases": ("POST", "/api/v1/cases"),
          "notifications": ("PUT", "/api/v1/inbox/any/acknowledgement")}


@pytest.fixture
def caller(auth):
    return auth(subject="cw1", roles=["caseworker", "plan_coordinator"], unit="UBX-22366", areas=["56"])


def documents(db_prefix: str) -> dict[str, int]:
    """Every document of this test's databases, per collection: what "nothing stored" is checked against."""
    client = mongoengine.connection.get_connection()
    return {f"{name}.{collection}": client[name][collection].count_documents({})
            for name in client.list_database_names() if name.startswith(db_prefix)
            for collection in client[name].list_collection_names()}


def problem_of(response, expected: int) -> dict:
    return check_problem(response.status_code, response.content_type, response.get_data(), expected)


def nested(depth: int, leaf="x") -> str:
    return "[" * depth + f'"{leaf}"' + "]" * depth


@pytest.mark.parametrize("service", sorted(APPS))
@pytest.mark.parametrize("body", [nested(1000), '{"a":' * 1000 + "1" + "}" * 1000, nested(MAX_BODY_DEPTH + 1)],
                         ids=["arrays-1000-deep", "objects-1000-deep", "one-level-too-deep"])
def test_a_body_nested_too_deep_is_a_400_naming_the_body_and_nothing_is_stored(service, body, settings, caller,
                                                                                db_prefix):
    client = APPS[service](settings(service)).test_client()
    before = documents(db_prefix)
    method, path = WRITES[service]
    response = client.open(path, method=method, data=body, headers={**caller, "Content-Type": "application/json"})
    assert problem_of(response, 400)["errors"] == {"_body": [f"nested deeper than {MAX_BODY_DEPTH} levels"]}
    assert documents(db_prefix) == before


@pytest.mark.timeout(60)
def test_checking_a_large_body_takes_time_in_proportion_to_it_even_without_a_token(settings):
    """A megabyte of escaped quotes in a string never closed (the worst case of a check by regular expressions: it
    took hours) is refused as not JSON without delay; the timeout is what fails here if the check is slow again."""
    client = APPS["plans"](settings("plans")).test_client()
    body = '"' + '\\"' * 500_000
    response = client.post("/api/v1/units", data=body, headers={"Content-Type": "application/json"})
    assert problem_of(response, 400)["errors"] == {"_body": ["not valid JSON"]}


@pytest.mark.parametrize("service", sorted(APPS))
def test_a_body_not_in_utf_8_is_a_400_naming_the_body(service, settings, caller, db_prefix):
    client = APPS[service](settings(service)).test_client()
    before = documents(db_prefix)
    method, path = WRITES[service]
    response = client.open(path, method=method, data='{"name": "Tr\u1ea7n"}'.encode("utf-16"),
                           headers={**caller, "Content-Type": "application/json"})
    assert problem_of(response, 400)["errors"] == {"_body": ["not UTF-8"]}
    assert documents(db_prefix) == before


@pytest.mark.parametrize("service,path,body,enclosing,field", [
    ("cases", "/api/v1/cases", '{"person": {"guardian": %s}, "commune_code": "22366", "opened_on": "2026-08-01"}',
     2, "person.guardian._schema"),
    ("plans", "/api/v1/units", '{"unit_code": "U-1", "name": "[[[[[[[[[[{{{{{{{{{{", "kind": "commune_police", '
     '"area_code": "22366", "covers": %s}', 1, "covers.0"),
])
def test_a_body_as_deep_as_allowed_reaches_the_schema_which_names_the_field(service, path, body, enclosing, field,
                                                                             settings, caller, db_prefix):
    """webargs parses the body again and marshmallow walks it: at the deepest nesting allowed neither recurses
    into an error, the schema refuses the field. Brackets inside strings do not count as nesting."""
    client = APPS[service](settings(service)).test_client()
    before = documents(db_prefix)
    deepest = body % nested(MAX_BODY_DEPTH - enclosing)
    response = client.post(path, data=deepest, headers={**caller, "Content-Type": "application/json"})
    assert field in problem_of(response, 422)["errors"]
    assert documents(db_prefix) == before


@pytest.mark.parametrize("service,path,allowed", [
    ("plans", "/api/v1/units", {"GET", "HEAD", "OPTIONS", "POST"}),
    ("cases", "/api/v1/cases/c-1", {"GET", "HEAD", "OPTIONS"}),
    ("notifications", "/api/v1/inbox", {"GET", "HEAD", "OPTIONS"}),
])
def test_a_method_the_path_does_not_take_is_a_405_listing_the_allowed_ones(service, path, allowed, settings, caller):
    client = APPS[service](settings(service)).test_client()
    for method in ("DELETE", "PATCH"):
        response = client.open(path, method=method, headers=caller)
        problem_of(response, 405)
        assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed
