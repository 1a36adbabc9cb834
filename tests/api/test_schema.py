"""The OpenAPI 3 schema at /api/schema/: behind a token, and valid by the OpenAPI specification."""

import pytest
import yaml
from openapi_spec_validator import validate

from tracker.choices import TokenAccess

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_schema_needs_a_token(anonymous_api):
    assert anonymous_api.get("/api/schema/").status == 401


def test_the_schema_is_valid_openapi_3(api_for, rep):
    answer = api_for(rep, TokenAccess.READ).get(
        "/api/schema/", headers={"Accept": "application/vnd.oai.openapi"}
    )
    assert answer.status == 200
    schema = yaml.safe_load(answer.body)
    assert schema["openapi"].startswith("3.")
    validate(schema)  # raises on any violation of the OpenAPI 3 specification
    paths = schema["paths"]
    for path in (
        "/api/customers/",
        "/api/customers/{id}/status/",
        "/api/domains/{id}/checks/",
        "/api/tasks/{id}/reopen/",
        "/api/campaigns/{slug}/",
        "/api/sweeps/{id}/resume/",
        "/api/sync/customers/",
        "/api/changes/",
    ):
        assert path in paths, path
    assert schema["components"]["securitySchemes"]["token"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token from /account/tokens/.",
    }
