"""The alliance: restaurants, their hours and dishes, and the relay points."""

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.db_types import enum_type
from api.models.base import created_at_field, id_field, moment_field
from api.models.enums import RelayKind, Station, VatClass


class RestaurantBase(SQLModel):
    slug: str = Field(max_length=60)
    name: str = Field(max_length=120)
    cuisine: str = Field(max_length=60)
    description: str = Field(default="", max_length=500)
    address: str = Field(max_length=200)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    default_prep_minutes: int = Field(default=15, ge=1, le=180)
    busy_extra_minutes: int = Field(default=0, ge=0, le=120)
    orders_per_quarter: int = Field(
        default=0,
        ge=0,
        le=200,
        sa_column_kwargs={"server_default": "0"},
        description="At most this many orders ready in any quarter hour; 0: no cap",
    )
    commission_bp: int = Field(
        default=0,
        ge=0,
        le=10_000,
        sa_column_kwargs={"server_default": "0"},
        description="The alliance's commission on the kitchen's pre-VAT sales, basis points",
    )
    commission_fixed_cents: int = Field(
        default=0,
        ge=0,
        sa_column_kwargs={"server_default": "0"},
        description="… and a fixed amount per order, pre-VAT cents",
    )
    paused: bool = False
    auto_accept: bool = False
    active: bool = Field(
        default=True,
        sa_column_kwargs={"server_default": sa.true()},
        description="False once the alliance deactivated it: off the site, no new orders",
    )
    phone: str = Field(default="", max_length=30, sa_column_kwargs={"server_default": ""})
    email: str = Field(default="", max_length=254, sa_column_kwargs={"server_default": ""})
    legal_name: str = Field(
        default="",
        max_length=200,
        sa_column_kwargs={"server_default": ""},
        description="The registered name its invoices carry; '' reads as its name",
    )
    siret: str = Field(default="", max_length=14, sa_column_kwargs={"server_default": ""})
    vat_number: str = Field(default="", max_length=13, sa_column_kwargs={"server_default": ""})


class Restaurant(RestaurantBase, table=True):
    __tablename__ = "restaurants"
    __table_args__ = (sa.UniqueConstraint("slug"),)

    id: int | None = id_field()
    created_at: datetime = created_at_field()


class LearnedPace(SQLModel, table=True):
    """A kitchen's learned pace (dispatch.planning.prep.Pace), refitted as its tickets are
    ready: log(real / declared) = a + b * load, for the median and the upper quantile."""

    __tablename__ = "learned_paces"

    restaurant_id: int = Field(foreign_key="restaurants.id", primary_key=True, ondelete="CASCADE")
    median_a: float
    median_b: float
    upper_a: float
    upper_b: float
    tickets: int = Field(ge=0, description="Closed tickets it was fitted on")
    fitted_at: datetime = moment_field(nullable=False)


class OpeningHours(SQLModel, table=True):
    """One opening period of a weekday, in the alliance's local time (Europe/Paris)."""

    __tablename__ = "opening_hours"
    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        sa.CheckConstraint("closes > opens", name="closes_after_opens"),
    )

    id: int | None = id_field()
    restaurant_id: int = Field(foreign_key="restaurants.id", index=True, ondelete="CASCADE")
    weekday: int = Field(description="0 = Monday ... 6 = Sunday")
    opens: time
    closes: time


class OpeningException(SQLModel, table=True):
    """One day that differs from the week's hours: other hours, or closed all day (no hours)."""

    __tablename__ = "opening_exceptions"
    __table_args__ = (
        sa.UniqueConstraint("restaurant_id", "day", "opens"),
        sa.CheckConstraint(
            "(opens IS NULL AND closes IS NULL) OR closes > opens", name="closes_after_opens"
        ),
    )

    id: int | None = id_field()
    restaurant_id: int = Field(foreign_key="restaurants.id", index=True, ondelete="CASCADE")
    day: date = Field(description="Local date")
    opens: time | None = None
    closes: time | None = None
    note: str = Field(default="", max_length=120)


class DishBase(SQLModel):
    name: str = Field(max_length=120)
    description: str = Field(default="", max_length=500)
    price_cents: int = Field(ge=0)
    prep_minutes: int = Field(ge=0, le=180)
    allergens: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    station: Station = Field(sa_type=enum_type(Station))
    available: bool = True
    daily_portions: int | None = Field(default=None, ge=0)
    portions_left: int | None = Field(default=None, ge=0)
    freshness_minutes: int = Field(
        default=25, ge=5, le=120, description="Longest ride from pickup to door that keeps it good"
    )
    vat_class: VatClass = Field(
        default=VatClass.FOOD,
        sa_type=enum_type(VatClass),
        sa_column_kwargs={"server_default": VatClass.FOOD.value},
    )


class Dish(DishBase, table=True):
    __tablename__ = "dishes"
    __table_args__ = (
        sa.CheckConstraint("price_cents >= 0", name="price_not_negative"),
        sa.CheckConstraint("portions_left IS NULL OR portions_left >= 0", name="portions_left"),
    )

    id: int | None = id_field()
    restaurant_id: int = Field(foreign_key="restaurants.id", index=True, ondelete="CASCADE")
    created_at: datetime = created_at_field()


class RelayPointBase(SQLModel):
    slug: str = Field(max_length=60)
    name: str = Field(max_length=120)
    kind: RelayKind = Field(sa_type=enum_type(RelayKind))
    address: str = Field(max_length=200)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    opens: time
    closes: time
    active: bool = True

    def hours_text(self) -> str:
        """When the customer can collect there, as 07:00-20:30 (with an en dash)."""
        return f"{self.opens:%H:%M}\u2013{self.closes:%H:%M}"


class RelayPoint(RelayPointBase, table=True):
    """A shop (tobacconist, bakery) where customers collect orders with a pickup code."""

    __tablename__ = "relay_points"
    __table_args__ = (sa.UniqueConstraint("slug"),)

    id: int | None = id_field()
    created_at: datetime = created_at_field()
