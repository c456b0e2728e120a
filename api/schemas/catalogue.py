"""What anyone may read of the alliance: restaurants, menus, dishes, relay points."""

from datetime import time
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field

from api.models import Allergen, RelayKind, Station

# Local wall-clock time as "HH:MM": JSON Schema's "time" format demands a UTC offset, and
# opening hours have none (they follow the alliance's time zone through the year).
ClockTime = Annotated[
    str,
    BeforeValidator(lambda v: v.strftime("%H:%M") if isinstance(v, time) else v),
    Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["11:30"]),
]


class RestaurantPublic(BaseModel):
    id: int
    slug: str
    name: str
    cuisine: str
    description: str
    address: str
    lat: float
    lon: float
    paused: bool
    busy_extra_minutes: int
    is_open: bool


class DishPublic(BaseModel):
    id: int
    restaurant_id: int
    name: str
    description: str
    price_cents: int
    prep_minutes: int
    allergens: list[Allergen]
    station: Station
    available: bool
    portions_left: int | None


class MenuPublic(BaseModel):
    restaurant: RestaurantPublic
    dishes: list[DishPublic]


class DishFound(DishPublic):
    restaurant_name: str
    restaurant_slug: str


class RelayPointPublic(BaseModel):
    id: int
    slug: str
    name: str
    kind: RelayKind
    address: str
    lat: float
    lon: float
    opens: ClockTime
    closes: ClockTime
