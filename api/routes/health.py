"""Liveness and readiness probes."""

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from api.errors import ServiceUnavailable, error_responses
from api.services.health import check_database, check_redis

router = APIRouter(tags=["health"])


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
        raise ServiceUnavailable(failing)
    checks = {"database": "ok", "redis": "ok" if state.redis is not None else "not configured"}
    return Readiness(status="ready", checks=checks)
