"""Orders: placing one (tickets and events in one transaction), reading, cancelling."""

import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from api.db import for_update
from api.errors import Conflict, InvalidInput, NotFound
from api.models import (
    ENDED_ORDER_STATES,
    ENDED_TICKET_STATES,
    STARTED_TICKET_STATES,
    Courier,
    DestinationKind,
    Dish,
    DocumentKind,
    Fault,
    MailKind,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    PaymentMethod,
    RelayPoint,
    Restaurant,
    Round,
    RoundStatus,
    Stop,
    Ticket,
    TicketStatus,
)
from api.schemas.orders import (
    CourierPosition,
    DestinationPublic,
    FeeBreakdown,
    OrderLinePublic,
    OrderPublic,
    OrderSummary,
    TicketPublic,
    TimelineEntry,
)
from api.services import documents, ledger, mails, pacing, payments, receipts
from api.services.outbox import (
    Event,
    order_channel,
    publish,
    publish_all,
    restaurant_channel,
)
from api.services.quotes import Quote
from api.services.views import DishLabels, LineView, NewLine, NewTicket, TicketView

_ORDERS: sa.Table = Order.__table__  # type: ignore[attr-defined]
_DISHES: sa.Table = Dish.__table__  # type: ignore[attr-defined]
_RESTAURANTS: sa.Table = Restaurant.__table__  # type: ignore[attr-defined]
_TICKETS: sa.Table = Ticket.__table__  # type: ignore[attr-defined]
_LINES: sa.Table = OrderLine.__table__  # type: ignore[attr-defined]
_STATUS_CHANGES: sa.Table = OrderStatusChange.__table__  # type: ignore[attr-defined]

# The order path's statements, built once (construction is a real share of an order's time).
_INSERT_ORDER = sa.insert(_ORDERS).returning(_ORDERS.c.id)
_INSERT_TICKETS = sa.insert(_TICKETS).returning(
    _TICKETS.c.id, _TICKETS.c.restaurant_id, sort_by_parameter_order=True
)
_INSERT_LINES = sa.insert(_LINES)
_INSERT_STATUS_CHANGES = sa.insert(_STATUS_CHANGES)
_STOPPED_DISHES = (
    sa.select(_DISHES.c.name)
    .join(_RESTAURANTS, _RESTAURANTS.c.id == _DISHES.c.restaurant_id)
    .where(
        _DISHES.c.id.in_(sa.bindparam("ids", expanding=True)),
        sa.or_(~_DISHES.c.available, _RESTAURANTS.c.paused, ~_RESTAURANTS.c.active),
    )
)
_TAKE_PORTIONS = (
    sa.update(_DISHES)
    .where(
        _DISHES.c.id == sa.bindparam("dish_id"),
        _DISHES.c.portions_left >= sa.bindparam("quantity"),
    )
    .values(portions_left=_DISHES.c.portions_left - sa.bindparam("quantity"))
)


def lock_order(session: Session, order_id: int) -> tuple[Order, list[Ticket]]:
    """Lock the order's row, then its tickets' by id, and read them as committed now.

    Every change of an order's or a ticket's state begins here, so two requests on one order
    queue up instead of both deciding on what they read before the other wrote (PostgreSQL;
    SQLite runs one writer at a time). Locks are always taken in this order (a courier's own
    row first, when a courier acts), so no two requests wait on each other crosswise.
    """
    order = session.exec(for_update(select(Order).where(Order.id == order_id))).one_or_none()
    if order is None:
        raise NotFound(f"no order {order_id}")
    tickets = session.exec(
        for_update(select(Ticket).where(Ticket.order_id == order_id).order_by(col(Ticket.id)))
    ).all()
    return order, list(tickets)


