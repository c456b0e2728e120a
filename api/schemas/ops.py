"""What the alliance's operator sees on the live board and sends to step in."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from api.models import (
    AuditAction,
    DestinationKind,
    Fault,
    OrderStatus,
    StopKind,
    TicketStatus,
    Vehicle,
)
from api.schemas.common import Id


class BoardState(StrEnum):
    """Where an order is, as the board's lists sort it."""

    WAITING_FOR_KITCHEN = "waiting_for_kitchen"
    COOKING = "cooking"
    WAITING_FOR_COURIER = "waiting_for_courier"
    OUT = "out"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class AlertKind(StrEnum):
    NOT_ACCEPTED = "not_accepted"
    """A kitchen has not accepted its ticket."""
    UNASSIGNED = "unassigned"
    """No courier has the order, with the dispatcher's reason."""
    LATE = "late"
    """The order's ETA is past its promise, or the promise has passed."""
    KITCHEN_LATE = "kitchen_late"
    """A kitchen has not started cooking at its start-cooking time, or not finished in time."""
    STALE_POSITION = "stale_position"
    """A courier on shift has not sent its position for a while."""
    OFF_SITE = "off_site"
    """A courier said Arrived or Done away from the stop, with a reason to review."""


class Alert(BaseModel):
    """An alert that holds from ``at`` while its row stays as it is: the screen raises it
    when its clock reaches ``at``, and a newer row replaces it."""

    kind: AlertKind
    at: datetime
    text: str
    subject: str = Field(description='What it links to: "order:12", "courier:3"')


class TicketRow(BaseModel):
    ticket_id: int
    restaurant_id: int
    restaurant_name: str
    status: TicketStatus
    created_at: datetime
    accepted_at: datetime | None
    start_cooking_at: datetime | None
    started_at: datetime | None
    ready_at: datetime | None
    picked_up_at: datetime | None
    prep_minutes: int


class OffSite(BaseModel):
    """A step a courier took away from its stop: how far, why, when."""

    kind: StopKind
    metres: int | None = Field(description="None: the courier's place was not known")
    reason: str
    at: datetime


class OrderRow(BaseModel):
    id: int
    status: OrderStatus
    board_state: BoardState
    destination_kind: DestinationKind
    address: str
    lat: float
    lon: float
    placed_at: datetime
    deliver_at: datetime | None
    promised_at: datetime
    estimated_delivery_at: datetime | None
    delivered_at: datetime | None
    total_cents: int
    courier_id: int | None = Field(description="Whose round holds its stops")
    pinned_courier_id: int | None
    unplaced_reason: str | None = Field(description="Why the dispatcher left it unplanned")
    off_site: list[OffSite] = Field(default_factory=list)
    tickets: list[TicketRow]
    alerts: list[Alert]


class NextStop(BaseModel):
    stop_id: int
    kind: StopKind
    order_id: int
    lat: float
    lon: float
    eta: datetime | None


class CourierRow(BaseModel):
    id: int
    name: str
    vehicle: Vehicle
    on_shift: bool
    lat: float | None
    lon: float | None
    position_at: datetime | None
    zone: str | None
    bag_capacity: int
    stops: list[NextStop] = Field(description="Stops still to do, in order")
    alerts: list[Alert]


class KitchenRow(BaseModel):
    id: int
    name: str
    lat: float
    lon: float
    paused: bool
    busy_extra_minutes: int
    open_tickets: int
    waiting_tickets: int = Field(description="Not yet accepted")


class RelayRow(BaseModel):
    id: int
    name: str
    lat: float
    lon: float
    active: bool


class BoardRows(BaseModel):
    """The current rows of what one event touched."""

    orders: list[OrderRow]
    couriers: list[CourierRow]
    kitchens: list[KitchenRow]


