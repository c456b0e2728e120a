"""The journal: each money event written as balanced entries in the transaction of the state
change that causes it, and the balances read back by SQL sums.

A shift ended is the courier's pay: the alliance (`alliance:courier_pay`, a cost: debited) owes
the courier (credit `courier:N`) what its shift earned by the pay rule (couriers.PayRule).

An order handed over (at the door, or to a relay shop) is a sale:
- the customer owes its total (debit `customer:N`);
- the courier who brought it is owed its tip, all of it (credit `courier:N`);
- each kitchen is owed its charged part before VAT (credit `kitchen:N`), the alliance its fee
  before VAT (credit `alliance:fees`), and the VAT of every line (credit `vat:collected`);
  the VAT of each line by the rule of api.services.vat, so the sale adds up to the cent;
- then each kitchen's commission: its contract's percentage of the part before VAT plus its
  fixed amount, with VAT on top at the standard rate, debited to the kitchen and credited to
  `alliance:commission` and `vat:collected`.
Debits are positive legs, credits negative: a transaction's legs sum to zero or it is refused.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.models import (
    ENDED_TICKET_STATES,
    LedgerEntry,
    LedgerKind,
    Order,
    OrderLine,
    Restaurant,
    Ticket,
)
from api.schemas.couriers import ShiftSummary
from api.services.vat import STANDARD_RATE_BP, share_of, vat_in

ALLIANCE_FEES: Final = "alliance:fees"
ALLIANCE_COURIER_PAY: Final = "alliance:courier_pay"
ALLIANCE_REFUNDS: Final = "alliance:refunds"
"""Refunds the alliance bears (its own fault)."""
TIPS_HELD: Final = "alliance:tips_held"
"""A tip whose courier is not known (an order handed over by the operator): to pass on."""
ALLIANCE_COMMISSION: Final = "alliance:commission"
VAT_COLLECTED: Final = "vat:collected"
MEMO_LENGTH: Final = 200


def customer_account(customer_id: int) -> str:
    return f"customer:{customer_id}"


def kitchen_account(restaurant_id: int) -> str:
    return f"kitchen:{restaurant_id}"


def courier_account(courier_id: int) -> str:
    return f"courier:{courier_id}"


class Unbalanced(ValueError):
    """A transaction whose debits and credits differ: never written."""


Leg = tuple[str, int]
"""(account, cents): positive a debit, negative a credit."""


def post(
    session: Session,
    kind: LedgerKind,
    legs: Sequence[Leg],
    at: datetime,
    order_id: int | None = None,
    memo: str = "",
) -> str:
    """Write one balanced transaction in the caller's transaction; its id."""
    if sum(cents for _, cents in legs) != 0:
        raise Unbalanced(f"{kind.value}: legs sum to {sum(c for _, c in legs)}")
    txn = uuid.uuid4().hex
    session.add_all(
        LedgerEntry(
            txn=txn,
            kind=kind,
            account=account,
            debit_cents=max(cents, 0),
            credit_cents=max(-cents, 0),
            order_id=order_id,
            memo=memo[:MEMO_LENGTH],  # an operator's reason may fill the rest of it
            at=at,
        )
        for account, cents in legs
        if cents
    )
    return txn


def sale_legs(
    order: Order,
    tickets: Sequence[Ticket],
    lines: Sequence[OrderLine],
    courier_id: int | None = None,
) -> list[Leg]:
    """The sale of an order as it is charged: its live parts, its fee, and its tip, all of it
    for the courier who brought it."""
    live = {t.id: t.restaurant_id for t in tickets if t.status not in ENDED_TICKET_STATES}
    base: dict[int, int] = defaultdict(int)
    vat = 0
    for line in lines:
        if line.ticket_id in live:
            total = line.unit_price_cents * line.quantity
            line_vat = vat_in(total, line.vat_rate_bp)
            base[live[line.ticket_id]] += total - line_vat
            vat += line_vat
    fee_vat = vat_in(order.delivery_fee_cents, order.fee_vat_rate_bp)
    tip_to = courier_account(courier_id) if courier_id is not None else TIPS_HELD
    return [
        (customer_account(order.customer_id), order.total_cents + order.tip_cents),
        (tip_to, -order.tip_cents),
        *((kitchen_account(rid), -cents) for rid, cents in sorted(base.items())),
        (ALLIANCE_FEES, -(order.delivery_fee_cents - fee_vat)),
        (VAT_COLLECTED, -(vat + fee_vat)),
    ]


