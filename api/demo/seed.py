"""Write the demo alliance into an empty database."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, func, select

from api.demo import alliance
from api.models import (
    Courier,
    CustomerAddress,
    Dish,
    OpeningHours,
    RelayPoint,
    Restaurant,
    Role,
    User,
)
from api.security import hash_password
from api.services.couriers import start_shift


@dataclass(frozen=True)
class SeedResult:
    created: bool
    restaurants: int
    dishes: int
    relay_points: int
    couriers: int
    users: int


def database_is_empty(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(Restaurant)).one() == 0


def seed_demo(session: Session) -> SeedResult:
    """Create the demo alliance and its accounts, once; a second call changes nothing."""
    if not database_is_empty(session):
        return SeedResult(False, *_counts(session))

    # Every demo account shares one public password: hashing it once keeps seeding fast
    # (Argon2 is deliberately slow) and costs nothing, since the password is published.
    password_hash = hash_password(alliance.DEMO_PASSWORD)

    for demo in alliance.RESTAURANTS:
        restaurant = Restaurant(
            slug=demo.slug,
            name=demo.name,
            cuisine=demo.cuisine,
            description=demo.description,
            address=demo.address,
            lat=demo.lat,
            lon=demo.lon,
            default_prep_minutes=demo.default_prep_minutes,
            auto_accept=demo.auto_accept,
        )
        session.add(restaurant)
        session.flush()
        assert restaurant.id is not None
        for weekday, periods in demo.hours.items():
            for opens, closes in periods:
                session.add(
                    OpeningHours(
                        restaurant_id=restaurant.id, weekday=weekday, opens=opens, closes=closes
                    )
                )
        for dish in demo.dishes:
            session.add(
                Dish(
                    restaurant_id=restaurant.id,
                    name=dish.name,
                    description=dish.description,
                    price_cents=dish.price_cents,
                    prep_minutes=dish.prep_minutes,
                    allergens=[allergen.value for allergen in dish.allergens],
                    station=dish.station,
                    daily_portions=dish.daily_portions,
                    portions_left=dish.daily_portions,
                    freshness_minutes=dish.freshness_minutes,
                )
            )
        session.add(
            User(
                email=alliance.kitchen_email(demo.slug),
                name=f"Kitchen, {demo.name}",
                password_hash=password_hash,
                role=Role.KITCHEN,
                restaurant_id=restaurant.id,
            )
        )

    for relay in alliance.RELAY_POINTS:
        shop = RelayPoint(
            slug=relay.slug,
            name=relay.name,
            kind=relay.kind,
            address=relay.address,
            lat=relay.lat,
            lon=relay.lon,
            opens=relay.opens,
            closes=relay.closes,
        )
        session.add(shop)
        session.flush()
        session.add(
            User(
                email=alliance.relay_email(relay.slug),
                name=f"{relay.name} (counter)",
                password_hash=password_hash,
                role=Role.RELAY,
                relay_point_id=shop.id,
            )
        )

    for demo_courier in alliance.COURIERS:
        user = User(
            email=alliance.courier_email(demo_courier.number),
            name=demo_courier.name,
            password_hash=password_hash,
            role=Role.COURIER,
        )
        session.add(user)
        session.flush()
        assert user.id is not None
        session.add(
            Courier(
                user_id=user.id,
                name=demo_courier.name,
                vehicle=demo_courier.vehicle,
                bag_capacity=demo_courier.bag_capacity,
                usual_shift_starts=demo_courier.shift[0],
                usual_shift_ends=demo_courier.shift[1],
            )
        )

    customer = User(
        email=alliance.CUSTOMER_EMAIL,
        name=alliance.CUSTOMER_NAME,
        password_hash=password_hash,
        role=Role.CUSTOMER,
    )
    session.add(customer)
    session.flush()
    assert customer.id is not None
    session.add(CustomerAddress.model_validate({"user_id": customer.id, **alliance.CUSTOMER_HOME}))
    session.add(
        User(
            email=alliance.OPERATOR_EMAIL,
            name=alliance.OPERATOR_NAME,
            password_hash=password_hash,
            role=Role.OPERATOR,
        )
    )
    session.commit()
    return SeedResult(True, *_counts(session))


def _counts(session: Session) -> tuple[int, int, int, int, int]:
    def count(model: type[object]) -> int:
        return session.exec(select(func.count()).select_from(model)).one()

    return (count(Restaurant), count(Dish), count(RelayPoint), count(Courier), count(User))


def start_demo_shifts(
    session: Session, numbers: Iterable[int], now: datetime, timezone: str
) -> None:
    """Put demo couriers on shift, each at its home kitchen's door, as if they signed in there
    (tests, benchmarks: an order as soon as possible needs a courier out)."""
    for number in numbers:
        courier = session.exec(
            select(Courier).join(User).where(User.email == alliance.courier_email(number))
        ).one()
        kitchen = alliance.RESTAURANTS[(number - 1) % len(alliance.RESTAURANTS)]
        start_shift(session, courier, kitchen.lat, kitchen.lon, None, now, timezone)
    session.commit()
