"""A courier's shift, position and round; a courier sees only its own round."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.deps import ClockDep, CurrentCourier, GeographyDep, SessionDep, SettingsDep
from api.errors import ROLE_ERRORS, Conflict, InvalidInput, NotFound, error_responses
from api.routes.ops import STATEMENT_FILES, From, StatementFormat, To, statement_response
from api.schemas.common import IdPath
from api.schemas.couriers import (
    PositionUpdate,
    RoundPublic,
    ShiftPublic,
    ShiftStart,
    ShiftState,
    ShiftSummary,
    StopAction,
)
from api.schemas.ops import Statement
from api.services import couriers as service
from api.services import reports, statements
from api.services.geo import locate

router = APIRouter(prefix="/courier", tags=["courier"], responses=ROLE_ERRORS)
STOP_ERRORS = error_responses(NotFound, Conflict)


@router.post("/shift/start", responses=error_responses(NotFound, Conflict, InvalidInput))
def start_shift(
    body: ShiftStart,
    user: CurrentCourier,
    session: SessionDep,
    clock: ClockDep,
    geography: GeographyDep,
    settings: SettingsDep,
) -> ShiftPublic:
    """Start a shift where the courier stands; the dispatcher includes the courier at once."""
    locate(geography, body.lat, body.lon, field="lat")
    courier = service.courier_of(session, user.id)
    shift = service.start_shift(
        session, courier, body.lat, body.lon, body.vehicle, clock.now(), settings.timezone
    )
    session.commit()
    return shift


@router.get("/shift", responses=error_responses(NotFound))
def shift(user: CurrentCourier, session: SessionDep) -> ShiftState:
    """Whether the courier is on shift now, and since when."""
    return service.shift_state(session, service.courier_of(session, user.id))


@router.get("/shifts", responses=error_responses(NotFound))
def shifts(
    user: CurrentCourier,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[ShiftSummary]:
    """The courier's last shifts, newest first: hours, pickups, deliveries, earnings."""
    courier = service.courier_of(session, user.id)
    return service.shift_history(session, courier, clock.now(), limit, service.PayRule.of(settings))


@router.get(
    "/statement",
    response_model=Statement,
    responses={
        **error_responses(InvalidInput, NotFound),
        **STATEMENT_FILES,
    },
)
def statement(
    user: CurrentCourier,
    session: SessionDep,
    settings: SettingsDep,
    start: From = None,
    end: To = None,
    format: StatementFormat = StatementFormat.JSON,
) -> Any:
    """The courier's earnings over the period, shift by shift, as the journal holds them."""
    courier = service.courier_of(session, user.id)
    assert courier.id is not None
    bounds = reports.open_bounds(start, end, settings.timezone)
    result = statements.courier_statement(session, courier.id, (start, end), bounds)
    return statement_response(result, format, settings)


@router.post("/shift/end", responses=error_responses(NotFound, Conflict))
def end_shift(
    user: CurrentCourier, session: SessionDep, clock: ClockDep, settings: SettingsDep
) -> ShiftPublic:
    """End the shift; stops not yet started go back to the dispatcher; its pay is journalled."""
    courier = service.courier_of(session, user.id)
    shift = service.end_shift(session, courier, clock.now(), service.PayRule.of(settings))
    session.commit()
    return shift


@router.post(
    "/position",
    status_code=204,
    responses=error_responses(NotFound, Conflict, InvalidInput),
)
def position(
    body: PositionUpdate,
    user: CurrentCourier,
    session: SessionDep,
    clock: ClockDep,
    geography: GeographyDep,
) -> Response:
    """Report where the courier is now."""
    locate(geography, body.lat, body.lon, field="lat")
    service.record_position(
        session, service.courier_of(session, user.id), body.lat, body.lon, clock.now()
    )
    session.commit()
    return Response(status_code=204)


@router.get("/round", responses=error_responses(NotFound))
def current_round(
    user: CurrentCourier, session: SessionDep, geography: GeographyDep
) -> RoundPublic:
    """The courier's stops in order, the next one, and the streets to ride."""
    return service.current_round(session, service.courier_of(session, user.id), geography)


@router.post(
    "/stops/{stop_id}/arrived",
    status_code=204,
    responses=error_responses(NotFound, Conflict, InvalidInput),
)
def arrived(
    stop_id: IdPath,
    user: CurrentCourier,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    body: StopAction | None = None,
) -> Response:
    """Say the courier is at the next stop (near it, or with a reason)."""
    near = service.Nearness(body, settings.arrival_radius_m)
    service.arrive(session, service.courier_of(session, user.id), stop_id, clock.now(), near)
    session.commit()
    return Response(status_code=204)


@router.post(
    "/stops/{stop_id}/done",
    responses=error_responses(NotFound, Conflict, InvalidInput),
)
def done(
    stop_id: IdPath,
    user: CurrentCourier,
    session: SessionDep,
    clock: ClockDep,
    geography: GeographyDep,
    settings: SettingsDep,
    body: StopAction | None = None,
) -> RoundPublic:
    """Finish the next stop: a pickup collects the bag, a drop-off at a door delivers the order
    (at a relay shop, the shop confirms it); near the stop, or with a reason."""
    courier = service.courier_of(session, user.id)
    near = service.Nearness(body, settings.arrival_radius_m)
    service.complete(session, courier, stop_id, clock.now(), near)
    session.commit()
    return service.current_round(session, courier, geography)
