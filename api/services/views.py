"""Read-only views of rows on the ordering hot path, read with Core (no ORM objects built).

A SQLAlchemy Row of a model's table has the model's attribute names, so it satisfies these
protocols as the model instances do; building thousands of ORM objects per second does not
fit the order path's budget.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from api.models import (
    Dish,
    OpeningException,
    OpeningHours,
    Restaurant,
    Station,
    TicketStatus,
    VatClass,
)


class HoursView(Protocol):
    @property
    def restaurant_id(self) -> int: ...
    @property
    def weekday(self) -> int: ...
    @property
    def opens(self) -> time: ...
    @property
    def closes(self) -> time: ...
    @property
    def day(self) -> date | None:
        """Set on an exception: that date follows its exceptions, not the week's hours."""


class DishLabels(Protocol):
    """What a kitchen screen needs of a dish beside the order line."""

    @property
    def allergens(self) -> list[str]: ...
    @property
    def station(self) -> Station: ...


class DishView(DishLabels, Protocol):
    @property
    def id(self) -> int: ...
    @property
    def vat_class(self) -> VatClass: ...
    @property
    def restaurant_id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def price_cents(self) -> int: ...
    @property
    def prep_minutes(self) -> int: ...
    @property
    def freshness_minutes(self) -> int: ...
    @property
    def available(self) -> bool: ...
    @property
    def portions_left(self) -> int | None: ...


class TicketView(Protocol):
    @property
    def id(self) -> int | None: ...
    @property
    def order_id(self) -> int: ...
    @property
    def restaurant_id(self) -> int: ...
    @property
    def status(self) -> TicketStatus: ...
    @property
    def subtotal_cents(self) -> int: ...
    @property
    def prep_minutes(self) -> int: ...
    @property
    def declared_minutes(self) -> int: ...
    @property
    def refuse_reason(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def start_cooking_at(self) -> datetime | None: ...
    @property
    def pickup_eta(self) -> datetime | None: ...


class LineView(Protocol):
    @property
    def ticket_id(self) -> int: ...
    @property
    def dish_id(self) -> int: ...
    @property
    def dish_name(self) -> str: ...
    @property
    def quantity(self) -> int: ...
    @property
    def note(self) -> str: ...
    @property
    def unit_price_cents(self) -> int: ...


@dataclass(frozen=True, slots=True)
class NewTicket:
    """A ticket just inserted with bulk statements (no ORM object needed)."""

    id: int
    order_id: int
    restaurant_id: int
    status: TicketStatus
    subtotal_cents: int
    prep_minutes: int
    created_at: datetime
    declared_minutes: int = 0
    refuse_reason: str | None = None
    start_cooking_at: datetime | None = None
    pickup_eta: datetime | None = None


@dataclass(frozen=True, slots=True)
class NewLine:
    order_id: int
    ticket_id: int
    dish_id: int
    dish_name: str
    unit_price_cents: int
    quantity: int
    note: str
    vat_rate_bp: int


class RestaurantView(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def lat(self) -> float: ...
    @property
    def lon(self) -> float: ...
    @property
    def paused(self) -> bool: ...
    @property
    def busy_extra_minutes(self) -> int: ...
    @property
    def orders_per_quarter(self) -> int: ...
    @property
    def auto_accept(self) -> bool: ...
    @property
    def active(self) -> bool: ...


def _by_ids(model: type[SQLModel], column: str) -> sa.Select[Any]:
    # Built once: statement construction and cache-key work are a real share of an order.
    table = cast(sa.Table, model.__table__)  # type: ignore[attr-defined]
    return sa.select(table).where(table.c[column].in_(sa.bindparam("ids", expanding=True)))


_DISHES_BY_ID = _by_ids(Dish, "id")
_RESTAURANTS_BY_ID = _by_ids(Restaurant, "id")
_HOURS_BY_RESTAURANT = _by_ids(OpeningHours, "restaurant_id")
_EXCEPTIONS_BY_RESTAURANT = _by_ids(OpeningException, "restaurant_id")


def dishes_by_id(session: Session, ids: Collection[int]) -> Sequence[DishView]:
    return cast(Sequence[DishView], session.execute(_DISHES_BY_ID, {"ids": list(ids)}).all())


def restaurants_by_id(session: Session, ids: Collection[int]) -> Sequence[RestaurantView]:
    rows = session.execute(_RESTAURANTS_BY_ID, {"ids": list(ids)}).all()
    return cast(Sequence[RestaurantView], rows)


@dataclass(frozen=True)
class Period:
    """An opening period: of a weekday, or of one date (an exception)."""

    restaurant_id: int
    weekday: int
    opens: time
    closes: time
    day: date | None = None


def hours_of(session: Session, restaurant_ids: Collection[int]) -> Sequence[HoursView]:
    """The week's periods and the exceptions' (a day closed all day is one empty period)."""
    ids = {"ids": list(restaurant_ids)}
    weekly = [
        Period(row.restaurant_id, row.weekday, row.opens, row.closes)
        for row in session.execute(_HOURS_BY_RESTAURANT, ids).all()
    ]
    exceptions = [
        Period(
            row.restaurant_id,
            row.day.weekday(),
            row.opens or time(0),
            row.closes or time(0),
            row.day,
        )
        for row in session.execute(_EXCEPTIONS_BY_RESTAURANT, ids).all()
    ]
    return [*weekly, *exceptions]
