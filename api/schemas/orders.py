"""Carts, quotes and orders as the customer sends and sees them."""

from datetime import datetime
from typing import Annotated, Final

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.models import DestinationKind, OrderStatus, TicketStatus
from api.schemas.common import Id

MAX_LINES: Final = 30


class _Strict(BaseModel):
    # Unknown fields are refused, prices above all: the server computes every amount.
    model_config = ConfigDict(extra="forbid")


class CartLine(_Strict):
    dish_id: Id
    quantity: Annotated[int, Field(ge=1, le=50)]
    note: Annotated[str, Field(max_length=200)] = ""


class AddressDestination(_Strict):
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    address: Annotated[str, Field(max_length=200)] = ""


class RelayDestination(_Strict):
    relay_point_id: Id


class CartRequest(_Strict):
    """A cart that may mix restaurants, and where and when to deliver it."""

    lines: Annotated[list[CartLine], Field(min_length=1, max_length=MAX_LINES)]
    destination: AddressDestination | RelayDestination
    deliver_at: AwareDatetime | None = Field(
        default=None, description="None means as soon as possible"
    )


class QuoteLine(BaseModel):
    dish_id: int
    dish_name: str
    restaurant_id: int
    quantity: int
    note: str
    unit_price_cents: int
    line_total_cents: int


class RestaurantPart(BaseModel):
    restaurant_id: int
    restaurant_name: str
    subtotal_cents: int
    prep_minutes: int
    ready_at: datetime


class FeeBreakdown(BaseModel):
    base_cents: int
    extra_restaurants: int
    extra_restaurants_cents: int
    extra_distance_m: int
    extra_distance_cents: int


class DestinationPublic(BaseModel):
    kind: DestinationKind
    address: str
    lat: float
    lon: float
    relay_point_id: int | None = None
    relay_point_name: str | None = None


class QuotePublic(BaseModel):
    lines: list[QuoteLine]
    restaurants: list[RestaurantPart]
    subtotal_cents: int
    delivery_fee_cents: int
    fee: FeeBreakdown
    total_cents: int
    destination: DestinationPublic
    deliver_at: datetime | None
    estimated_delivery_at: datetime


class TicketPublic(BaseModel):
    id: int
    restaurant_id: int
    restaurant_name: str
    status: TicketStatus
    subtotal_cents: int
    refuse_reason: str | None


class OrderLinePublic(BaseModel):
    dish_id: int
    dish_name: str
    ticket_id: int
    quantity: int
    note: str
    unit_price_cents: int


class TimelineEntry(BaseModel):
    status: OrderStatus
    at: datetime
    note: str


class CourierPosition(BaseModel):
    lat: float
    lon: float
    at: datetime


class OrderSummary(BaseModel):
    id: int
    status: OrderStatus
    total_cents: int
    placed_at: datetime
    estimated_delivery_at: datetime | None


class OrderPublic(OrderSummary):
    subtotal_cents: int
    delivery_fee_cents: int
    fee: FeeBreakdown
    destination: DestinationPublic
    relay_code: str | None
    deliver_at: datetime | None
    promised_at: datetime
    cancel_reason: str | None
    lines: list[OrderLinePublic]
    tickets: list[TicketPublic]
    timeline: list[TimelineEntry]
    courier: CourierPosition | None
