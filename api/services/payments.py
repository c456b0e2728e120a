"""How the customer pays: on delivery or at the relay shop, by card, in cash, or in meal
vouchers. Nothing is paid online: no payment provider is enabled (see the README).

Meal vouchers pay for the dishes only (not the fee nor the tip), up to a daily cap per
customer counted over the alliance's local day, under a lock of the customer's row so that two
orders at once cannot both use the day's last euros; the rest is paid by card.

The payment is journalled when it is confirmed: by the courier's Delivered step at a door, by
the relay shop handing the parcel over to its customer.
"""

from datetime import datetime
from typing import Final, Protocol

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.db import for_update
from api.models import LedgerKind, Order, OrderStatus, PaymentMethod, User
from api.services import ledger
from api.services.hours import bounds, local


class OnlineProvider(Protocol):
    """The seam for paying by card online, through a payment service provider (Stripe, Adyen,
    Mollie, Payplug…). None is enabled: `PROVIDERS` is empty, and a cart asking to pay online
    is refused. An alliance plugging one in implements these calls with its contract's keys,
    and journals the payment when the provider's webhook confirms the capture."""

    name: str

    def authorize(self, order_id: int, amount_cents: int) -> str:
        """Hold the amount on the customer's card; the provider's payment reference."""
        ...

    def capture(self, reference: str, amount_cents: int) -> None:
        """Take the held amount (at the handover, for what was really charged)."""
        ...

    def refund(self, reference: str, amount_cents: int) -> None:
        """Give money back on a captured payment."""
        ...


PROVIDERS: Final[dict[str, OnlineProvider]] = {}
"""Enabled online payment providers, by name: none."""

CARD: Final = "payments:card"
MEAL_VOUCHERS: Final = "payments:meal_vouchers"


def voucher_part(
    session: Session, customer_id: int, subtotal_cents: int, cap_cents: int, now: datetime, tz: str
) -> int:
    """What this order may pay in meal vouchers: its dishes, within what is left of the
    customer's cap today. Locks the customer's row (the caller's transaction)."""
    session.exec(for_update(select(User.id).where(User.id == customer_id))).all()
    day = local(now, tz).date()
    start, end = bounds(day, day, tz)
    used = session.exec(
        select(sa.func.coalesce(sa.func.sum(Order.voucher_cents), 0)).where(
            Order.customer_id == customer_id,
            col(Order.placed_at) >= start,
            col(Order.placed_at) < end,
            Order.status != OrderStatus.CANCELLED,
        )
    ).one()
    return max(0, min(subtotal_cents, cap_cents - int(used)))


def cash_account(where: str) -> str:
    """Cash held by whoever took it: `courier:N` or `relay:N`."""
    return f"payments:cash:{where}"


def record_payment(session: Session, order: Order, now: datetime, cash_holder: str) -> None:
    """The customer paid the order and its tip, as confirmed by `cash_holder` (`courier:N` at
    a door, `relay:N` at a shop)."""
    due = order.total_cents + order.tip_cents
    if not due:
        return
    vouchers = min(order.voucher_cents, order.subtotal_cents)  # the dishes still charged
    rest = CARD if order.payment_method is not PaymentMethod.CASH else cash_account(cash_holder)
    ledger.post(
        session,
        LedgerKind.PAYMENT,
        [
            (MEAL_VOUCHERS, vouchers),
            (rest, due - vouchers),
            (ledger.customer_account(order.customer_id), -due),
        ],
        now,
        order.id,
        f"paid, order #{order.id}",
    )
