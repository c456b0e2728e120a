"""Carts, quotes and orders as the customer sends and sees them."""

from datetime import UTC, datetime
from typing import Annotated, Any, Final, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from api.models import DestinationKind, Fault, OrderStatus, PaymentMethod, TicketStatus
from api.schemas.common import Id
from api.schemas.doors import DoorDetails

MAX_LINES: Final = 30
MAX_OF_ONE_DISH: Final = 50
"""A cart holds at most this many of one dish, whatever the lines it is spread over."""
EARLIEST_MOMENT: Final = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_MOMENT: Final = datetime(2100, 1, 1, tzinfo=UTC)


def _plausible(moment: datetime) -> datetime:
    # Far dates are refused here, before any arithmetic on them can overflow (year 1, 9999).
    if not EARLIEST_MOMENT <= moment < LATEST_MOMENT:
        raise ValueError("out of range: give a moment within the next 7 days")
    return moment


Moment = Annotated[AwareDatetime, AfterValidator(_plausible)]
"""A moment a client sends: with its offset, and within this century."""


class _Strict(BaseModel):
    # Unknown fields are refused, prices above all: the server computes every amount.
    model_config = ConfigDict(extra="forbid")


class CartLine(_Strict):
    dish_id: Id
    quantity: Annotated[int, Field(ge=1, le=MAX_OF_ONE_DISH)]
    note: Annotated[str, Field(max_length=200)] = ""


class AddressDestination(DoorDetails, _Strict):
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    address: Annotated[str, Field(max_length=200)] = ""


class RelayDestination(_Strict):
    relay_point_id: Id


def _destination_kind(value: Any) -> str | None:
    # Chosen by the one field a relay destination has, so a bad door reports only its own
    # fields, not also why it is not a relay point.
    if isinstance(value, dict):
        return "relay_destination" if "relay_point_id" in value else "address_destination"
    if isinstance(value, RelayDestination):
        return "relay_destination"
    return "address_destination" if isinstance(value, AddressDestination) else None


Destination = Annotated[
    Annotated[AddressDestination, Tag("address_destination")]
    | Annotated[RelayDestination, Tag("relay_destination")],
    Discriminator(_destination_kind),
]


MAX_TIP_CENTS = 5000
"""A tip above 50 € is more likely a slip of the finger than a gift."""


class CartRequest(_Strict):
    """A cart that may mix restaurants, and where and when to deliver it."""

    lines: Annotated[list[CartLine], Field(min_length=1, max_length=MAX_LINES)]
    destination: Destination
    deliver_at: Moment | None = Field(default=None, description="None means as soon as possible")
    tip_cents: int = Field(
        default=0, ge=0, le=MAX_TIP_CENTS, description="For the courier, all of it, in cents"
    )
    payment_method: PaymentMethod = Field(
        default=PaymentMethod.CARD,
        description="Paid on delivery, or at the relay shop: card, cash, or meal vouchers "
        "(for the dishes, up to the day's cap; the rest by card)",
    )

    @model_validator(mode="after")
    def _one_dish_capped(self) -> Self:
        totals: dict[int, int] = {}
        for index, line in enumerate(self.lines):
            totals[line.dish_id] = totals.get(line.dish_id, 0) + line.quantity
            if totals[line.dish_id] > MAX_OF_ONE_DISH:
                raise ValueError(
                    f"lines.{index}.quantity: at most {MAX_OF_ONE_DISH} of one dish per order, "
                    "all its lines together"
                )
        return self


class QuoteLine(BaseModel):
    dish_id: int
    dish_name: str
    restaurant_id: int
    quantity: int
    note: str
    unit_price_cents: int
    line_total_cents: int
    vat_rate_bp: int = Field(description="VAT in basis points (1000 = 10 %), inside the price")


