"""Property-based tests of the API against its own OpenAPI schema (schemathesis): no server error, answers that
match the documented schemas and status codes, whatever the inputs."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from serving.api import Settings, create_app
from tests.api_doubles import make_resources, sqlite_url

# Module level: schemathesis' pytest integration collects one test per operation from a loaded schema
# (`from_fixture` does not work with pytest 9 yet). Creating the app loads nothing: the lifespan runs on first call.
_DB_DIR = Path(tempfile.mkdtemp(prefix="motifs-schemathesis-"))
APP = create_app(
    # Module level: the autouse fixture setting MOTIFS_ALLOWED_HOSTS has not run yet.
    Settings(database_url=sqlite_url(_DB_DIR), max_text_length=2000, allowed_hosts=["testserver", "localhost"]),
    loader=lambda s: make_resources(s.database_url),
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_honours_its_schema(case: schemathesis.Case) -> None:
    # Reason codes are checked against the loaded taxonomy (and the site's extension): a code can match the
    # schema's pattern and still be refused with 422, by design. Every other check runs on every operation.
    excluded = [positive_data_acceptance] if case.operation.path == "/v1/feedback" else []
    case.call_and_validate(excluded_checks=excluded)
