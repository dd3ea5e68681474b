"""Generated bad input against every service's OpenAPI: no 500, ever, and only documented problem responses."""
import pytest
import schemathesis
from schemathesis import GenerationMode
from hypothesis import HealthCheck, settings as hypothesis_settings
from schemathesis.checks import not_a_server_error

from services.cases.entrypoints.app import create_app as cases_app
from services.notifications.entrypoints.app import create_app as notifications_app
from services.plans.entrypoints.app import create_app as plans_app

APPS = {"cases": cases_app, "plans": plans_app, "notifications": notifications_app}


@pytest.fixture(params=sorted(APPS))
def api_schema(request, settings):
    app = APPS[request.param](settings(request.param))
    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    loaded.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], allow_x00=True)
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis_settings(max_examples=25, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                            HealthCheck.filter_too_much])
def test_generated_requests_never_get_a_server_error(case, auth):
    headers = auth(subject="fuzzer", roles=["caseworker", "plan_coordinator", "police_liaison"], unit="UBX-22366",
                   areas=["56"])
    response = case.call(headers=headers)
    case.validate_response(response, checks=[not_a_server_error])
    if response.status_code >= 400:
        content_type = {k.lower(): v for k, v in response.headers.items()}["content-type"]
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        assert content_type.startswith("application/problem+json"), response.text
