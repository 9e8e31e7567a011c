"""R20: schemathesis over the OpenAPI document with a valid token, per role (a county liaison who
may write, the city's read-only leader whose writes are refused): no 5xx, and every response that
the document describes matches its schema."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from luoshi.accounts.tokens import issue_token
from luoshi.wsgi import application
from tests.factories import user_with

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture(params=["liaison", "leader"])
def token(tree, request):
    """A bearer token; requests go straight to the WSGI app, which must not close the test's
    database connection between them (Django's test client does the same)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    org = tree.county_a if request.param == "liaison" else tree.city
    yield issue_token(user_with(org, request.param, username=f"schema_{request.param}"))
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_answers_without_server_errors_and_matches_its_schema(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/organizations",
        "/api/v1/problems",
        "/api/v1/study/activities",
        "/api/v1/research/topics",
        "/api/v1/search",
    ],
)
def test_an_offset_past_any_list_is_an_empty_page_not_a_500(client, token, path):
    """Found by schemathesis: an offset beyond 64 bits reached the database's OFFSET."""
    response = client.get(f"{path}?offset={10**38}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200 and response.json() == []