class PoolLoadPublic(BaseModel):
    """How far behind the kitchens' pace the couriers on shift deliver (pacing.courier_pool)."""

    open_orders: int = Field(description="Open orders as soon as possible")
    without_courier: int = Field(description="Of them, those the last plan gave no courier")
    delay_minutes: int = Field(
        description="Added to a new order's promise: how much later than the kitchens allow "
        "the orders placed lately are planned to arrive"
    )


class Board(BaseModel):
    """The whole board as of these sequence numbers of the operator channels."""

    seqs: dict[str, int]
    orders: list[OrderRow]
    couriers: list[CourierRow]
    kitchens: list[KitchenRow]
    relay_points: list[RelayRow]


Reason = Annotated[str, Field(min_length=1, max_length=200, description="Why, for the log")]


class AssignOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")
    courier_id: Id
    pin: bool = Field(default=False, description="Keep it there: the dispatcher may not move it")
    reason: Reason


class StepReason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


class MoveStops(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to_courier_id: Id
    reason: Reason


class CancelByOperator(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason
    fault: Fault


class KitchenPace(BaseModel):
    model_config = ConfigDict(extra="forbid")
    paused: bool | None = None
    busy_extra_minutes: Annotated[int | None, Field(ge=0, le=120)] = None
    reason: Reason


class StepResult(BaseModel):
    """What changed, for the operator's screen."""

    orders: list[int] = Field(description="Orders moved, pinned or cancelled")
    kept: list[int] = Field(
        default_factory=list, description="Orders left where they were (food already on board)"
    )
    audit_id: int


class AuditPublic(BaseModel):
    id: int
    actor_id: int
    actor_name: str
    action: AuditAction
    subject_kind: str
    subject_id: int
    reason: str
    detail: dict[str, object]
    at: datetime


class AccountTotalPublic(BaseModel):
    account: str = Field(description="customer:N, kitchen:N, courier:N, alliance:…, vat:…")
    debit_cents: int
    credit_cents: int


class TrialBalance(BaseModel):
    """Every account's debits and credits over the period; balanced when they are equal."""

    balanced: bool
    debit_cents: int
    credit_cents: int
    accounts: list[AccountTotalPublic]


class StatementLine(BaseModel):
    """One order in a kitchen's statement, one shift's pay in a courier's."""

    order_id: int | None
    label: str = Field(description="The order, or the shift and what was done in it")
    at: datetime
    gross_cents: int = Field(description="Its part as charged, VAT included")
    vat_cents: int
    commission_cents: int = Field(description="Before VAT")
    commission_vat_cents: int
    refunds_cents: int
    net_cents: int


class Statement(BaseModel):
    """What a party earned over a period, order by order, with totals equal to the journal's."""

    party: str
    start: date | None
    end: date | None
    lines: list[StatementLine]
    gross_cents: int
    vat_cents: int
    commission_cents: int
    commission_vat_cents: int
    refunds_cents: int
    net_cents: int = Field(description="Gross less VAT, commission, its VAT and refunds")


class RefundRequest(BaseModel):
    """Money back to the customer of an order handed over, charged to whoever was at fault."""

    model_config = ConfigDict(extra="forbid")
    amount_cents: Annotated[int, Field(gt=0, le=1_000_000)]
    fault: Fault = Field(description="kitchen, courier or alliance: who pays it")
    restaurant_id: int | None = Field(
        default=None, description="The kitchen at fault, one of the order's (fault: kitchen)"
    )
    reason: Reason


class RefundResult(BaseModel):
    credit_note_number: int = Field(description="Numbered without a gap")
    amount_cents: int
    charged_to: str = Field(description="The journal account that pays it")
    audit_id: int


class IncomeSource(BaseModel):
    source: str
    account: str
    cents: int = Field(description="Earned (positive) or spent (negative) over the period")


class Income(BaseModel):
    """The alliance's income by source over the period, from its journal accounts."""

    start: date | None
    end: date | None
    sources: list[IncomeSource]
    earned_cents: int = Field(description="Delivery fees and commissions, before VAT")
    spent_cents: int = Field(description="Couriers' pay and refunds the alliance bears")
    net_cents: int