class VatLinePublic(BaseModel):
    """One VAT rate's share of an amount: its base, its VAT and their VAT-inclusive sum."""

    rate_pct: float
    base_cents: int
    vat_cents: int
    total_cents: int


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

    @property
    def total_cents(self) -> int:
        """The delivery fee: what the breakdown adds up to."""
        return self.base_cents + self.extra_restaurants_cents + self.extra_distance_cents

    @classmethod
    def nothing(cls) -> "FeeBreakdown":
        """No fee: nothing is coming."""
        return cls(
            base_cents=0,
            extra_restaurants=0,
            extra_restaurants_cents=0,
            extra_distance_m=0,
            extra_distance_cents=0,
        )


class DestinationPublic(BaseModel):
    kind: DestinationKind
    address: str
    lat: float
    lon: float
    relay_point_id: int | None = None
    relay_point_name: str | None = None
    relay_hours: str | None = Field(default=None, description="When the shop is open, 07:00–20:30")
    house_number: str = ""
    floor: str = ""
    door_code: str = ""
    notes: str = ""
    phone: str = ""


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
    notes: list[str] = Field(
        default_factory=list, description="Why the time is later than usual (a kitchen's cap)"
    )
    vat_lines: list[VatLinePublic] = Field(
        description="The total's VAT per rate, dishes and fee (api.services.vat)"
    )
    tip_cents: int = Field(default=0, description="For the courier, on top of the total")
    payment_method: PaymentMethod = PaymentMethod.CARD
    voucher_cents: int = Field(
        default=0, description="At most this much in meal vouchers (the dishes, the day's cap)"
    )


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
    tip_cents: int = Field(description="For the courier, on top of the total")
    payment_method: PaymentMethod
    voucher_cents: int = Field(description="To pay in meal vouchers; the rest by card")
    subtotal_cents: int
    delivery_fee_cents: int
    fee: FeeBreakdown
    destination: DestinationPublic
    relay_code: str | None
    deliver_at: datetime | None
    promised_at: datetime
    cancel_reason: str | None
    delivered_at: datetime | None = Field(
        default=None, description="When the food reached the door or the relay shop"
    )
    collected_at: datetime | None = None
    lines: list[OrderLinePublic]
    tickets: list[TicketPublic]
    timeline: list[TimelineEntry]
    courier: CourierPosition | None


class ReceiptLine(BaseModel):
    dish_name: str
    quantity: int
    unit_price_cents: int
    total_cents: int
    rate_pct: float


class LegalIdentity(BaseModel):
    """Who sells, as an invoice must name it; '' where it was not given."""

    name: str
    address: str
    siret: str
    vat_number: str


class ReceiptPart(BaseModel):
    """One kitchen's part: what it sold, and whether it is charged (a refused or cancelled
    part is not, and says whose fault it was)."""

    restaurant_id: int
    restaurant_name: str
    seller: LegalIdentity = Field(description="The kitchen that sold this part")
    charged: bool
    subtotal_cents: int
    lines: list[ReceiptLine]
    vat_lines: list[VatLinePublic]
    not_charged_because: str | None = None
    fault: Fault | None = None


class CreditNotePublic(BaseModel):
    number: int
    issued_at: datetime
    total_cents: int
    reason: str
    fault: Fault
    vat_lines: list[VatLinePublic] = Field(
        description="The VAT it takes back per rate, in the shares the sale charged them"
    )


class ReceiptPublic(BaseModel):
    """What the customer is charged for an order, split by VAT rate to the cent."""

    order_id: int
    placed_at: datetime
    status: OrderStatus
    alliance: str
    issuer: LegalIdentity = Field(
        description="The alliance, who issues the invoice in the kitchens' name (a billing mandate)"
    )
    parts: list[ReceiptPart]
    delivery_fee_cents: int
    delivery_fee_rate_pct: float
    subtotal_cents: int
    total_cents: int
    vat_lines: list[VatLinePublic] = Field(
        description="The total's VAT per rate: each line's VAT rounded half up, then summed"
    )
    tip_cents: int = Field(description="For the courier, on top of the total, no VAT")
    charged_at_order_cents: int = Field(description="The total when ordered")
    refunded_cents: int = Field(
        description="What refused or cancelled parts took off it, and refunds after it"
    )
    invoice_number: int | None = Field(
        default=None, description="Numbered at the handover, without a gap"
    )
    credit_notes: list[CreditNotePublic] = Field(default_factory=list)
