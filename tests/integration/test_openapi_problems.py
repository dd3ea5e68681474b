"""Each service's /api/v1/openapi.json describes the errors as they are sent: application/problem+json with the
Problem schema, the generic errors of every operation, and `X-Pagination` on paginated lists."""
from __future__ import annotations

import pytest

from services.cases.entrypoints.app import create_app as cases_app
from services.notifications.entrypoints.app import create_app as notifications_app
from services.plans.entrypoints.app import create_app as plans_app
from shared.endpoints import IF_MATCH_PATTERN

APPS = {"cases": cases_app, "plans": plans_app, "notifications": notifications_app}
METHODS = {"get", "put", "post", "delete", "patch"}
PROBLEM = "application/problem+json"


@pytest.fixture(params=sorted(APPS))
def document(request, settings) -> dict:
    response = APPS[request.param](settings(request.param)).test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def resolve(document: dict, item: dict) -> dict:
    while "$ref" in item:
        section, kind, name = item["$ref"].split("/")[1:]
        item = document[section][kind][name]
    return item


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_every_error_response_is_a_problem(document):
    errors = [(path, method, status, resolve(document, response))
              for path, method, operation in operations(document)
              for status, response in operation["responses"].items() if status[0] in "45"]
    assert errors
    for path, method, status, response in errors:
        assert response["content"] == {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}, \
            (method, path, status)
    assert "Error" not in document["components"]["schemas"]


def test_the_problem_schema_is_rfc_9457_with_the_fields_named(document):
    problem = document["components"]["schemas"]["Problem"]
    properties = problem["properties"]
    assert {name: properties[name]["type"] for name in ("type", "title", "status", "detail")} == {
        "type": "string", "title": "string", "status": "integer", "detail": "string"}
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert properties["errors"] == {"type": "object", "description": properties["errors"]["description"],
                                    "additionalProperties": {"type": "array", "items": {"type": "string"}}}
    assert {"allowed", "duplicate_of", "current_version"} <= set(properties)
    assert problem["additionalProperties"] is True


def test_every_operation_documents_the_errors_any_operation_can_answer(document):
    for path, method, operation in operations(document):
        statuses = set(operation["responses"])
        expected = {"400", "401", "403", "503"}
        if "{" in path:
            expected.add("404")
        if method != "get":
            expected.add("409")
        if "requestBody" in operation:
            expected |= {"413", "415", "422"}
        if any(p["in"] == "query" for p in operation.get("parameters", [])):
            expected.add("422")
        assert expected <= statuses, (method, path, expected - statuses)
        assert "default" not in statuses and "500" not in statuses, (method, path)


def test_paginated_lists_document_x_pagination_as_a_json_header(document):
    paginated = [(path, operation) for path, method, operation in operations(document)
                 if any(p["name"] == "page" for p in operation.get("parameters", []))]
    assert paginated
    for path, operation in paginated:
        page = next(p for p in operation["parameters"] if p["name"] == "page")
        assert page["schema"]["maximum"] == 100_000, path
        header = resolve(document, operation["responses"]["200"]["headers"]["X-Pagination"])
        assert header["content"] == {
            "application/json": {"schema": {"$ref": "#/components/schemas/PaginationMetadata"}}}, path
    metadata = document["components"]["schemas"]["PaginationMetadata"]["properties"]
    assert {"total", "total_pages", "page"} <= set(metadata)


@pytest.mark.parametrize("service", ["cases", "notifications"])
def test_if_match_is_documented_as_the_etags_the_api_parses(service, settings):
    document = APPS[service](settings(service)).test_client().get("/api/v1/openapi.json").get_json()
    headers = [p for _, _, operation in operations(document) for p in operation.get("parameters", [])
               if p["in"] == "header" and p["name"] == "If-Match"]
    assert headers
    for parameter in headers:
        assert parameter["schema"]["pattern"] == IF_MATCH_PATTERN


def test_the_docs_page_loads_swagger_ui_from_the_service_without_a_token(settings):
    client = APPS["cases"](settings("cases")).test_client()
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assets = ["swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"]
    for asset in assets:
        assert f'"/api/v1/docs/assets/{asset}"' in page
        served = client.get(f"/api/v1/docs/assets/{asset}")
        assert served.status_code == 200 and len(served.get_data()) > 10_000, asset
    assert "https://" not in page
