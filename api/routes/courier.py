"""A courier's shift, position and round; a courier sees only its own round."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import ClockDep, CurrentCourier, GeographyDep, SessionDep, SettingsDep
from api.errors import ROLE_ERRORS, Conflict, InvalidInput, NotFound, error_responses
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
from api.services import couriers as service
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
    pay = service.PayRule(settings.courier_pay_hour_cents, settings.courier_pay_drop_cents)
    return service.shift_history(session, courier, clock.now(), limit, pay)


@router.post("/shift/end", responses=error_responses(NotFound, Conflict))
def end_shift(user: CurrentCourier, session: SessionDep, clock: ClockDep) -> ShiftPublic:
    """End the shift; stops not yet started go back to the dispatcher."""
    shift = service.end_shift(session, service.courier_of(session, user.id), clock.now())
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
