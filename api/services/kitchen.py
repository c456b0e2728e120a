"""A kitchen's tickets and controls: accept, refuse, start, ready; pause, busy, portions."""

from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from api.errors import Conflict, NotFound
from api.models import (
    ENDED_TICKET_STATES,
    OPEN_TICKET_STATES,
    Dish,
    MailKind,
    Order,
    OrderLine,
    OrderStatus,
    Restaurant,
    Ticket,
    TicketStatus,
)
from api.schemas.alliance import DishEdit
from api.schemas.kitchen import (
    KitchenLine,
    KitchenPaceView,
    KitchenRestaurant,
    KitchenTicket,
    RestaurantSettings,
)
from api.schemas.orders import FeeBreakdown
from api.services import mails, paces
from api.services.alliance import edit_dish
from api.services.orders import (
    charge_live_tickets,
    lock_order,
    note_on_timeline,
    refresh_order_status,
    return_portions,
    ticket_payload,
)
from api.services.outbox import publish, restaurant_channel
from api.services.views import DishView, dishes_by_id


class TicketAction(StrEnum):
    ACCEPT = "accept"
    REFUSE = "refuse"
    START = "start"
    READY = "ready"
    RECALL = "recall"


# From which states each action may be taken, and the state it leads to.
TRANSITIONS: dict[TicketAction, tuple[frozenset[TicketStatus], TicketStatus]] = {
    TicketAction.ACCEPT: (frozenset({TicketStatus.NEW}), TicketStatus.ACCEPTED),
    TicketAction.REFUSE: (
        frozenset({TicketStatus.NEW, TicketStatus.ACCEPTED}),
        TicketStatus.REFUSED,
    ),
    TicketAction.START: (
        frozenset({TicketStatus.NEW, TicketStatus.ACCEPTED}),
        TicketStatus.PREPARING,
    ),
    TicketAction.READY: (
        frozenset({TicketStatus.ACCEPTED, TicketStatus.PREPARING}),
        TicketStatus.READY,
    ),
    TicketAction.RECALL: (frozenset({TicketStatus.READY}), TicketStatus.PREPARING),
}


def own_ticket(session: Session, restaurant_id: int, ticket_id: int) -> Ticket:
    """The kitchen's ticket; another restaurant's answers 404 like a missing one."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.restaurant_id != restaurant_id:
        raise NotFound(f"no ticket {ticket_id}")
    return ticket


def kitchen_tickets(
    session: Session, restaurant_id: int, *, status: TicketStatus | None, limit: int, offset: int
) -> list[KitchenTicket]:
    query = select(Ticket).where(Ticket.restaurant_id == restaurant_id)
    if status is not None:
        query = query.where(Ticket.status == status)
    tickets = session.exec(
        query.order_by(col(Ticket.created_at), col(Ticket.id)).offset(offset).limit(limit)
    ).all()
    return describe_tickets(session, tickets)


def describe_tickets(session: Session, tickets: Sequence[Ticket]) -> list[KitchenTicket]:
    ids = [t.id for t in tickets]
    lines = session.exec(select(OrderLine).where(col(OrderLine.ticket_id).in_(ids))).all()
    dishes = _dishes(session, {line.dish_id for line in lines})
    return [
        KitchenTicket(
            id=t.id or 0,
            order_id=t.order_id,
            status=t.status,
            prep_minutes=t.prep_minutes,
            declared_minutes=t.declared_minutes,
            created_at=t.created_at,
            start_cooking_at=t.start_cooking_at,
            pickup_eta=t.pickup_eta,
            refuse_reason=t.refuse_reason,
            lines=[
                KitchenLine.model_validate(line)
                for line in ticket_payload(t, lines, dishes)["lines"]
            ],
        )
        for t in tickets
    ]


def board(session: Session, restaurant_id: int) -> list[dict[str, Any]]:
    """Every ticket still on the kitchen's board, oldest first, as the screen's events show them."""
    tickets = session.exec(
        select(Ticket)
        .where(Ticket.restaurant_id == restaurant_id, col(Ticket.status).in_(OPEN_TICKET_STATES))
        .order_by(col(Ticket.created_at), col(Ticket.id))
    ).all()
    lines = session.exec(
        select(OrderLine).where(col(OrderLine.ticket_id).in_([t.id for t in tickets]))
    ).all()
    dishes = _dishes(session, {line.dish_id for line in lines})
    slots = dict(
        session.exec(
            select(Order.id, Order.deliver_at).where(
                col(Order.id).in_({t.order_id for t in tickets})
            )
        ).all()
    )
    return [ticket_payload(t, lines, dishes, slots.get(t.order_id)) for t in tickets]


def announce_ticket(session: Session, ticket: Ticket) -> None:
    """Tell the ticket's kitchen screens its new state."""
    lines = session.exec(select(OrderLine).where(OrderLine.ticket_id == ticket.id)).all()
    order = session.get(Order, ticket.order_id)
    dishes = _dishes(session, {line.dish_id for line in lines})
    payload = ticket_payload(ticket, lines, dishes, order.deliver_at if order else None)
    publish(session, restaurant_channel(ticket.restaurant_id), "ticket.updated", payload)


