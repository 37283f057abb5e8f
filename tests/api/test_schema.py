"""schemathesis against the API's own OpenAPI document (the app on SQLite, a stand-in for the
hub's token check, bounded examples): no 5xx, responses match the schema."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402

from impulator.api import ApiSettings, create_app  # noqa: E402
from tests.api.test_app import BASE, identify  # noqa: E402

_folder = Path(tempfile.mkdtemp(prefix="impulator-schema-"))
APP = create_app(
    ApiSettings(
        database_url=f"sqlite:///{_folder / 'api.sqlite'}",
        prefix="/services/impulator-api/",
        submits_per_minute=100_000,
        reads_per_minute=100_000,
        max_upload_bytes=100_000,
        identify=identify,
    )
)
schema = schemathesis.openapi.from_asgi(f"{BASE}/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_responses_match_the_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers={"Authorization": "token alice-token"},
        checks=[
            schemathesis.checks.not_a_server_error,
            schemathesis.checks.response_schema_conformance,
        ],
    )
