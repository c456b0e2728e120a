"""What anyone may read of the alliance: restaurants, menus, dishes, relay points."""

from datetime import time

from pydantic import BaseModel

from api.models import Allergen, RelayKind, Station


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
    opens: time
    closes: time
