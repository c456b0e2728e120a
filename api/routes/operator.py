"""The alliance's operator stepping in (the console itself is to come)."""

from fastapi import APIRouter

from api.deps import ClockDep, CurrentOperator, SessionDep
from api.errors import ROLE_ERRORS, NotFound, error_responses
from api.schemas.common import IdPath
from api.schemas.couriers import CodeUnlocked
from api.services import couriers as service

router = APIRouter(prefix="/operator", tags=["operator"], responses=ROLE_ERRORS)


@router.post("/stops/{stop_id}/unlock-code", responses=error_responses(NotFound))
def unlock_code(
    stop_id: IdPath, operator: CurrentOperator, session: SessionDep, clock: ClockDep
) -> CodeUnlocked:
    """Give a relay drop-off locked by wrong codes its tries back (the courier checked in)."""
    unlocked = service.unlock_relay_code(session, stop_id, operator.id, clock.now())
    session.commit()
    return unlocked
