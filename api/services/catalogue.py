"""Reading the alliance: restaurants (open now or not), menus, dish search, relay points."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from api.errors import NotFound
from api.models import Allergen, Dish, RelayPoint, Restaurant
from api.schemas.catalogue import (
    DishFound,
    DishPublic,
    MenuPublic,
    RelayPointPublic,
    RestaurantPublic,
)
from api.services.hours import is_open, local
from api.services.views import HoursView, hours_of


def opening_hours(session: Session, restaurant_ids: Sequence[int]) -> dict[int, list[HoursView]]:
    rows = hours_of(session, restaurant_ids)
    by_restaurant: dict[int, list[HoursView]] = defaultdict(list)
    for row in rows:
        by_restaurant[row.restaurant_id].append(row)
    return by_restaurant


def restaurant_public(restaurant: Restaurant, open_now: bool) -> RestaurantPublic:
    assert restaurant.id is not None
    return RestaurantPublic(
        id=restaurant.id,
        slug=restaurant.slug,
        name=restaurant.name,
        cuisine=restaurant.cuisine,
        description=restaurant.description,
        address=restaurant.address,
        lat=restaurant.lat,
        lon=restaurant.lon,
        paused=restaurant.paused,
        busy_extra_minutes=restaurant.busy_extra_minutes,
        is_open=open_now and not restaurant.paused,
    )


def dish_public(dish: Dish) -> DishPublic:
    assert dish.id is not None
    return DishPublic(
        id=dish.id,
        restaurant_id=dish.restaurant_id,
        name=dish.name,
        description=dish.description,
        price_cents=dish.price_cents,
        prep_minutes=dish.prep_minutes,
        allergens=[Allergen(a) for a in dish.allergens],
        station=dish.station,
        available=dish.available and dish.portions_left != 0,
        portions_left=dish.portions_left,
    )


def list_restaurants(
    session: Session,
    *,
    now: datetime,
    timezone: str,
    open_now: bool | None,
    paused: bool | None,
    cuisine: str | None,
    limit: int,
    offset: int,
) -> list[RestaurantPublic]:
    """The alliance's restaurants by name, filtered; 'open' means open now and not paused."""
    query = (
        select(Restaurant)
        .where(col(Restaurant.active))
        .order_by(col(Restaurant.name), col(Restaurant.id))
    )
    if paused is not None:
        query = query.where(Restaurant.paused == paused)
    if cuisine:
        query = query.where(Restaurant.cuisine == cuisine.strip().lower())
    restaurants = session.exec(query).all()
    hours = opening_hours(session, [r.id for r in restaurants if r.id is not None])
    moment = local(now, timezone)
    listed = [restaurant_public(r, is_open(hours.get(r.id or 0, []), moment)) for r in restaurants]
    if open_now is not None:
        listed = [r for r in listed if r.is_open == open_now]
    return listed[offset : offset + limit]


def restaurant_id_by_slug(session: Session, slug: str) -> int | None:
    return session.exec(
        select(Restaurant.id).where(Restaurant.slug == slug, col(Restaurant.active))
    ).first()


def menu(session: Session, restaurant_id: int, *, now: datetime, timezone: str) -> MenuPublic:
    restaurant = session.get(Restaurant, restaurant_id)
    if restaurant is None or not restaurant.active:
        raise NotFound(f"no restaurant {restaurant_id}")
    hours = opening_hours(session, [restaurant_id]).get(restaurant_id, [])
    dishes = session.exec(
        select(Dish).where(Dish.restaurant_id == restaurant_id).order_by(col(Dish.id))
    ).all()
    return MenuPublic(
        restaurant=restaurant_public(restaurant, is_open(hours, local(now, timezone))),
        dishes=[dish_public(d) for d in dishes],
    )


def search_dishes(
    session: Session,
    *,
    text: str | None,
    allergen_free: Sequence[Allergen],
    limit: int,
    offset: int,
) -> list[DishFound]:
    """Dishes across the alliance whose name or description holds the text, without allergens."""
    query = (
        select(Dish, Restaurant)
        .join(Restaurant, col(Restaurant.id) == col(Dish.restaurant_id))
        .where(col(Restaurant.active))
        .order_by(col(Dish.name), col(Dish.id))
    )
    if text:
        # The customer's text is matched as written: % and _ are letters here, not wildcards.
        needle = text.strip()
        query = query.where(
            col(Dish.name).icontains(needle, autoescape=True)
            | col(Dish.description).icontains(needle, autoescape=True)
        )
    excluded = {a.value for a in allergen_free}
    # Allergens are a JSON list: filtering here keeps the query the same on both databases.
    found = [
        DishFound(
            **dish_public(dish).model_dump(),
            restaurant_name=restaurant.name,
            restaurant_slug=restaurant.slug,
        )
        for dish, restaurant in session.exec(query).all()
        if not excluded.intersection(dish.allergens)
    ]
    return found[offset : offset + limit]


def list_relay_points(session: Session) -> list[RelayPointPublic]:
    rows = session.exec(
        select(RelayPoint).where(RelayPoint.active == True).order_by(col(RelayPoint.name))  # noqa: E712
    ).all()
    return [RelayPointPublic.model_validate(row, from_attributes=True) for row in rows]
