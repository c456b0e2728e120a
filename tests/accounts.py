"""Signing test requests in as demo accounts, without paying Argon2 for each test."""

from datetime import timedelta

from sqlmodel import Session, col, select

from api.clock import FixedClock
from api.models import Courier, Restaurant, User
from api.security import create_access_token
from api.services.couriers import PayRule, end_shift
from api.settings import Settings


def headers_for(
    session: Session, settings: Settings, clock: FixedClock, email: str
) -> dict[str, str]:
    user = session.exec(select(User).where(User.email == email)).one()
    assert user.id is not None
    token = create_access_token(
        user.id,
        user.role.value,
        settings.secret_key.get_secret_value(),
        clock.now(),
        timedelta(hours=1),
    )
    return {"Authorization": f"Bearer {token}"}


def restaurant_id(session: Session, slug: str) -> int:
    restaurant = session.exec(select(Restaurant).where(Restaurant.slug == slug)).one()
    assert restaurant.id is not None
    return restaurant.id


def courier_user_ids(session: Session) -> list[int]:
    return [c.user_id for c in session.exec(select(Courier)).all()]


def dish_id(session: Session, slug: str, name: str) -> int:
    from api.models import Dish

    dish = session.exec(
        select(Dish).where(Dish.restaurant_id == restaurant_id(session, slug), Dish.name == name)
    ).one()
    assert dish.id is not None
    return dish.id


def only_on_shift(session: Session, clock: FixedClock, *numbers: int) -> None:
    """Take every demo courier but these off shift (in the test's transaction), so that a
    dispatching test knows who rides."""
    keep = {f"courier-{n}@chaud.demo" for n in numbers}
    for courier, email in session.exec(
        select(Courier, User.email).join(User).where(col(Courier.on_shift))
    ).all():
        if email not in keep:
            end_shift(session, courier, clock.now(), PayRule(hour_cents=1200, drop_cents=450))
    session.flush()