def charge_live_tickets(
    session: Session, order: Order, tickets: Sequence[Ticket], fee: FeeBreakdown | None
) -> None:
    """The customer pays for the tickets still coming, and the fee for their kitchens.

    Stated once: the subtotal is the sum of the live tickets' subtotals, the fee is 0 when no
    ticket is live (``fee`` None keeps the current one otherwise), the total is their sum.
    Written as one UPDATE of the locked row, from the tickets as they are in this transaction.
    """
    live = [t for t in tickets if t.status not in ENDED_TICKET_STATES]
    subtotal = sum(t.subtotal_cents for t in live)
    if not live:
        fee = FeeBreakdown.nothing()
    values: dict[str, Any] = {"subtotal_cents": subtotal}
    if fee is not None:
        values["fee_breakdown"] = fee.model_dump()
        values["delivery_fee_cents"] = fee.total_cents
        values["total_cents"] = subtotal + fee.total_cents
    else:
        values["total_cents"] = subtotal + _ORDERS.c.delivery_fee_cents
    session.execute(sa.update(_ORDERS).where(_ORDERS.c.id == order.id).values(**values))
    session.refresh(order)


def create_order(session: Session, customer_id: int, quote: Quote, now: datetime) -> OrderPublic:
    """Write the order, its tickets and lines, and their events, in the caller's transaction.

    Portions are taken with conditional updates, so two orders can never both take the last
    one; a dish that ran out since the quote raises InvalidInput and the caller rolls back.
    Rows are written with bulk statements: this is the hot path of the service.
    """
    _check_still_served(session, quote)
    pacing.hold_places(
        session,
        {part.restaurant_id: part.ready_at for part in quote.public.restaurants},
        {rid: r.orders_per_quarter for rid, r in quote.restaurants.items()},
    )
    _take_portions(session, quote)
    public = quote.public
    destination = public.destination
    accepted = {rid for rid, r in quote.restaurants.items() if r.auto_accept}
    status = (
        OrderStatus.CONFIRMED
        if accepted == {part.restaurant_id for part in public.restaurants}
        else OrderStatus.PLACED
    )
    relay_code = (
        f"{secrets.randbelow(1_000_000):06d}"
        if destination.kind is DestinationKind.RELAY_POINT
        else None
    )
    vouchers = 0
    if public.payment_method is PaymentMethod.MEAL_VOUCHER:
        rules = quote.rules
        vouchers = payments.voucher_part(
            session,
            customer_id,
            public.subtotal_cents,
            rules.meal_voucher_daily_cap_cents,
            now,
            rules.timezone,
        )
    order_id = session.execute(
        _INSERT_ORDER,
        {
            "customer_id": customer_id,
            "status": status,
            "destination_kind": destination.kind,
            "address": destination.address,
            "house_number": destination.house_number,
            "floor": destination.floor,
            "door_code": destination.door_code,
            "address_notes": destination.notes,
            "phone": destination.phone,
            "lat": destination.lat,
            "lon": destination.lon,
            "relay_point_id": destination.relay_point_id,
            "relay_code": relay_code,
            "deliver_at": public.deliver_at,
            "promised_at": quote.promised_at,
            "estimated_delivery_at": public.estimated_delivery_at,
            "earliest_at": quote.earliest_at,
            "cancelled_at": None,
            "delivered_at": None,
            "cancel_reason": None,
            "placed_at": now,
            "subtotal_cents": public.subtotal_cents,
            "delivery_fee_cents": public.delivery_fee_cents,
            "total_cents": public.total_cents,
            "charged_at_order_cents": public.total_cents,
            "tip_cents": public.tip_cents,
            "payment_method": public.payment_method,
            "voucher_cents": vouchers,
            "fee_vat_rate_bp": quote.rules.delivery_vat_bp,
            "fee_breakdown": public.fee.model_dump(),
        },
    ).scalar_one()

    ticket_rows = [
        {
            "order_id": order_id,
            "restaurant_id": part.restaurant_id,
            "status": TicketStatus.ACCEPTED if part.restaurant_id in accepted else TicketStatus.NEW,
            "subtotal_cents": part.subtotal_cents,
            "prep_minutes": part.prep_minutes,
            "declared_minutes": quote.declared_minutes[part.restaurant_id],
            "due_at": part.ready_at,
            "accepted_at": now if part.restaurant_id in accepted else None,
            "created_at": now,
        }
        for part in public.restaurants
    ]
    inserted = session.execute(_INSERT_TICKETS, ticket_rows).all()
    ticket_ids = {row.restaurant_id: row.id for row in inserted}

    line_rows = [
        {
            "order_id": order_id,
            "ticket_id": ticket_ids[quoted.restaurant_id],
            "dish_id": quoted.dish_id,
            "dish_name": quoted.dish_name,
            "unit_price_cents": quoted.unit_price_cents,
            "quantity": quoted.quantity,
            "note": quoted.note,
            "vat_rate_bp": quoted.vat_rate_bp,
        }
        for quoted in public.lines
    ]
    session.execute(_INSERT_LINES, line_rows)
    timeline = [TimelineEntry(status=OrderStatus.PLACED, at=now, note="")]
    if status is OrderStatus.CONFIRMED:
        timeline.append(TimelineEntry(status=OrderStatus.CONFIRMED, at=now, note=""))
    session.execute(
        _INSERT_STATUS_CHANGES,
        [{"order_id": order_id, "status": e.status, "note": e.note, "at": e.at} for e in timeline],
    )

    tickets = [
        NewTicket(
            id=ticket_ids[row["restaurant_id"]],
            order_id=order_id,
            restaurant_id=row["restaurant_id"],
            status=row["status"],
            subtotal_cents=row["subtotal_cents"],
            prep_minutes=row["prep_minutes"],
            declared_minutes=row["declared_minutes"],
            created_at=now,
        )
        for row in ticket_rows
    ]
    lines = [NewLine(**row) for row in line_rows]
    events: list[Event] = [
        (
            restaurant_channel(ticket.restaurant_id),
            "ticket.created",
            ticket_payload(ticket, lines, quote.dishes, public.deliver_at),
        )
        for ticket in tickets
    ]
    events += [
        (order_channel(order_id), "order.placed", {"order_id": order_id, "status": status.value}),
    ]
    publish_all(session, events)
    if status is OrderStatus.CONFIRMED:
        mails.queue_for(session, order_id, customer_id, MailKind.CONFIRMED, now)
    return OrderPublic(
        id=order_id,
        status=status,
        total_cents=public.total_cents,
        tip_cents=public.tip_cents,
        payment_method=public.payment_method,
        voucher_cents=vouchers,
        placed_at=now,
        estimated_delivery_at=public.estimated_delivery_at,
        subtotal_cents=public.subtotal_cents,
        delivery_fee_cents=public.delivery_fee_cents,
        fee=public.fee,
        destination=destination,
        relay_code=relay_code,
        deliver_at=public.deliver_at,
        promised_at=quote.promised_at,
        cancel_reason=None,
        lines=[_line_public(line) for line in lines],
        tickets=[_ticket_public(t, quote.restaurants[t.restaurant_id].name) for t in tickets],
        timeline=timeline,
        courier=None,
    )