@dataclass(frozen=True)
class Contract:
    """What a kitchen pays the alliance on a sale: a percentage of its part before VAT and a
    fixed amount per order, both before VAT."""

    commission_bp: int
    fixed_cents: int

    def commission(self, base_cents: int) -> int:
        """Half up to the cent, as every amount here is."""
        return share_of(base_cents, self.commission_bp) + self.fixed_cents


def commission_legs(kitchen: int, base_cents: int, contract: Contract) -> list[Leg]:
    """The kitchen pays the commission and its VAT; the alliance earns the commission."""
    commission = contract.commission(base_cents)
    vat = share_of(commission, STANDARD_RATE_BP)
    return [
        (kitchen_account(kitchen), commission + vat),
        (ALLIANCE_COMMISSION, -commission),
        (VAT_COLLECTED, -vat),
    ]


def record_sale(
    session: Session, order: Order, now: datetime, courier_id: int | None = None
) -> None:
    """The order is handed over: its sale, then each kitchen's commission, in the caller's
    transaction (which holds the order's lock: an order is handed over once)."""
    assert order.id is not None
    tickets = session.exec(select(Ticket).where(Ticket.order_id == order.id)).all()
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).all()
    legs = sale_legs(order, tickets, lines, courier_id)
    post(session, LedgerKind.SALE, legs, now, order.id, f"order #{order.id}")
    kitchens = {int(a.split(":")[1]): -cents for a, cents in legs if a.startswith("kitchen:")}
    contracts = session.exec(select(Restaurant).where(col(Restaurant.id).in_(kitchens))).all()
    for restaurant in sorted(contracts, key=lambda r: r.id or 0):
        assert restaurant.id is not None
        contract = Contract(restaurant.commission_bp, restaurant.commission_fixed_cents)
        if contract.commission(kitchens[restaurant.id]):
            post(
                session,
                LedgerKind.COMMISSION,
                commission_legs(restaurant.id, kitchens[restaurant.id], contract),
                now,
                order.id,
                f"commission, order #{order.id}",
            )


@dataclass(frozen=True)
class AccountTotal:
    account: str
    debit_cents: int
    credit_cents: int


def trial_balance(
    session: Session, start: datetime | None, end: datetime | None
) -> list[AccountTotal]:
    """Each account's debits and credits over the period (summed in SQL), by account."""
    query = select(
        LedgerEntry.account,
        sa.func.sum(LedgerEntry.debit_cents),
        sa.func.sum(LedgerEntry.credit_cents),
    ).group_by(LedgerEntry.account)
    if start is not None:
        query = query.where(col(LedgerEntry.at) >= start)
    if end is not None:
        query = query.where(col(LedgerEntry.at) < end)
    rows = session.exec(query.order_by(LedgerEntry.account)).all()
    return [AccountTotal(account, int(debit), int(credit)) for account, debit, credit in rows]


def record_shift_pay(session: Session, courier_id: int, shift: ShiftSummary, now: datetime) -> None:
    """A shift ended: the alliance owes the courier what it earned (couriers.PayRule)."""
    if shift.earned_cents:
        post(
            session,
            LedgerKind.COURIER_PAY,
            [
                (ALLIANCE_COURIER_PAY, shift.earned_cents),
                (courier_account(courier_id), -shift.earned_cents),
            ],
            now,
            memo=f"shift of {shift.minutes} min, deliveries: {shift.deliveries} "
            f"(began {shift.started_at:%Y-%m-%d %H:%M} UTC)",
        )
