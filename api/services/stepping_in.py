"""The operator stepping in: orders moved, pinned or cancelled, shifts ended, kitchens paced.

Every action is written in the audit log (who, when, what, why) in its own transaction. Locks
follow the service's one order: couriers by id, then orders by id, then their tickets by id,
the order the dispatcher's write-back takes them in. An action on a world that moved (an
order delivered meanwhile, food collected) answers 409 with the current state.

Each step bumps the orders' ``operator_version``: a plan the dispatcher made before it is not
written back over it (api.dispatcher.persist).
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.db import for_update
from api.errors import Conflict, InvalidInput, NotFound
from api.models import (
    ARRIVED_ORDER_STATES,
    ENDED_ORDER_STATES,
    ENDED_TICKET_STATES,
    OPEN_ROUND_STATES,
    OPEN_TICKET_STATES,
    AuditAction,
    AuditEntry,
    Courier,
    CourierShift,
    Document,
    DocumentKind,
    Fault,
    LedgerKind,
    Order,
    OrderLine,
    OrderStatus,
    Restaurant,
    Round,
    RoundStatus,
    Stop,
    StopKind,
    Ticket,
    TicketStatus,
)
from api.schemas.accounts import Account
from api.schemas.couriers import ShiftPublic
from api.schemas.kitchen import RestaurantSettings
from api.schemas.ops import RefundRequest, RefundResult, StepResult
from api.services import couriers, documents, kitchen, ledger
from api.services.couriers import close_if_done
from api.services.kitchen import Repricer, reprice_without
from api.services.ops_board import holders, touch
from api.services.orders import (
    cancel_with_fault,
    lock_order,
    note_on_timeline,
    refresh_order_status,
    return_portions,
)
from api.services.outbox import Event, courier_channel, publish_all
from api.services.receipts import charged_lines
from api.services.vat import apportion, euros, vat_lines

_ORDERS: sa.Table = Order.__table__  # type: ignore[attr-defined]


def audit(
    session: Session,
    actor: Account,
    action: AuditAction,
    subject: tuple[str, int],
    reason: str,
    now: datetime,
    **detail: Any,
) -> int:
    entry = AuditEntry(
        actor_id=actor.id,
        action=action,
        subject_kind=subject[0],
        subject_id=subject[1],
        reason=reason,
        detail=detail,
        at=now,
    )
    session.add(entry)
    session.flush()
    assert entry.id is not None
    return entry.id


# -- Reading and locking ---------------------------------------------------------------------


def _lock_couriers(session: Session, courier_ids: set[int]) -> dict[int, Courier]:
    found = session.exec(
        for_update(
            select(Courier).where(col(Courier.id).in_(courier_ids)).order_by(col(Courier.id))
        )
    ).all()
    return {c.id: c for c in found if c.id is not None}


def _lock_orders(
    session: Session, order_ids: Sequence[int]
) -> tuple[dict[int, Order], dict[int, list[Ticket]]]:
    """Orders by id, then all their tickets by id (as the dispatcher's write-back does)."""
    orders = session.exec(
        for_update(select(Order).where(col(Order.id).in_(order_ids)).order_by(col(Order.id)))
    ).all()
    tickets: dict[int, list[Ticket]] = {o.id: [] for o in orders if o.id is not None}
    for ticket in session.exec(
        for_update(
            select(Ticket).where(col(Ticket.order_id).in_(order_ids)).order_by(col(Ticket.id))
        )
    ).all():
        tickets[ticket.order_id].append(ticket)
    return {o.id: o for o in orders if o.id is not None}, tickets


def _on_shift(couriers: dict[int, Courier], courier_id: int) -> Courier:
    courier = couriers.get(courier_id)
    if courier is None:
        raise NotFound(f"no courier {courier_id}")
    if not courier.on_shift:
        raise Conflict({"reason": f"{courier.name} is not on shift", "current_status": "off_shift"})
    return courier


def _lock_order_and_couriers(
    session: Session, order_id: int, also: set[int]
) -> tuple[Order, list[Ticket], dict[int, Courier], int | None]:
    """The order's holder and the couriers named, locked, then the order and its tickets.

    The holder is read before the locks; if it changed meanwhile, the world moved: 409.
    """
    holder = holders(session, [order_id]).get(order_id)
    couriers = _lock_couriers(session, also | ({holder} if holder is not None else set()))
    orders, tickets = _lock_orders(session, [order_id])
    if order_id not in orders:
        raise NotFound(f"no order {order_id}")
    now_with = holders(session, [order_id]).get(order_id)
    if now_with != holder:
        raise Conflict(
            {
                "reason": "the order moved to another courier meanwhile: look again",
                "current_status": "moved",
                "courier_id": now_with,
            }
        )
    order = orders[order_id]
    if order.status in ENDED_ORDER_STATES:
        raise Conflict(
            {"reason": f"the order is {order.status.value}", "current_status": order.status.value}
        )
    return order, tickets[order_id], couriers, holder


def _bump_versions(session: Session, order_ids: Sequence[int]) -> None:
    if order_ids:
        session.execute(
            sa.update(_ORDERS)
            .where(_ORDERS.c.id.in_(order_ids))
            .values(operator_version=_ORDERS.c.operator_version + 1)
        )


def _zone_of(session: Session, courier_id: int) -> str | None:
    return session.exec(
        select(CourierShift.zone).where(
            CourierShift.courier_id == courier_id, col(CourierShift.ended_at).is_(None)
        )
    ).first()


# -- Moving stops ----------------------------------------------------------------------------


def _open_round(session: Session, courier_id: int, now: datetime) -> Round:
    found = session.exec(
        select(Round)
        .where(Round.courier_id == courier_id, col(Round.status).in_(OPEN_ROUND_STATES))
        .order_by(col(Round.id))
    ).first()
    if found is not None:
        return found
    created = Round(courier_id=courier_id, status=RoundStatus.PLANNED, created_at=now)
    session.add(created)
    session.flush()
    return created


def _give(
    session: Session, order: Order, tickets: list[Ticket], courier_id: int, now: datetime
) -> set[int]:
    """Put the order's stops still to do at the end of the courier's round (making them if
    the order had none). Returns the couriers whose rounds changed."""
    assert order.id is not None
    target = _open_round(session, courier_id, now)
    assert target.id is not None
    undone = session.exec(
        select(Stop).where(Stop.order_id == order.id, col(Stop.done_at).is_(None))
    ).all()
    changed = {courier_id}
    old_rounds = {s.round_id for s in undone if s.round_id != target.id}
    last = session.exec(select(sa.func.max(Stop.position)).where(Stop.round_id == target.id)).one()
    position = (last if last is not None else -1) + 1
    have = {(s.kind, s.ticket_id) for s in undone}
    kitchens = {
        r.id: r
        for r in session.exec(
            select(Restaurant).where(col(Restaurant.id).in_({t.restaurant_id for t in tickets}))
        ).all()
    }
    wanted: list[Stop] = [s for s in undone if s.kind is StopKind.PICKUP]
    for ticket in tickets:
        if ticket.status in OPEN_TICKET_STATES and (StopKind.PICKUP, ticket.id) not in have:
            kitchen_ = kitchens[ticket.restaurant_id]
            wanted.append(
                Stop(
                    round_id=target.id,
                    position=0,
                    kind=StopKind.PICKUP,
                    order_id=order.id,
                    ticket_id=ticket.id,
                    lat=kitchen_.lat,
                    lon=kitchen_.lon,
                )
            )
    door = next((s for s in undone if s.kind is StopKind.DROPOFF), None)
    wanted.append(
        door
        or Stop(
            round_id=target.id,
            position=0,
            kind=StopKind.DROPOFF,
            order_id=order.id,
            lat=order.lat,
            lon=order.lon,
        )
    )
    for stop in wanted:
        # The dispatcher's next plan (woken by this change) gives them times.
        stop.round_id, stop.position, stop.eta, stop.leave_at = target.id, position, None, None
        position += 1
        session.add(stop)
    session.flush()
    for round_id in old_rounds:
        holder = session.get(Round, round_id)
        if holder is not None:
            changed.add(holder.courier_id)
            close_if_done(session, holder, now)
    return changed


def _drop_stops(session: Session, order_id: int, ticket_id: int | None, now: datetime) -> set[int]:
    """Remove an order's stops still to do (only one ticket's pickup, when named)."""
    query = select(Stop, Round).join(Round, col(Round.id) == col(Stop.round_id))
    query = query.where(Stop.order_id == order_id, col(Stop.done_at).is_(None))
    if ticket_id is not None:
        query = query.where(Stop.ticket_id == ticket_id)
    changed: set[int] = set()
    rounds: dict[int, Round] = {}
    for stop, round_ in session.exec(query).all():
        changed.add(round_.courier_id)
        assert round_.id is not None
        rounds[round_.id] = round_
        session.delete(stop)
    session.flush()
    for round_ in rounds.values():
        close_if_done(session, round_, now)
    return changed


STEPPED_IN = "round.stepped_in"
"""A round changed by the operator: the courier's page hears it, and, not being one of the
dispatcher's own events, it calls for a new plan at once (times for the moved stops)."""


def _tell_couriers(session: Session, courier_ids: set[int]) -> None:
    events: list[Event] = [
        (courier_channel(c), STEPPED_IN, {"courier_id": c}) for c in sorted(courier_ids)
    ]
    publish_all(session, events)


def _carried_by(tickets: list[Ticket]) -> bool:
    return any(t.status is TicketStatus.PICKED_UP for t in tickets)


# -- The actions -----------------------------------------------------------------------------


def assign(
    session: Session,
    actor: Account,
    order_id: int,
    courier_id: int,
    pin: bool,
    reason: str,
    now: datetime,
) -> StepResult:
    """Give the order to a courier now; pinned, the dispatcher keeps it there."""
    order, tickets, couriers, holder = _lock_order_and_couriers(session, order_id, {courier_id})
    courier = _on_shift(couriers, courier_id)
    if _carried_by(tickets) and holder != courier_id:
        raise Conflict(
            {"reason": "part of this order is in a courier's bag", "current_status": "carried"}
        )
    if order.zone is not None and _zone_of(session, courier_id) not in (None, order.zone):
        raise Conflict(
            {
                "reason": f"{courier.name} works in another dispatch zone than this order's",
                "current_status": "other_zone",
            }
        )
    changed = _give(session, order, tickets, courier_id, now)
    order.pinned_courier_id = courier_id if pin else None
    order.unplaced_reason = None
    session.add(order)
    _bump_versions(session, [order_id])
    _tell_couriers(session, changed)
    touch(session, orders=[order_id], couriers=changed)
    action = AuditAction.PIN if pin else AuditAction.ASSIGN
    entry = audit(
        session, actor, action, ("order", order_id), reason, now, courier_id=courier_id, was=holder
    )
    return StepResult(orders=[order_id], audit_id=entry)


def unpin(
    session: Session, actor: Account, order_id: int, reason: str, now: datetime
) -> StepResult:
    """Let the dispatcher plan the order freely again."""
    order, _, _, _ = _lock_order_and_couriers(session, order_id, set())
    if order.pinned_courier_id is None:
        raise Conflict({"reason": "the order is not pinned", "current_status": "unpinned"})
    was = order.pinned_courier_id
    order.pinned_courier_id = None
    session.add(order)
    _bump_versions(session, [order_id])
    touch(session, orders=[order_id])
    entry = audit(session, actor, AuditAction.UNPIN, ("order", order_id), reason, now, was=was)
    return StepResult(orders=[order_id], audit_id=entry)


def move_stops(
    session: Session, actor: Account, from_id: int, to_id: int, reason: str, now: datetime
) -> StepResult:
    """Give every order of one courier not yet collected to another, pinned there; food
    already on board stays with the first."""
    if from_id == to_id:
        raise Conflict({"reason": "the two couriers are the same", "current_status": "same"})
    couriers = _lock_couriers(session, {from_id, to_id})
    if from_id not in couriers:
        raise NotFound(f"no courier {from_id}")
    target = _on_shift(couriers, to_id)
    held = sorted(o for o, c in _holders_of_courier(session, from_id))
    orders, tickets = _lock_orders(session, held)
    moved, kept = [], []
    target_zone = _zone_of(session, to_id)
    for order_id in held:
        order = orders[order_id]
        if _carried_by(tickets[order_id]) or order.status in ENDED_ORDER_STATES:
            kept.append(order_id)
            continue
        if order.zone is not None and target_zone not in (None, order.zone):
            kept.append(order_id)
            continue
        _give(session, order, tickets[order_id], to_id, now)
        order.pinned_courier_id = to_id
        session.add(order)
        moved.append(order_id)
    _bump_versions(session, moved)
    _tell_couriers(session, {from_id, to_id})
    touch(session, orders=moved, couriers={from_id, to_id})
    entry = audit(
        session,
        actor,
        AuditAction.MOVE_STOPS,
        ("courier", from_id),
        reason,
        now,
        to_courier_id=target.id,
        moved=moved,
        kept=kept,
    )
    return StepResult(orders=moved, kept=kept, audit_id=entry)


def _holders_of_courier(session: Session, courier_id: int) -> set[tuple[int, int]]:
    rows = session.exec(
        select(Stop.order_id, Round.courier_id)
        .join(Round, col(Round.id) == col(Stop.round_id))
        .where(
            Round.courier_id == courier_id,
            col(Round.status).in_(OPEN_ROUND_STATES),
            col(Stop.done_at).is_(None),
        )
    ).all()
    return set(rows)


def cancel_order(
    session: Session,
    actor: Account,
    order_id: int,
    reason: str,
    fault: Fault,
    now: datetime,
) -> StepResult:
    """Cancel the whole order, whoever's fault; its stops leave the rounds."""
    order, tickets, _, _ = _lock_order_and_couriers(session, order_id, set())
    changed = _drop_stops(session, order_id, None, now)
    cancel_with_fault(session, order, tickets, reason, fault, now)
    _bump_versions(session, [order_id])
    _tell_couriers(session, changed)
    touch(session, orders=[order_id], couriers=changed)
    entry = audit(
        session, actor, AuditAction.CANCEL_ORDER, ("order", order_id), reason, now, fault=fault
    )
    return StepResult(orders=[order_id], audit_id=entry)


def cancel_ticket(
    session: Session,
    actor: Account,
    order_id: int,
    ticket_id: int,
    reason: str,
    fault: Fault,
    now: datetime,
    reprice: Repricer,
) -> StepResult:
    """Cancel one kitchen's part: the customer pays for the rest and its kitchens' fee."""
    order, tickets, _, _ = _lock_order_and_couriers(session, order_id, set())
    ticket = next((t for t in tickets if t.id == ticket_id), None)
    if ticket is None:
        raise NotFound(f"no ticket {ticket_id} in order {order_id}")
    if ticket.status in ENDED_TICKET_STATES or ticket.status is TicketStatus.PICKED_UP:
        raise Conflict(
            {
                "reason": f"a ticket that is {ticket.status.value} cannot be cancelled",
                "current_status": ticket.status.value,
            }
        )
    return_portions(session, [ticket])  # portions count what live tickets hold
    ticket.status, ticket.refuse_reason, ticket.cancel_fault = (
        TicketStatus.CANCELLED,
        reason,
        fault,
    )
    session.add(ticket)
    session.flush()
    kitchen.announce_ticket(session, ticket)
    changed = _drop_stops(session, order_id, ticket_id, now)
    reprice_without(session, order, tickets, reprice)
    note = f"Part of the order was cancelled by the alliance: {reason}"
    if not refresh_order_status(session, order, now, note):
        note_on_timeline(session, order, now, note)
    restaurant = session.get(Restaurant, ticket.restaurant_id)
    kitchen.tell_part_refused(session, order, restaurant.name if restaurant else "", reason, now)
    if order.status is OrderStatus.CANCELLED:
        order.cancel_fault = fault
        changed |= _drop_stops(session, order_id, None, now)
    _bump_versions(session, [order_id])
    _tell_couriers(session, changed)
    touch(session, orders=[order_id], couriers=changed)
    entry = audit(
        session,
        actor,
        AuditAction.CANCEL_TICKET,
        ("order", order_id),
        reason,
        now,
        ticket_id=ticket_id,
        fault=fault,
    )
    return StepResult(orders=[order_id], audit_id=entry)


def pace_kitchen(
    session: Session,
    actor: Account,
    restaurant_id: int,
    paused: bool | None,
    busy_minutes: int | None,
    reason: str,
    now: datetime,
) -> int:
    """Pause or resume a kitchen, or set its busy minutes."""
    if paused is None and busy_minutes is None:
        raise InvalidInput([{"field": "paused", "reason": "send paused or busy_extra_minutes"}])
    restaurant = kitchen.update_restaurant(
        session,
        restaurant_id,
        RestaurantSettings(paused=paused, busy_extra_minutes=busy_minutes),
    )
    if paused is not None:
        action = AuditAction.PAUSE_KITCHEN if paused else AuditAction.RESUME_KITCHEN
    else:
        action = AuditAction.SET_BUSY
    return audit(
        session,
        actor,
        action,
        ("restaurant", restaurant_id),
        reason,
        now,
        paused=restaurant.paused,
        busy_extra_minutes=restaurant.busy_extra_minutes,
    )


def end_shift(
    session: Session,
    actor: Account,
    courier_id: int,
    reason: str,
    now: datetime,
    pay: couriers.PayRule,
) -> ShiftPublic:
    """End a courier's shift for it (not with food on board): its stops not started go back
    to the dispatcher, its pins are lifted."""
    courier = session.get(Courier, courier_id)
    if courier is None:
        raise NotFound(f"no courier {courier_id}")
    shift = couriers.end_shift(session, courier, now, pay)
    audit(session, actor, AuditAction.END_SHIFT, ("courier", courier_id), reason, now)
    return shift


def refund(
    session: Session, actor: Account, order_id: int, request: RefundRequest, now: datetime
) -> RefundResult:
    """Money back to the customer of an order handed over: journalled against the party at
    fault, with a numbered credit note. Refunds add up to at most what the order charged."""
    order, tickets = lock_order(session, order_id)
    if order.status not in ARRIVED_ORDER_STATES:
        raise Conflict(
            {
                "reason": "only an order handed over is refunded: cancel it instead",
                "current_status": order.status.value,
            }
        )
    assert order.id is not None
    notes = [d for d in documents.of_order(session, order.id) if d.kind is DocumentKind.CREDIT_NOTE]
    left = _left_by_rate(session, order, tickets, notes)
    remaining = sum(left.values())
    if request.amount_cents > remaining:
        raise InvalidInput(
            [{"field": "amount_cents", "reason": f"at most {euros(remaining)} is left to refund"}]
        )
    account = _at_fault(session, order.id, tickets, request)
    shares = apportion(request.amount_cents, sorted(left.items()))
    vat = sum(line.vat_cents for line in vat_lines(shares))
    ledger.post(
        session,
        LedgerKind.REFUND,
        [
            (account, request.amount_cents - vat),
            (ledger.VAT_COLLECTED, vat),
            (ledger.customer_account(order.customer_id), -request.amount_cents),
        ],
        now,
        order.id,
        f"refund, order #{order.id}: {request.reason}",
    )
    content = {
        "reason": request.reason,
        "fault": request.fault.value,
        "charged_to": account,
        "lines": shares,
    }
    note = documents.issue(
        session, DocumentKind.CREDIT_NOTE, order.id, request.amount_cents, content, now
    )
    touch(session, orders=[order.id])
    entry = audit(
        session,
        actor,
        AuditAction.REFUND,
        ("order", order.id),
        request.reason,
        now,
        fault=request.fault,
        amount_cents=request.amount_cents,
    )
    return RefundResult(
        credit_note_number=note.number,
        amount_cents=request.amount_cents,
        charged_to=account,
        audit_id=entry,
    )


def _left_by_rate(
    session: Session, order: Order, tickets: Sequence[Ticket], notes: Sequence[Document]
) -> dict[int, int]:
    """What the order's sale still charges at each VAT rate, after its credit notes. A credit
    note reduces the sale, whoever bears it: it takes back each rate's VAT in proportion to
    what is left at that rate, so no rate ever gives back more than it charged."""
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).all()
    left: dict[int, int] = defaultdict(int)
    for rate, total in charged_lines(order, tickets, lines):
        left[rate] += total
    for note in notes:
        for rate, cents in note.content.get("lines", []):
            left[rate] -= cents
    return left


def _at_fault(
    session: Session, order_id: int, tickets: Sequence[Ticket], request: RefundRequest
) -> str:
    """The journal account of the party at fault."""
    if request.fault is Fault.KITCHEN:
        if request.restaurant_id not in {t.restaurant_id for t in tickets}:
            raise InvalidInput(
                [{"field": "restaurant_id", "reason": "name the order's kitchen at fault"}]
            )
        assert request.restaurant_id is not None
        return ledger.kitchen_account(request.restaurant_id)
    if request.fault is Fault.COURIER:
        brought_by = session.exec(
            select(Round.courier_id)
            .join(Stop, col(Stop.round_id) == col(Round.id))
            .where(Stop.order_id == order_id, Stop.kind == StopKind.DROPOFF)
        ).first()
        if brought_by is None:
            raise InvalidInput([{"field": "fault", "reason": "no courier brought this order"}])
        return ledger.courier_account(brought_by)
    if request.fault is Fault.ALLIANCE:
        return ledger.ALLIANCE_REFUNDS
    raise InvalidInput(
        [
            {
                "field": "fault",
                "reason": "a refund is charged to the kitchen, the courier or the alliance",
            }
        ]
    )