def _line_public(line: LineView) -> OrderLinePublic:
    return OrderLinePublic(
        dish_id=line.dish_id,
        dish_name=line.dish_name,
        ticket_id=line.ticket_id,
        quantity=line.quantity,
        note=line.note,
        unit_price_cents=line.unit_price_cents,
    )


def _ticket_public(ticket: TicketView, restaurant_name: str) -> TicketPublic:
    assert ticket.id is not None
    return TicketPublic(
        id=ticket.id,
        restaurant_id=ticket.restaurant_id,
        restaurant_name=restaurant_name,
        status=ticket.status,
        subtotal_cents=ticket.subtotal_cents,
        refuse_reason=ticket.refuse_reason,
    )


def _check_still_served(session: Session, quote: Quote) -> None:
    """The quote was read before the write began: refuse if a dish or kitchen stopped since.

    (Running out of portions is caught by the conditional updates that take them.)
    """
    stopped = session.execute(_STOPPED_DISHES, {"ids": list(quote.dishes)}).scalars().all()
    if stopped:
        raise InvalidInput(
            [{"field": "lines", "reason": f"no longer served: {', '.join(sorted(stopped))}"}]
        )


def _take_portions(session: Session, quote: Quote) -> None:
    wanted: dict[int, int] = defaultdict(int)
    for line in quote.public.lines:
        wanted[line.dish_id] += line.quantity
    problems = []
    for dish_id, quantity in sorted(wanted.items()):
        if quote.dishes[dish_id].portions_left is None:
            continue
        taken = session.execute(_TAKE_PORTIONS, {"dish_id": dish_id, "quantity": quantity})
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            index = next(i for i, q in enumerate(quote.public.lines) if q.dish_id == dish_id)
            name = quote.dishes[dish_id].name
            problems.append({"field": f"lines.{index}.dish_id", "reason": f"{name} is sold out"})
    if problems:
        raise InvalidInput(problems)


