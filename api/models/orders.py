"""Orders across kitchens: one order, its lines, one ticket per restaurant, its timeline."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.db_types import enum_type
from api.models.base import created_at_field, id_field, moment_field
from api.models.enums import DestinationKind, Fault, OrderStatus, PaymentMethod, TicketStatus


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (
        sa.CheckConstraint(
            "(destination_kind = 'relay_point') = (relay_point_id IS NOT NULL)",
            name="relay_destination",
        ),
        sa.CheckConstraint("total_cents = subtotal_cents + delivery_fee_cents", name="total"),
        sa.Index("ix_orders_status_placed_at", "status", "placed_at"),
    )

    id: int | None = id_field()
    customer_id: int = Field(foreign_key="users.id", index=True)
    status: OrderStatus = Field(default=OrderStatus.PLACED, sa_type=enum_type(OrderStatus))
    destination_kind: DestinationKind = Field(sa_type=enum_type(DestinationKind))
    address: str = Field(default="", max_length=200)
    house_number: str = Field(default="", max_length=12, sa_column_kwargs={"server_default": ""})
    floor: str = Field(default="", max_length=20, sa_column_kwargs={"server_default": ""})
    door_code: str = Field(default="", max_length=20, sa_column_kwargs={"server_default": ""})
    address_notes: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    phone: str = Field(
        default="",
        max_length=32,
        sa_column_kwargs={"server_default": ""},
        description="E.164; shown to the courier only while the order is out",
    )
    lat: float
    lon: float
    relay_point_id: int | None = Field(default=None, foreign_key="relay_points.id")
    relay_code: str | None = Field(default=None, max_length=12)
    deliver_at: datetime | None = moment_field(description="Scheduled slot; None means ASAP")
    promised_at: datetime = moment_field(nullable=False)
    estimated_delivery_at: datetime | None = moment_field()
    earliest_at: datetime | None = moment_field(
        description="Its earliest delivery at the kitchens' pace when quoted (dispatch.planning."
        "promise): how far behind it the plan brings it is the courier pool's load"
    )
    placed_at: datetime = created_at_field()
    delivered_at: datetime | None = moment_field(
        description="At the door, or received by the relay shop"
    )
    collected_at: datetime | None = moment_field(description="Collected at the relay shop")
    cancelled_at: datetime | None = moment_field()
    cancel_reason: str | None = Field(default=None, max_length=200)
    subtotal_cents: int = Field(ge=0)
    delivery_fee_cents: int = Field(ge=0)
    total_cents: int = Field(ge=0)
    fee_vat_rate_bp: int = Field(
        default=2000,
        ge=0,
        sa_column_kwargs={"server_default": "2000"},
        description="VAT on the delivery fee in basis points, as sold",
    )
    payment_method: PaymentMethod = Field(
        default=PaymentMethod.CARD,
        sa_type=enum_type(PaymentMethod, length=20),
        sa_column_kwargs={"server_default": PaymentMethod.CARD.value},
    )
    voucher_cents: int = Field(
        default=0,
        ge=0,
        sa_column_kwargs={"server_default": "0"},
        description="Paid in meal vouchers (the dishes, up to the day's cap); the rest by card",
    )
    tip_cents: int = Field(
        default=0,
        ge=0,
        sa_column_kwargs={"server_default": "0"},
        description="For the courier, all of it; outside the total (no VAT on a tip)",
    )
    charged_at_order_cents: int = Field(
        default=0,
        ge=0,
        sa_column_kwargs={"server_default": "0"},
        description="The total when ordered: less the total now is what was refunded",
    )
    fee_breakdown: dict[str, int] = Field(
        default_factory=dict, sa_type=sa.JSON, description="Itemised delivery fee, in cents"
    )
    zone: str | None = Field(
        default=None,
        max_length=60,
        index=True,
        description="The dispatch zone that plans it (dispatch.planning.zones), set once",
    )
    cancel_fault: Fault | None = Field(default=None, sa_type=enum_type(Fault))
    pinned_courier_id: int | None = Field(
        default=None,
        foreign_key="couriers.id",
        description="The operator pinned it to this courier: the dispatcher keeps it there",
    )
    unplaced_reason: str | None = Field(
        default=None,
        max_length=40,
        description="Why the dispatcher's last plan left it out (planning.problem.Unplaced)",
    )
    operator_version: int = Field(
        default=0,
        sa_column_kwargs={"server_default": "0"},
        description="Bumped by each operator step-in: a plan made before it does not undo it",
    )


class Ticket(SQLModel, table=True):
    """The part of an order that one kitchen cooks, handed to the courier as one bag."""

    __tablename__ = "tickets"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "restaurant_id"),
        sa.Index("ix_tickets_restaurant_id_status", "restaurant_id", "status"),
        sa.Index("ix_tickets_restaurant_id_due_at", "restaurant_id", "due_at"),
    )

    id: int | None = id_field()
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    restaurant_id: int = Field(foreign_key="restaurants.id")
    status: TicketStatus = Field(default=TicketStatus.NEW, sa_type=enum_type(TicketStatus))
    subtotal_cents: int = Field(ge=0)
    prep_minutes: int = Field(ge=0, description="Planned cooking time of the whole ticket")
    declared_minutes: int = Field(
        default=0,
        ge=0,
        sa_column_kwargs={"server_default": "0"},
        description="What the kitchen declared for it: its slowest dish (0: not recorded)",
    )
    due_at: datetime | None = moment_field(
        description="When it was planned ready as the order was placed (the kitchen's pace cap)"
    )
    load_at_start: int | None = Field(
        default=None, ge=0, description="The kitchen's other tickets cooking when it started"
    )
    refuse_reason: str | None = Field(
        default=None, max_length=200, description="Why it was refused or cancelled"
    )
    cancel_fault: Fault | None = Field(default=None, sa_type=enum_type(Fault))
    start_cooking_at: datetime | None = moment_field()
    pickup_eta: datetime | None = moment_field()
    accepted_at: datetime | None = moment_field()
    started_at: datetime | None = moment_field()
    ready_at: datetime | None = moment_field()
    picked_up_at: datetime | None = moment_field()
    created_at: datetime = created_at_field()


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_lines"
    __table_args__ = (sa.CheckConstraint("quantity BETWEEN 1 AND 50", name="quantity_range"),)

    id: int | None = id_field()
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    ticket_id: int = Field(foreign_key="tickets.id", index=True, ondelete="CASCADE")
    dish_id: int = Field(foreign_key="dishes.id")
    dish_name: str = Field(max_length=120, description="As sold, even if the menu changes")
    unit_price_cents: int = Field(ge=0)
    quantity: int = Field(ge=1, le=50)
    note: str = Field(default="", max_length=200)
    vat_rate_bp: int = Field(
        default=1000,
        ge=0,
        sa_column_kwargs={"server_default": "1000"},
        description="VAT in basis points as sold (api.services.vat)",
    )


class OrderStatusChange(SQLModel, table=True):
    """The order's timeline as the customer sees it."""

    __tablename__ = "order_status_changes"

    id: int | None = id_field()
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    status: OrderStatus = Field(sa_type=enum_type(OrderStatus))
    note: str = Field(default="", max_length=200)
    at: datetime = created_at_field()
