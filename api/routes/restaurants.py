"""The alliance's restaurants."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import SessionDep
from api.models import RestaurantPublic
from api.services import restaurants as service

router = APIRouter(prefix="/restaurants", tags=["restaurants"])

MAX_PAGE_SIZE = 100


@router.get("")
def list_restaurants(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[RestaurantPublic]:
    """List the alliance's restaurants with their location."""
    rows = service.list_restaurants(session, limit=limit, offset=offset)
    return [RestaurantPublic.model_validate(row) for row in rows]
