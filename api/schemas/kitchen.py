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
    prep_minutes: int = Field(description="Planned: the kitchen's learned time, busy minutes on")
    declared_minutes: int = Field(description="What the kitchen declared: its slowest dish")
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
    orders_per_quarter: Annotated[
        int | None,
        Field(ge=0, le=200, description="At most this many orders a quarter hour; 0: no cap"),
    ] = None


class KitchenPaceView(BaseModel):
    """The kitchen's learned pace, as it is told it."""

    factor: float = Field(description="Real over declared cooking time, at the median, now")
    cooking: int = Field(description="Tickets it has cooking now (the load the factor is at)")
    tickets: int = Field(description="Closed tickets it was learned from (0: declared times)")


class KitchenRestaurant(BaseModel):
    id: int
    name: str
    paused: bool
    busy_extra_minutes: int
    auto_accept: bool
    orders_per_quarter: int
    pace: KitchenPaceView