def return_portions(session: Session, tickets: Sequence[Ticket]) -> None:
    """Put back the portions of tickets that will not be cooked, in SQL, dish by dish in id
    order (as placing an order takes them), so two writers never lock dishes crosswise."""
    returned: dict[int, int] = defaultdict(int)
    ids = [ticket.id for ticket in tickets]
    for line in session.exec(select(OrderLine).where(col(OrderLine.ticket_id).in_(ids))).all():
        returned[line.dish_id] += line.quantity
    for dish_id, quantity in sorted(returned.items()):
        session.execute(
            sa.update(_DISHES)
            .where(_DISHES.c.id == dish_id, _DISHES.c.portions_left.is_not(None))
            .values(portions_left=_DISHES.c.portions_left + quantity)
        )


def ticket_payload(
    ticket: TicketView,
    lines: Iterable[LineView],
    dishes: Mapping[int, DishLabels],
    deliver_at: datetime | None = None,
) -> dict[str, Any]:
    """What a kitchen screen shows of a ticket (``deliver_at``: the order's booked slot, which
    holds a ticket in the screen's "later" lane until it is time to cook)."""
    return {
        "deliver_at": deliver_at.isoformat() if deliver_at else None,
        "ticket_id": ticket.id,
        "order_id": ticket.order_id,
        "restaurant_id": ticket.restaurant_id,
        "status": ticket.status.value,
        "prep_minutes": ticket.prep_minutes,
        "declared_minutes": ticket.declared_minutes,
        "created_at": ticket.created_at.isoformat(),
        "start_cooking_at": ticket.start_cooking_at.isoformat()
        if ticket.start_cooking_at
        else None,
        "pickup_eta": ticket.pickup_eta.isoformat() if ticket.pickup_eta else None,
        "lines": [
            {
                "dish_id": line.dish_id,
                "dish_name": line.dish_name,
                "quantity": line.quantity,
                "note": line.note,
                "allergens": list(dishes[line.dish_id].allergens) if line.dish_id in dishes else [],
                "station": dishes[line.dish_id].station.value if line.dish_id in dishes else None,
            }
            for line in lines
            if line.ticket_id == ticket.id
        ],
    }


def _record_status(
    session: Session, order: Order, status: OrderStatus, now: datetime, note: str
) -> None:
    assert order.id is not None
    order.status = status
    session.add(order)
    session.add(OrderStatusChange(order_id=order.id, status=status, note=note, at=now))


def change_status(
    session: Session, order: Order, status: OrderStatus, now: datetime, note: str
) -> None:
    """A new state on the order's timeline, announced on the order's channel (and by mail,
    for the states worth one)."""
    _record_status(session, order, status, now, note)
    assert order.id is not None
    mails.queue_for_status(session, order, status, now)
    publish(
        session,
        order_channel(order.id),
        "order.status",
        {"order_id": order.id, "status": status.value},
    )


