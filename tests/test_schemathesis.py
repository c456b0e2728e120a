"""Property-based tests of the whole API from its own OpenAPI schema (schemathesis).

Generated requests, sent anonymously and signed in as a customer and as a kitchen, must
never cause a server error or a response that breaks the schema the API publishes.
"""

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.generation.case import Case
from sqlmodel import Session

from api.clock import FixedClock
from api.settings import Settings
from tests.accounts import headers_for

pytestmark = pytest.mark.slow
EXAMPLES_PER_OPERATION = 30


def test_no_server_error_and_no_broken_schema(
    client: TestClient, session: Session, settings: Settings, clock: FixedClock
) -> None:
    roles = [
        {},
        headers_for(session, settings, clock, "customer@chaud.demo"),
        headers_for(session, settings, clock, "kitchen-pho-turenne@chaud.demo"),
    ]
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) > 20

    for operation in operations:

        @given(case=operation.as_strategy(), role=st.sampled_from(range(len(roles))))
        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def generated(case: Case[Any], role: int) -> None:
            headers = {**roles[role], "Idempotency-Key": f"schemathesis-{role}"}
            case.call_and_validate(
                headers=headers, checks=[not_a_server_error, response_schema_conformance]
            )

        generated()
