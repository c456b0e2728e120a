"""Property-based tests of the whole API from its own OpenAPI schema (schemathesis).

Generated requests, sent anonymously and signed in as a customer and as a kitchen, must
never cause a server error or a response that breaks the schema the API publishes.
"""

import uuid
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation.case import Case
from sqlmodel import Session

from api.clock import FixedClock
from api.ratelimit import Limiter
from api.settings import Settings
from tests.accounts import headers_for

pytestmark = pytest.mark.slow
EXAMPLES_PER_OPERATION = 20
STATEFUL_RUNS = 15


def test_no_server_error_and_no_broken_schema(
    client: TestClient, session: Session, settings: Settings, clock: FixedClock
) -> None:
    roles = [
        {},
        *(
            headers_for(session, settings, clock, email)
            for email in (
                "customer@chaud.demo",
                "kitchen-pho-turenne@chaud.demo",
                "courier-1@chaud.demo",
                "operator@chaud.demo",
            )
        ),
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
                headers=headers,
                checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
            )

        generated()


def test_chained_calls_across_roles_keep_the_schema(
    client: TestClient, session: Session, settings: Settings, clock: FixedClock
) -> None:
    """Stateful: schemathesis follows the links it finds between operations (an order placed,
    read, cancelled; its tickets accepted, started, bumped by the kitchen; an address saved
    and deleted; the operator's steps on them) with the ids the API returned, each call made
    by the role it is for."""
    by_prefix = {
        prefix: headers_for(session, settings, clock, email)
        for prefix, email in (
            ("/api/v1/kitchen/", "kitchen-pho-turenne@chaud.demo"),
            ("/api/v1/courier/", "courier-1@chaud.demo"),
            ("/api/v1/ops/", "operator@chaud.demo"),
            ("/api/v1/", "customer@chaud.demo"),
        )
    }
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    base = schema.as_state_machine()
    assert len(base.bundles) >= 5, "schemathesis found the links between operations"

    connection = session.connection()
    app: FastAPI = client.app  # type: ignore[assignment]

    class Machine(base):  # type: ignore[valid-type,misc]
        # Each example starts from the same data: Hypothesis replays a run's first steps and
        # expects the same answers (the same links to follow), which an API whose rows piled
        # up from earlier examples would not give (a FlakyStrategyDefinition error).
        # A savepoint of our own in SQL, under the session's (which SQLAlchemy tracks itself).
        # The rate limits' counters live outside the database: fresh ones too, or the sign-ups
        # of earlier examples spend the hour's allowance and a replayed sign-up answers 429.
        def setup(self) -> None:
            app.state.limiter = Limiter()
            session.rollback()
            connection.exec_driver_sql("SAVEPOINT schemathesis_example")

        def teardown(self) -> None:
            session.rollback()
            session.expunge_all()
            connection.exec_driver_sql("ROLLBACK TO SAVEPOINT schemathesis_example")

        def get_call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
            role = next(h for prefix, h in by_prefix.items() if case.path.startswith(prefix))
            return {"headers": {**role, "Idempotency-Key": uuid.uuid4().hex}}

        def validate_response(self, response: Any, case: Case[Any], **kwargs: Any) -> None:
            case.validate_response(
                response,
                checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
            )

    Machine.run(
        settings=hypothesis_settings(
            max_examples=STATEFUL_RUNS,
            stateful_step_count=8,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
