"""Managing the alliance: restaurants, their hours, dishes, people and couriers."""

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from api.models import Allergen, Role, Station, VatClass, Vehicle
from api.schemas.catalogue import ClockTime
from api.schemas.common import Id
from api.services.legal import Siret, VatNumber

Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=60)]
Name = Annotated[str, Field(min_length=1, max_length=120)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
Phone = Annotated[str, Field(max_length=30, pattern=r"^[0-9 +().-]*$")]
LegalName = Annotated[
    str, Field(max_length=200, description="The registered name on its invoices; '' is its name")
]


OrdersPerQuarter = Annotated[
    int, Field(ge=0, le=200, description="At most this many orders ready a quarter hour; 0: no cap")
]
CommissionBp = Annotated[
    int,
    Field(ge=0, le=10_000, description="Commission on the kitchen's pre-VAT sales, basis points"),
]
CommissionFixed = Annotated[
    int, Field(ge=0, le=100_000, description="Commission per order, pre-VAT cents")
]


class RestaurantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: Slug
    name: Name
    cuisine: Annotated[str, Field(min_length=1, max_length=60)]
    description: Annotated[str, Field(max_length=500)] = ""
    address: Annotated[str, Field(min_length=1, max_length=200)]
    lat: Latitude
    lon: Longitude
    default_prep_minutes: Annotated[int, Field(ge=1, le=180)] = 15
    auto_accept: bool = False
    orders_per_quarter: OrdersPerQuarter = 0
    commission_bp: CommissionBp = 0
    commission_fixed_cents: CommissionFixed = 0
    phone: Phone = ""
    email: EmailStr | None = None
    legal_name: LegalName = ""
    siret: Siret = ""
    vat_number: VatNumber = ""


class RestaurantEdit(BaseModel):
    """Only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    cuisine: Annotated[str | None, Field(min_length=1, max_length=60)] = None
    description: Annotated[str | None, Field(max_length=500)] = None
    address: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    default_prep_minutes: Annotated[int | None, Field(ge=1, le=180)] = None
    auto_accept: bool | None = None
    orders_per_quarter: OrdersPerQuarter | None = None
    commission_bp: CommissionBp | None = None
    commission_fixed_cents: CommissionFixed | None = None
    phone: Phone | None = None
    email: EmailStr | None = None
    active: bool | None = Field(default=None, description="False takes it off the site")
    legal_name: LegalName | None = None
    siret: Siret | None = Field(default=None, description="14 digits; '' removes it")
    vat_number: VatNumber | None = Field(default=None, description="FR and 11 characters")

    @model_validator(mode="after")
    def _both_coordinates(self) -> "RestaurantEdit":
        if (self.lat is None) != (self.lon is None):
            raise ValueError("send lat and lon together")
        return self


class WeeklyPeriod(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weekday: Annotated[int, Field(ge=0, le=6, description="0 = Monday")]
    opens: ClockTime
    closes: ClockTime


class WeeklyHours(BaseModel):
    """The whole week, replacing the hours there were; a weekday with no period is closed."""

    model_config = ConfigDict(extra="forbid")
    periods: Annotated[list[WeeklyPeriod], Field(max_length=28)]


class ExceptionCreate(BaseModel):
    """A date with other hours, or closed all day (no opens and closes)."""

    model_config = ConfigDict(extra="forbid")
    day: date
    opens: ClockTime | None = None
    closes: ClockTime | None = None
    note: Annotated[str, Field(max_length=120)] = ""


class ExceptionPublic(BaseModel):
    id: int
    day: date
    opens: ClockTime | None
    closes: ClockTime | None
    note: str


class RestaurantAdmin(BaseModel):
    id: int
    slug: str
    name: str
    cuisine: str
    description: str
    address: str
    lat: float
    lon: float
    default_prep_minutes: int
    busy_extra_minutes: int
    orders_per_quarter: int
    commission_bp: int
    commission_fixed_cents: int
    paused: bool
    auto_accept: bool
    active: bool
    phone: str
    email: str
    legal_name: str
    siret: str
    vat_number: str
    hours: list[WeeklyPeriod]
    exceptions: list[ExceptionPublic]


Price = Annotated[int, Field(ge=0, le=1_000_000, description="In cents, VAT included")]


class DishCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    description: Annotated[str, Field(max_length=500)] = ""
    price_cents: Price
    prep_minutes: Annotated[int, Field(ge=0, le=180)]
    allergens: Annotated[list[Allergen], Field(max_length=14)] = Field(default_factory=list)
    station: Station
    freshness_minutes: Annotated[int, Field(ge=5, le=120)] = 25
    vat_class: VatClass = VatClass.FOOD
    available: bool = True
    daily_portions: Annotated[int | None, Field(ge=0, le=10_000)] = None


class DishEdit(BaseModel):
    """Only the fields sent are changed; portions_left null means unlimited."""

    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    description: Annotated[str | None, Field(max_length=500)] = None
    price_cents: Price | None = None
    prep_minutes: Annotated[int | None, Field(ge=0, le=180)] = None
    allergens: Annotated[list[Allergen] | None, Field(max_length=14)] = None
    station: Station | None = None
    freshness_minutes: Annotated[int | None, Field(ge=5, le=120)] = None
    vat_class: VatClass | None = None
    available: bool | None = None
    daily_portions: Annotated[int | None, Field(ge=0, le=10_000)] = None
    portions_left: Annotated[int | None, Field(ge=0, le=10_000)] = None


class DishAdmin(BaseModel):
    id: int
    restaurant_id: int
    name: str
    description: str
    price_cents: int
    prep_minutes: int
    allergens: list[Allergen]
    station: Station
    freshness_minutes: int
    vat_class: VatClass
    available: bool
    daily_portions: int | None
    portions_left: int | None


class MenuImported(BaseModel):
    created: int
    updated: int
    audit_id: int | None = None


class Invite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailStr
    name: Name
    role: Role
    restaurant_id: Id | None = Field(default=None, description="Kitchen staff's restaurant")
    vehicle: Vehicle = Vehicle.BIKE
    bag_capacity: Annotated[int, Field(ge=1, le=12)] = 3

    @model_validator(mode="after")
    def _kitchen_has_a_restaurant(self) -> "Invite":
        if self.role is Role.CUSTOMER:
            raise ValueError("customers sign up themselves")
        if (self.role is Role.KITCHEN) != (self.restaurant_id is not None):
            raise ValueError("kitchen staff, and only they, belong to a restaurant_id")
        return self


class PersonPublic(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    restaurant_id: int | None
    is_active: bool
    courier_id: int | None = None
    vehicle: Vehicle | None = None
    bag_capacity: int | None = None


class PasswordLink(BaseModel):
    """A one-time link to set a password: give it to the person (it is shown once)."""

    user: PersonPublic
    link: str
    expires_at: datetime


class PasswordSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: Annotated[str, Field(min_length=20, max_length=100)]
    password: Annotated[str, Field(min_length=10, max_length=256)]


class CourierEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    vehicle: Vehicle | None = None
    bag_capacity: Annotated[int | None, Field(ge=1, le=12)] = None


class RosterPeriod(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weekday: Annotated[int, Field(ge=0, le=6, description="0 = Monday")]
    starts: ClockTime
    ends: ClockTime


class RosterWeek(BaseModel):
    """A courier's planned week, replacing the one there was."""

    model_config = ConfigDict(extra="forbid")
    periods: Annotated[list[RosterPeriod], Field(max_length=28)]