def mark_delivered(
    session: Session,
    order: Order,
    now: datetime,
    status: OrderStatus = OrderStatus.DELIVERED,
    note: str = "",
    courier_id: int | None = None,
) -> None:
    """The order is handed over, at the door or to its relay shop, by this courier: its sale
    (and the courier's tip) is journalled."""
    order.delivered_at = now
    change_status(session, order, status, now, note)
    ledger.record_sale(session, order, now, courier_id)
    assert order.id is not None
    # The invoice, numbered and frozen: what the customer is charged as of the handover, and
    # who sold it (the kitchens' identities as they stand now).
    content = receipts.receipt(session, order, receipts.NO_ISSUER).model_dump(mode="json")
    total = order.total_cents + order.tip_cents
    documents.issue(session, DocumentKind.INVOICE, order.id, total, content, now)


def note_on_timeline(session: Session, order: Order, now: datetime, note: str) -> None:
    """Tell the customer something without a change of state (a kitchen refused its part)."""
    _record_status(session, order, order.status, now, note)
    assert order.id is not None
    publish(session, order_channel(order.id), "order.note", {"order_id": order.id, "note": note})


def refresh_order_status(session: Session, order: Order, now: datetime, note: str = "") -> bool:
    """Derive the order's state from its tickets; record and announce it if it changed."""
    if order.status in ENDED_ORDER_STATES:
        return False
    tickets = session.exec(select(Ticket).where(Ticket.order_id == order.id)).all()
    active = [t for t in tickets if t.status not in ENDED_TICKET_STATES]
    if not active:
        derived = OrderStatus.CANCELLED
    elif all(t.status is TicketStatus.PICKED_UP for t in active):
        derived = OrderStatus.OUT_FOR_DELIVERY
    elif any(t.status in STARTED_TICKET_STATES for t in active):
        derived = OrderStatus.IN_PREPARATION
    elif all(t.status is not TicketStatus.NEW for t in active):
        derived = OrderStatus.CONFIRMED
    else:
        derived = OrderStatus.PLACED
    if derived is order.status:
        return False
    if derived is OrderStatus.CANCELLED:
        order.cancelled_at = now
        order.cancel_reason = note or "no kitchen could prepare this order"
    change_status(session, order, derived, now, note)
    return True


def freshness_by_order(session: Session, order_ids: list[int]) -> dict[int, int]:
    """The freshness limit of each order's most fragile dish, in seconds."""
    if not order_ids:
        return {}
    rows = session.exec(
        select(OrderLine.order_id, func.min(Dish.freshness_minutes))
        .join(Dish, col(Dish.id) == col(OrderLine.dish_id))
        .where(col(OrderLine.order_id).in_(order_ids))
        .group_by(col(OrderLine.order_id))
    ).all()
    return {order_id: int(minutes) * 60 for order_id, minutes in rows}


def own_order(session: Session, customer_id: int, order_id: int) -> Order:
    """The customer's order; another customer's answers 404 like a missing one."""
    order = session.get(Order, order_id)
    if order is None or order.customer_id != customer_id:
        raise NotFound(f"no order {order_id}")
    return order