def _dishes(session: Session, ids: set[int]) -> dict[int, DishView]:
    return {dish.id: dish for dish in dishes_by_id(session, ids)}


Repricer = Callable[[Order, list[Restaurant]], FeeBreakdown]
"""The delivery fee for an order's remaining kitchens."""


def act_on_ticket(
    session: Session,
    restaurant_id: int,
    ticket_id: int,
    action: TicketAction,
    now: datetime,
    reason: str | None = None,
    reprice: Repricer | None = None,
) -> Ticket:
    """Move a ticket along its state machine; an illegal move answers 409 with its state.

    The order and its tickets are locked first, so the state checked is the state changed.
    """
    order_id = own_ticket(session, restaurant_id, ticket_id).order_id
    order, tickets = lock_order(session, order_id)
    ticket = next(t for t in tickets if t.id == ticket_id)
    allowed, target = TRANSITIONS[action]
    if ticket.status not in allowed:
        raise Conflict(
            {
                "reason": f"cannot {action.value} a ticket that is {ticket.status.value}",
                "current_status": ticket.status.value,
            }
        )
    ticket.status = target
    if action is TicketAction.ACCEPT or (
        action is TicketAction.START and ticket.accepted_at is None
    ):
        ticket.accepted_at = now
    if action is TicketAction.START:
        ticket.started_at = now
        paces.note_start(session, ticket)
    if action is TicketAction.READY:
        ticket.ready_at = now
    if action is TicketAction.RECALL:
        ticket.ready_at = None
    if action is TicketAction.REFUSE:
        ticket.refuse_reason = reason
        return_portions(session, [ticket])
    session.add(ticket)
    session.flush()
    if action is TicketAction.READY and ticket.started_at is not None:
        paces.refit(session, restaurant_id, now)  # its pace, learned as its tickets close

    announce_ticket(session, ticket)

    if action is TicketAction.REFUSE:
        restaurant = session.get(Restaurant, restaurant_id)
        note = (
            f"{restaurant.name if restaurant else 'A kitchen'} could not prepare its part: {reason}"
        )
        reprice_without(session, order, tickets, reprice)
        if not refresh_order_status(session, order, now, note):
            note_on_timeline(session, order, now, note)
        kitchen_name = restaurant.name if restaurant else ""
        tell_part_refused(session, order, kitchen_name, reason or "", now)
    else:
        refresh_order_status(session, order, now)
    return ticket


def tell_part_refused(
    session: Session, order: Order, kitchen: str, reason: str, now: datetime
) -> None:
    """Mail the customer that one kitchen's part will not come, with the new total (not when
    nothing is coming at all: the order is cancelled then)."""
    if order.status is not OrderStatus.CANCELLED:
        mails.queue(
            session,
            order,
            MailKind.PART_REFUSED,
            now,
            kitchen=kitchen,
            reason=reason,
            total_cents=order.total_cents,
        )


def reprice_without(
    session: Session, order: Order, tickets: list[Ticket], reprice: Repricer | None
) -> None:
    """The customer pays only for what is still coming: its dishes, and the fee for its kitchens."""
    live = {t.restaurant_id for t in tickets if t.status not in ENDED_TICKET_STATES}
    remaining = session.exec(select(Restaurant).where(col(Restaurant.id).in_(live))).all()
    fee = reprice(order, list(remaining)) if remaining and reprice is not None else None
    charge_live_tickets(session, order, tickets, fee)


def describe_restaurant(session: Session, restaurant_id: int) -> KitchenRestaurant:
    """The kitchen's settings, and its learned pace at the tickets it has cooking now."""
    restaurant = session.get(Restaurant, restaurant_id)
    if restaurant is None:
        raise NotFound(f"no restaurant {restaurant_id}")
    pace = paces.paces(session, [restaurant_id])[restaurant_id]
    cooking = paces.loads(session, [restaurant_id])[restaurant_id]
    view = KitchenPaceView(
        factor=round(pace.factor(cooking), 2), cooking=cooking, tickets=pace.tickets
    )
    return KitchenRestaurant.model_validate(
        {**restaurant.model_dump(), "pace": view}, from_attributes=True
    )


def update_restaurant(
    session: Session, restaurant_id: int, changes: RestaurantSettings
) -> Restaurant:
    restaurant = session.get(Restaurant, restaurant_id)
    if restaurant is None:
        raise NotFound(f"no restaurant {restaurant_id}")
    for field, value in changes.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(restaurant, field, value)
    session.add(restaurant)
    publish(
        session,
        restaurant_channel(restaurant_id),
        "restaurant.updated",
        {"paused": restaurant.paused, "busy_extra_minutes": restaurant.busy_extra_minutes},
    )
    return restaurant


def update_dish(session: Session, restaurant_id: int, dish_id: int, changes: DishEdit) -> Dish:
    """Change a dish of the restaurant (alliance.edit_dish) and tell its kitchen screens."""
    dish = edit_dish(session, restaurant_id, dish_id, changes)
    publish(
        session,
        restaurant_channel(restaurant_id),
        "dish.updated",
        {"dish_id": dish_id, "available": dish.available, "portions_left": dish.portions_left},
    )
    return dish
