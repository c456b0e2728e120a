"""What kitchen staff read and change."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from api.models import Allergen, Station, TicketStatus


class KitchenLine(BaseModel):
    dish_id: int
    dish_name: str
    quantity: int
    note: str
    allergens: list[Allergen]
    station: Station | None


class KitchenTicket(BaseModel):
    id: int
    order_id: int
    status: TicketStatus
    prep_minutes: int
    created_at: datetime
    start_cooking_at: datetime | None
    pickup_eta: datetime | None
    refuse_reason: str | None
    lines: list[KitchenLine]


class RefuseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=1, max_length=200)]


class RestaurantSettings(BaseModel):
    """Only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")
    paused: bool | None = None
    busy_extra_minutes: Annotated[int | None, Field(ge=0, le=120)] = None
    auto_accept: bool | None = None


class KitchenRestaurant(BaseModel):
    id: int
    name: str
    paused: bool
    busy_extra_minutes: int
    auto_accept: bool