def list_orders(
    session: Session, customer_id: int, *, limit: int, offset: int
) -> list[OrderSummary]:
    rows = session.exec(
        select(Order)
        .where(Order.customer_id == customer_id)
        .order_by(col(Order.placed_at).desc(), col(Order.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [
        OrderSummary(
            id=o.id or 0,
            status=o.status,
            total_cents=o.total_cents,
            placed_at=o.placed_at,
            estimated_delivery_at=o.estimated_delivery_at,
        )
        for o in rows
    ]


def order_public(session: Session, order: Order) -> OrderPublic:
    assert order.id is not None
    tickets = session.exec(
        select(Ticket).where(Ticket.order_id == order.id).order_by(col(Ticket.id))
    ).all()
    names = dict(
        session.exec(
            select(Restaurant.id, Restaurant.name).where(
                col(Restaurant.id).in_([t.restaurant_id for t in tickets])
            )
        ).all()
    )
    lines = session.exec(
        select(OrderLine).where(OrderLine.order_id == order.id).order_by(col(OrderLine.id))
    ).all()
    timeline = session.exec(
        select(OrderStatusChange)
        .where(OrderStatusChange.order_id == order.id)
        .order_by(col(OrderStatusChange.at), col(OrderStatusChange.id))
    ).all()
    relay = session.get(RelayPoint, order.relay_point_id) if order.relay_point_id else None
    return OrderPublic(
        id=order.id,
        status=order.status,
        total_cents=order.total_cents,
        tip_cents=order.tip_cents,
        payment_method=order.payment_method,
        voucher_cents=order.voucher_cents,
        placed_at=order.placed_at,
        estimated_delivery_at=order.estimated_delivery_at,
        subtotal_cents=order.subtotal_cents,
        delivery_fee_cents=order.delivery_fee_cents,
        fee=FeeBreakdown.model_validate(order.fee_breakdown),
        destination=DestinationPublic(
            kind=order.destination_kind,
            address=order.address,
            lat=order.lat,
            lon=order.lon,
            relay_point_id=order.relay_point_id,
            relay_point_name=relay.name if relay else None,
            relay_hours=relay.hours_text() if relay else None,
            house_number=order.house_number,
            floor=order.floor,
            door_code=order.door_code,
            notes=order.address_notes,
            phone=order.phone,
        ),
        relay_code=order.relay_code,
        deliver_at=order.deliver_at,
        promised_at=order.promised_at,
        cancel_reason=order.cancel_reason,
        delivered_at=order.delivered_at,
        collected_at=order.collected_at,
        lines=[_line_public(line) for line in lines],
        tickets=[_ticket_public(t, names.get(t.restaurant_id, "")) for t in tickets],
        timeline=[TimelineEntry(status=e.status, at=e.at, note=e.note) for e in timeline],
        courier=_courier_position(session, order),
    )


def _courier_position(session: Session, order: Order) -> CourierPosition | None:
    """Where the courier is, once the order is on its way."""
    if order.status is not OrderStatus.OUT_FOR_DELIVERY:
        return None
    courier = session.exec(
        select(Courier)
        .join(Round, col(Round.courier_id) == col(Courier.id))
        .join(Stop, col(Stop.round_id) == col(Round.id))
        .where(Stop.order_id == order.id, Round.status == RoundStatus.ACTIVE)
    ).first()
    if courier is None or courier.lat is None or courier.lon is None or courier.position_at is None:
        return None
    return CourierPosition(lat=courier.lat, lon=courier.lon, at=courier.position_at)


def cancel_order(session: Session, order_id: int, now: datetime, reason: str) -> Order:
    """Cancel before any kitchen has started cooking; after that, 409 with the current state."""
    order, tickets = lock_order(session, order_id)
    started = [t for t in tickets if t.status in STARTED_TICKET_STATES]
    if order.status not in (OrderStatus.PLACED, OrderStatus.CONFIRMED) or started:
        raise Conflict(
            {
                "reason": "a kitchen has already started this order"
                if started
                else f"an order that is {order.status.value} cannot be cancelled",
                "current_status": order.status.value,
            }
        )
    cancel_with_fault(session, order, tickets, reason, Fault.CUSTOMER, now)
    return order


def cancel_with_fault(
    session: Session,
    order: Order,
    tickets: Sequence[Ticket],
    reason: str,
    fault: Fault,
    now: datetime,
) -> None:
    """End the locked order and its tickets still live, put down to ``fault``; their portions
    go back on the menu (portions count what live tickets hold), the customer pays nothing."""
    live = [ticket for ticket in tickets if ticket.status not in ENDED_TICKET_STATES]
    return_portions(session, live)
    for ticket in live:
        ticket.status = TicketStatus.CANCELLED
        ticket.cancel_fault = fault
        session.add(ticket)
    # One call: the kitchens' channels are bumped in sorted order, as an order placement does.
    publish_all(
        session,
        [
            (
                restaurant_channel(ticket.restaurant_id),
                "ticket.cancelled",
                {"ticket_id": ticket.id, "order_id": order.id, "status": ticket.status.value},
            )
            for ticket in live
        ],
    )
    session.flush()
    charge_live_tickets(session, order, tickets, None)
    order.cancel_reason = reason
    order.cancelled_at = now
    order.cancel_fault = fault
    change_status(session, order, OrderStatus.CANCELLED, now, reason)
