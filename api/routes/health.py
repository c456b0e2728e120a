"""Liveness and readiness probes."""

import hmac
from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from api.errors import NotFound, ServiceUnavailable, Unauthorized, error_responses
from api.services.health import check_database, check_redis

router = APIRouter(tags=["health"])
log = structlog.get_logger(__name__)


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]
    checks: dict[str, str]


@router.get("/healthz")
def healthz() -> Health:
    """The process is alive."""
    return Health(status="ok")


@router.get("/readyz", responses=error_responses(ServiceUnavailable))
async def readyz(request: Request) -> Readiness:
    """The database (and Redis when configured) answer; 503 names what does not."""
    state = request.app.state
    problems = {
        "database": await run_in_threadpool(check_database, state.engine),
        "redis": await check_redis(state.redis),
    }
    failing = {name: reason for name, reason in problems.items() if reason is not None}
    if failing:
        # The drivers' words (hosts, ports, users) go to the log, not to whoever asks.
        log.warning("not_ready", **failing)
        raise ServiceUnavailable(dict.fromkeys(failing, "unavailable"))
    checks = {"database": "ok", "redis": "ok" if state.redis is not None else "not configured"}
    return Readiness(status="ready", checks=checks)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, authorization: Annotated[str | None, Header()] = None) -> Response:
    """Prometheus metrics, for the bearer of CHAUD_METRICS_TOKEN; off when it is unset."""
    token = request.app.state.settings.metrics_token
    if token is None:
        raise NotFound("metrics are off: set CHAUD_METRICS_TOKEN to scrape them")
    expected = f"Bearer {token.get_secret_value()}"
    if not hmac.compare_digest((authorization or "").encode(), expected.encode()):
        raise Unauthorized("the metrics token is missing or wrong")
    return Response(generate_latest(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)
