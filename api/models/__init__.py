"""Every table of the domain; importing this package registers them all on the metadata."""

from api.models.accounts import CustomerAddress, PasswordToken, User
from api.models.audit import AuditEntry
from api.models.couriers import (
    Courier,
    CourierPosition,
    CourierShift,
    RosterShift,
    Round,
    Stop,
)
from api.models.enums import (
    Allergen,
    AuditAction,
    DestinationKind,
    Fault,
    OrderStatus,
    RelayKind,
    Role,
    RoundStatus,
    Station,
    StopKind,
    TicketStatus,
    VatClass,
    Vehicle,
)
from api.models.idempotency import IdempotencyRecord
from api.models.orders import Order, OrderLine, OrderStatusChange, Ticket
from api.models.outbox import ChannelSequence, OutboxEvent
from api.models.restaurants import (
    Dish,
    OpeningException,
    OpeningHours,
    RelayPoint,
    Restaurant,
)

__all__ = [
    "Allergen",
    "AuditAction",
    "AuditEntry",
    "ChannelSequence",
    "Courier",
    "CourierPosition",
    "CourierShift",
    "CustomerAddress",
    "DestinationKind",
    "Dish",
    "Fault",
    "IdempotencyRecord",
    "OpeningException",
    "OpeningHours",
    "Order",
    "OrderLine",
    "OrderStatus",
    "OrderStatusChange",
    "OutboxEvent",
    "PasswordToken",
    "RelayKind",
    "RelayPoint",
    "Restaurant",
    "Role",
    "RosterShift",
    "Round",
    "RoundStatus",
    "Station",
    "Stop",
    "StopKind",
    "Ticket",
    "TicketStatus",
    "User",
    "VatClass",
    "Vehicle",
]
