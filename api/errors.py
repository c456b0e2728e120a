"""One error hierarchy, rendered by one handler as ``{"error": code, "detail": ...}``."""

import re
from typing import Any, ClassVar

import psycopg
import sqlalchemy as sa
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas.common import DESTINATION_TAGS

log = structlog.get_logger(__name__)


class ErrorBody(BaseModel):
    """Every error the API returns has this shape."""

    error: str
    detail: Any = None


class ChaudError(Exception):
    """Base of every error the API answers on purpose."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, detail: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers


class BadRequest(ChaudError):
    pass


class NotFound(ChaudError):
    status_code = 404
    code = "not_found"


class Unauthorized(ChaudError):
    status_code = 401
    code = "unauthorized"

    def __init__(self, detail: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail, headers or {"WWW-Authenticate": "Bearer"})


class Forbidden(ChaudError):
    status_code = 403
    code = "forbidden"


class Conflict(ChaudError):
    status_code = 409
    code = "conflict"


class InvalidInput(ChaudError):
    """Well-formed input the domain cannot accept; detail lists ``{"field", "reason"}``."""

    status_code = 422
    code = "invalid_input"


class PayloadTooLarge(ChaudError):
    status_code = 413
    code = "payload_too_large"


class TooManyRequests(ChaudError):
    status_code = 429
    code = "too_many_requests"


class ServiceUnavailable(ChaudError):
    status_code = 503
    code = "service_unavailable"


COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorBody, "description": "invalid_input: detail lists each field and reason"},
    413: {"model": ErrorBody, "description": "payload_too_large"},
    503: {
        "model": ErrorBody,
        "description": "service_unavailable: the database is not answering (Retry-After)",
    },
}


def error_responses(*errors: type[ChaudError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting which errors a route can answer."""
    return {error.status_code: {"model": ErrorBody, "description": error.code} for error in errors}


ROLE_ERRORS = error_responses(Unauthorized, Forbidden)
"""What a route for one role answers anyone else: 401 signed out, 403 signed in as another."""


def _json(
    status_code: int, code: str, detail: Any, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        status_code=status_code,
        content=ErrorBody(error=code, detail=detail).model_dump(mode="json"),
        headers=headers,
    )


PRICE_FIELDS = frozenset(
    {"price", "price_cents", "unit_price_cents", "line_total_cents", "subtotal_cents"}
    | {"delivery_fee_cents", "fee", "fee_cents", "total", "total_cents"}
)


def _reason(item: Any) -> str:
    if item.get("type") == "extra_forbidden" and item["loc"] and item["loc"][-1] in PRICE_FIELDS:
        return "prices, fees and totals are computed by the server: do not send them"
    return str(item["msg"]).removeprefix("Value error, ")


_NAMED_FIELD = re.compile(r"^Value error, ([\w.]+): (.+)$", re.DOTALL)
"""A model-level check names the field it refuses: ``ValueError("lines.3.quantity: …")``."""


def _field_error(item: Any) -> dict[str, str]:
    # A destination's kind is how it was read, not a field the client sent: not named.
    location = [str(part) for part in item["loc"] if part not in DESTINATION_TAGS]
    named = _NAMED_FIELD.match(str(item["msg"])) if item.get("type") == "value_error" else None
    if named:
        return {"field": ".".join([*location, named[1]]), "reason": named[2]}
    return {"field": ".".join(location), "reason": _reason(item)}


def _field_errors(error: RequestValidationError) -> list[dict[str, str]]:
    """Pydantic's errors as ``{"field": "body.lines.0.quantity", "reason": ...}``."""
    return [_field_error(item) for item in error.errors()]


async def _chaud_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ChaudError)
    return _json(error.status_code, error.code, error.detail, error.headers)


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return _json(422, "invalid_input", _field_errors(error))


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 400:  # the framework could not read the body (bytes, not JSON)
        detail = [{"field": "body", "reason": f"unreadable: {error.detail}"}]
        return _json(400, BadRequest.code, detail)
    code = _HTTP_CODES.get(error.status_code, "http_error")
    return _json(error.status_code, code, error.detail, getattr(error, "headers", None))


UNREADABLE_BODY: dict[str, Any] = {
    "description": "bad_request: the body could not be read (not UTF-8 JSON, a broken form)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
}


def document_unreadable_bodies(schema: dict[str, Any]) -> dict[str, Any]:
    """Every operation that takes a body can answer 400 when it cannot be read: say so."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if "requestBody" in operation:
                operation["responses"].setdefault("400", UNREADABLE_BODY)
    return schema


DATABASE_RETRY_AFTER_S = 5
CONFLICTS = (
    psycopg.errors.TransactionRollback,
    psycopg.errors.SerializationFailure,
    psycopg.errors.DeadlockDetected,
)


async def _database_unavailable(_request: Request, error: Exception) -> JSONResponse:
    """A lost or refused database connection is an outage to wait out, not a bug: 503.

    A deadlock or a serialisation failure also arrives as an OperationalError: it is logged
    as an error of its own (it means two writers took locks crosswise, which the fixed lock
    order should prevent) and answered with a short retry."""
    cause = getattr(error, "orig", None)
    if isinstance(cause, CONFLICTS):
        log.error("transaction_conflict", error=type(cause).__name__, exc_info=error)
        return _json(
            503,
            ServiceUnavailable.code,
            "a conflicting change was under way; retry",
            {"Retry-After": "1"},
        )
    log.warning("database_unavailable", error=type(error).__name__, exc_info=error)
    return _json(
        503,
        ServiceUnavailable.code,
        "the database is not answering; retry shortly",
        {"Retry-After": str(DATABASE_RETRY_AFTER_S)},
    )


async def _unexpected_error(_request: Request, error: Exception) -> JSONResponse:
    log.exception("unhandled_error", exc_info=error)
    return _json(
        500, "internal_error", "unexpected error; the server log has it under this request id"
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Exception, _unexpected_error)
    for outage in (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError):
        app.add_exception_handler(outage, _database_unavailable)
    app.add_exception_handler(ChaudError, _chaud_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
