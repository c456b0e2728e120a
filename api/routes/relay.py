"""A relay shop's counter: today's parcels, received from the courier, collected with a code.

A shop sees only parcels sent to it; another shop's answers 404.
"""

from fastapi import APIRouter
from sqlmodel import Session

from api.deps import ClockDep, CurrentRelay, SessionDep, SettingsDep
from api.errors import ROLE_ERRORS, Conflict, InvalidInput, NotFound, error_responses
from api.models import RelayPoint
from api.schemas.accounts import Account
from api.schemas.common import IdPath
from api.schemas.relays import CodeEntry, ParcelPublic
from api.services import relays as service

router = APIRouter(prefix="/relay", tags=["relay"], responses=ROLE_ERRORS)


def _shop(session: Session, user: Account) -> RelayPoint:
    assert user.relay_point_id is not None  # enforced by a check constraint on users
    return service.relay_of(session, user.relay_point_id)


@router.get("/parcels", responses=error_responses(NotFound))
def parcels(
    user: CurrentRelay, session: SessionDep, clock: ClockDep, settings: SettingsDep
) -> list[ParcelPublic]:
    """Today's parcels for the shop: on their way, at the counter, collected."""
    return service.parcels(session, _shop(session, user), clock.now(), settings.timezone)


@router.post("/parcels/{order_id}/received", responses=error_responses(NotFound, Conflict))
def received(
    order_id: IdPath, user: CurrentRelay, session: SessionDep, clock: ClockDep
) -> ParcelPublic:
    """The courier handed the parcel over: its drop-off completes and the customer is told."""
    parcel = service.receive(session, _shop(session, user), order_id, clock.now())
    session.commit()
    return parcel


@router.post(
    "/parcels/{order_id}/collected",
    responses=error_responses(NotFound, Conflict, InvalidInput),
)
def collected(
    order_id: IdPath, body: CodeEntry, user: CurrentRelay, session: SessionDep, clock: ClockDep
) -> ParcelPublic:
    """The customer showed its code: the right one hands the parcel over (5 tries)."""
    parcel = service.collect(session, _shop(session, user), order_id, body.code, clock.now())
    session.commit()
    return parcel
