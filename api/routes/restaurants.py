"""The alliance's restaurants, menus, dishes and relay points: public reading."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ClockDep, SessionDep, SettingsDep
from api.errors import NotFound, error_responses
from api.models import Allergen
from api.schemas.catalogue import DishFound, MenuPublic, RelayPointPublic, RestaurantPublic
from api.schemas.common import IdPath
from api.services import catalogue as service

router = APIRouter(tags=["catalogue"])

MAX_PAGE_SIZE = 100
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


@router.get("/restaurants")
def list_restaurants(
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    open_now: bool | None = None,
    paused: bool | None = None,
    cuisine: Annotated[str | None, Query(max_length=60)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[RestaurantPublic]:
    """List the alliance's restaurants with their location; filter by open now, paused, cuisine."""
    return service.list_restaurants(
        session,
        now=clock.now(),
        timezone=settings.timezone,
        open_now=open_now,
        paused=paused,
        cuisine=cuisine,
        limit=limit,
        offset=offset,
    )


@router.get("/restaurants/{restaurant_id}/menu", responses=error_responses(NotFound))
def menu(
    restaurant_id: IdPath, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> MenuPublic:
    """A restaurant and its dishes, with prices, allergens and availability."""
    return service.menu(session, restaurant_id, now=clock.now(), timezone=settings.timezone)


@router.get("/dishes")
def search_dishes(
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=100, description="Words in a dish")] = None,
    allergen_free: Annotated[list[Allergen] | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[DishFound]:
    """Search dishes across the alliance, leaving out those with the given allergens."""
    return service.search_dishes(
        session, text=q, allergen_free=allergen_free or [], limit=limit, offset=offset
    )


@router.get("/relay-points")
def relay_points(session: SessionDep) -> list[RelayPointPublic]:
    """Shops where customers can collect an order with a code."""
    return service.list_relay_points(session)
