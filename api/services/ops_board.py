"""The operator's live board: its rows, its alerts, and the events that keep it live.

The board is a set of rows (orders, couriers, kitchens), each the whole current state of one
thing. Every transaction that publishes an event about an order, a courier or a kitchen (or
calls ``touch``) also publishes, just before it commits, one "board.touched" event on one of
the operator channels naming what it touched: writers pay one insert, not the rows. Whoever
sends the event to a board reads those things' current rows (``rows_for_each``: once per pump
cycle for all the boards of a process, afresh for a board catching up), so a row read later
is never older than one read before. A board holds the board at one sequence number per
channel and replaces rows as events come: the kitchen screen's resume-by-sequence rule, and
nothing to poll.

Alerts are part of the rows: each says from when it holds (a ticket not accepted within N
minutes holds from its creation plus N). The screen raises it when its clock gets there; a
newer row, with the thing dealt with, takes it back. They are added where the rows are read,
with the API's thresholds.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.models import (
    ARRIVED_ORDER_STATES,
    ENDED_TICKET_STATES,
    OPEN_ORDER_STATES,
    OPEN_ROUND_STATES,
    OPEN_TICKET_STATES,
    ChannelSequence,
    Courier,
    CourierShift,
    Order,
    OrderStatus,
    RelayPoint,
    Restaurant,
    Round,
    Stop,
    Ticket,
    TicketStatus,
)
from api.schemas.ops import (
    Alert,
    AlertKind,
    Board,
    BoardRows,
    BoardState,
    CourierRow,
    KitchenRow,
    NextStop,
    OffSite,
    OrderRow,
    RelayRow,
    TicketRow,
)
from api.services.outbox import OPERATOR_CHANNELS, OPS_TOUCHED_KEY

SCHEDULED_LEAD = timedelta(minutes=20)
"""A scheduled order counts as unassigned only from this long before its slot."""


@dataclass(frozen=True)
class AlertThresholds:
    """When the board raises its alerts (settings CHAUD_OPS_*)."""

    not_accepted: timedelta = timedelta(minutes=3)
    unassigned: timedelta = timedelta(minutes=5)
    kitchen_late: timedelta = timedelta(minutes=5)
    stale_position: timedelta = timedelta(minutes=2)


def board_state(status: OrderStatus, tickets: Iterable[TicketStatus]) -> BoardState:
    """Where an order is: the first kitchen still to accept or cook holds it back."""
    if status is OrderStatus.CANCELLED:
        return BoardState.CANCELLED
    if status in ARRIVED_ORDER_STATES:
        return BoardState.DELIVERED
    live = [t for t in tickets if t not in ENDED_TICKET_STATES]
    if status is OrderStatus.OUT_FOR_DELIVERY or TicketStatus.PICKED_UP in live:
        return BoardState.OUT
    if TicketStatus.NEW in live:
        return BoardState.WAITING_FOR_KITCHEN
    if TicketStatus.ACCEPTED in live or TicketStatus.PREPARING in live:
        return BoardState.COOKING
    return BoardState.WAITING_FOR_COURIER


def order_alerts(row: OrderRow, limits: AlertThresholds) -> list[Alert]:
    """The alerts an order row raises, each from when it holds."""
    subject = f"order:{row.id}"
    # A step away from the stop is reviewed even once the order is over.
    alerts = [
        Alert(
            kind=AlertKind.OFF_SITE,
            at=step.at,
            text=f"Order #{row.id}: {step.kind.value} done "
            + (f"{step.metres} m from the stop" if step.metres is not None else "unlocated")
            + f": {step.reason}",
            subject=subject,
        )
        for step in row.off_site
    ]
    if row.board_state in (BoardState.DELIVERED, BoardState.CANCELLED):
        return alerts
    for ticket in row.tickets:
        if ticket.status is TicketStatus.NEW:
            alerts.append(
                Alert(
                    kind=AlertKind.NOT_ACCEPTED,
                    at=ticket.created_at + limits.not_accepted,
                    text=f"{ticket.restaurant_name} has not accepted order #{row.id}",
                    subject=subject,
                )
            )
        late_at = _kitchen_late_at(ticket, limits)
        if late_at is not None:
            alerts.append(
                Alert(
                    kind=AlertKind.KITCHEN_LATE,
                    at=late_at,
                    text=f"{ticket.restaurant_name} is late with order #{row.id}",
                    subject=subject,
                )
            )
    if row.courier_id is None and row.board_state is not BoardState.OUT:
        since = row.placed_at + limits.unassigned
        if row.deliver_at is not None:
            since = max(since, row.deliver_at - SCHEDULED_LEAD)
        why = (row.unplaced_reason or "not planned yet").replace("_", " ")
        alerts.append(
            Alert(
                kind=AlertKind.UNASSIGNED,
                at=since,
                text=f"Order #{row.id} has no courier: {why}",
                subject=subject,
            )
        )
    promise = row.promised_at
    eta = row.estimated_delivery_at
    alerts.append(
        Alert(
            kind=AlertKind.LATE,
            # An ETA past the promise holds at once; otherwise from the promise itself.
            at=row.placed_at if eta is not None and eta > promise else promise,
            text=f"Order #{row.id} is late against its promise",
            subject=subject,
        )
    )
    return alerts


def _kitchen_late_at(ticket: TicketRow, limits: AlertThresholds) -> datetime | None:
    if ticket.status is TicketStatus.ACCEPTED and ticket.start_cooking_at is not None:
        return ticket.start_cooking_at + limits.kitchen_late
    if ticket.status is TicketStatus.PREPARING and ticket.started_at is not None:
        return ticket.started_at + timedelta(minutes=ticket.prep_minutes) + limits.kitchen_late
    return None


def with_order_alerts(row: OrderRow, limits: AlertThresholds) -> OrderRow:
    return row.model_copy(update={"alerts": order_alerts(row, limits)})


def with_courier_alerts(row: CourierRow, limits: AlertThresholds) -> CourierRow:
    return row.model_copy(update={"alerts": courier_alerts(row, limits)})


def courier_alerts(row: CourierRow, limits: AlertThresholds) -> list[Alert]:
    if not row.on_shift or row.position_at is None:
        return []
    return [
        Alert(
            kind=AlertKind.STALE_POSITION,
            at=row.position_at + limits.stale_position,
            text=f"{row.name} has sent no position since {row.position_at:%H:%M}",
            subject=f"courier:{row.id}",
        )
    ]


def order_rows(session: Session, order_ids: Iterable[int]) -> list[OrderRow]:
    ids = sorted(set(order_ids))
    if not ids:
        return []
    orders = session.exec(select(Order).where(col(Order.id).in_(ids)).order_by(col(Order.id))).all()
    tickets: dict[int, list[Ticket]] = defaultdict(list)
    for ticket in session.exec(
        select(Ticket).where(col(Ticket.order_id).in_(ids)).order_by(col(Ticket.id))
    ):
        tickets[ticket.order_id].append(ticket)
    names = dict(
        session.exec(
            select(Restaurant.id, Restaurant.name).where(
                col(Restaurant.id).in_({t.restaurant_id for ts in tickets.values() for t in ts})
            )
        ).all()
    )
    holder = holders(session, ids)
    placed = {order.id: order.placed_at for order in orders}
    off_site: dict[int, list[OffSite]] = defaultdict(list)
    for stop in session.exec(
        select(Stop)
        .where(col(Stop.order_id).in_(ids), col(Stop.off_site_reason).is_not(None))
        .order_by(col(Stop.id))
    ):
        off_site[stop.order_id].append(
            OffSite(
                kind=stop.kind,
                metres=stop.off_site_m,
                reason=stop.off_site_reason or "",
                at=stop.done_at or stop.arrived_at or placed[stop.order_id],
            )
        )
    rows = []
    for order in orders:
        assert order.id is not None
        row = OrderRow(
            id=order.id,
            status=order.status,
            board_state=board_state(order.status, [t.status for t in tickets[order.id]]),
            destination_kind=order.destination_kind,
            address=order.address,
            lat=order.lat,
            lon=order.lon,
            placed_at=order.placed_at,
            deliver_at=order.deliver_at,
            promised_at=order.promised_at,
            estimated_delivery_at=order.estimated_delivery_at,
            delivered_at=order.delivered_at,
            total_cents=order.total_cents,
            courier_id=holder.get(order.id),
            pinned_courier_id=order.pinned_courier_id,
            unplaced_reason=order.unplaced_reason,
            off_site=off_site[order.id],
            tickets=[_ticket_row(t, names.get(t.restaurant_id, "")) for t in tickets[order.id]],
            alerts=[],
        )
        rows.append(row)
    return rows


def holders(session: Session, order_ids: Sequence[int]) -> dict[int, int]:
    """Per order, the courier whose open round holds its stops still to do."""
    if not order_ids:
        return {}
    return dict(
        session.exec(
            select(Stop.order_id, Round.courier_id)
            .join(Round, col(Round.id) == col(Stop.round_id))
            .where(
                col(Stop.order_id).in_(order_ids),
                col(Round.status).in_(OPEN_ROUND_STATES),
                col(Stop.done_at).is_(None),
            )
        ).all()
    )


def _ticket_row(ticket: Ticket, restaurant_name: str) -> TicketRow:
    assert ticket.id is not None
    return TicketRow(
        ticket_id=ticket.id,
        restaurant_id=ticket.restaurant_id,
        restaurant_name=restaurant_name,
        status=ticket.status,
        created_at=ticket.created_at,
        accepted_at=ticket.accepted_at,
        start_cooking_at=ticket.start_cooking_at,
        started_at=ticket.started_at,
        ready_at=ticket.ready_at,
        picked_up_at=ticket.picked_up_at,
        prep_minutes=ticket.prep_minutes,
    )


def courier_rows(session: Session, courier_ids: Iterable[int]) -> list[CourierRow]:
    ids = sorted(set(courier_ids))
    if not ids:
        return []
    couriers = session.exec(
        select(Courier).where(col(Courier.id).in_(ids)).order_by(col(Courier.id))
    ).all()
    zones = dict(
        session.exec(
            select(CourierShift.courier_id, CourierShift.zone).where(
                col(CourierShift.courier_id).in_(ids), col(CourierShift.ended_at).is_(None)
            )
        ).all()
    )
    stops: dict[int, list[NextStop]] = defaultdict(list)
    for stop, courier_id in session.exec(
        select(Stop, Round.courier_id)
        .join(Round, col(Round.id) == col(Stop.round_id))
        .where(
            col(Round.courier_id).in_(ids),
            col(Round.status).in_(OPEN_ROUND_STATES),
            col(Stop.done_at).is_(None),
        )
        .order_by(col(Round.id), col(Stop.position), col(Stop.id))
    ):
        assert stop.id is not None
        stops[courier_id].append(
            NextStop(
                stop_id=stop.id,
                kind=stop.kind,
                order_id=stop.order_id,
                lat=stop.lat,
                lon=stop.lon,
                eta=stop.eta,
            )
        )
    rows = []
    for courier in couriers:
        assert courier.id is not None
        row = CourierRow(
            id=courier.id,
            name=courier.name,
            vehicle=courier.vehicle,
            on_shift=courier.on_shift,
            lat=courier.lat,
            lon=courier.lon,
            position_at=courier.position_at,
            zone=zones.get(courier.id),
            bag_capacity=courier.bag_capacity,
            stops=stops[courier.id],
            alerts=[],
        )
        rows.append(row)
    return rows


def kitchen_rows(session: Session, restaurant_ids: Iterable[int] | None = None) -> list[KitchenRow]:
    """The kitchens named, or all of them."""
    query = select(Restaurant).order_by(col(Restaurant.id))
    if restaurant_ids is not None:
        ids = sorted(set(restaurant_ids))
        if not ids:
            return []
        query = query.where(col(Restaurant.id).in_(ids))
    restaurants = session.exec(query).all()
    counts: dict[tuple[int, TicketStatus], int] = {
        (restaurant_id, TicketStatus(status)): int(count)
        for restaurant_id, status, count in session.exec(
            select(Ticket.restaurant_id, Ticket.status, sa.func.count())
            .where(
                col(Ticket.restaurant_id).in_([r.id for r in restaurants]),
                col(Ticket.status).in_(OPEN_TICKET_STATES),
            )
            .group_by(col(Ticket.restaurant_id), col(Ticket.status))
        ).all()
    }
    rows = []
    for restaurant in restaurants:
        assert restaurant.id is not None
        open_tickets = sum(counts.get((restaurant.id, s), 0) for s in OPEN_TICKET_STATES)
        rows.append(
            KitchenRow(
                id=restaurant.id,
                name=restaurant.name,
                lat=restaurant.lat,
                lon=restaurant.lon,
                paused=restaurant.paused,
                busy_extra_minutes=restaurant.busy_extra_minutes,
                open_tickets=open_tickets,
                waiting_tickets=counts.get((restaurant.id, TicketStatus.NEW), 0),
            )
        )
    return rows


def operator_sequences(session: Session) -> dict[str, int]:
    """Each operator channel's last sequence number."""
    rows = session.exec(
        select(ChannelSequence).where(col(ChannelSequence.channel).in_(OPERATOR_CHANNELS))
    ).all()
    found = {row.channel: row.last_sequence for row in rows}
    return {channel: found.get(channel, 0) for channel in OPERATOR_CHANNELS}


OFF_SITE_REVIEW = timedelta(hours=12)
"""An order whose courier stepped away from a stop stays on the board this long, to review."""


def board(session: Session, limits: AlertThresholds, now: datetime) -> Board:
    """The whole board: open orders (and ended ones with a step to review), couriers on shift
    or with stops, every kitchen."""
    # The sequence first: an event committed while the rest is read is sent again, never lost.
    seqs = operator_sequences(session)
    to_review = (
        select(Stop.order_id)
        .where(
            col(Stop.off_site_reason).is_not(None),
            sa.func.coalesce(Stop.done_at, Stop.arrived_at) >= now - OFF_SITE_REVIEW,
        )
        .scalar_subquery()
    )
    open_orders = session.exec(
        select(Order.id).where(
            sa.or_(col(Order.status).in_(OPEN_ORDER_STATES), col(Order.id).in_(to_review))
        )
    ).all()
    couriers = session.exec(select(Courier.id).where(col(Courier.on_shift))).all()
    relays = session.exec(select(RelayPoint).order_by(col(RelayPoint.id))).all()
    return Board(
        seqs=seqs,
        orders=[
            with_order_alerts(row, limits)
            for row in order_rows(session, [i for i in open_orders if i is not None])
        ],
        couriers=[
            with_courier_alerts(row, limits)
            for row in courier_rows(session, [i for i in couriers if i is not None])
        ],
        kitchens=kitchen_rows(session),
        relay_points=[
            RelayRow(id=r.id, name=r.name, lat=r.lat, lon=r.lon, active=r.active)
            for r in relays
            if r.id is not None
        ],
    )


# -- Keeping it live ------------------------------------------------------------------------


@dataclass
class Touched:
    orders: set[int]
    couriers: set[int]
    kitchens: set[int]


def touched(session: Session) -> Touched:
    found: Touched | None = session.info.get(OPS_TOUCHED_KEY)
    if found is None:
        found = session.info[OPS_TOUCHED_KEY] = Touched(set(), set(), set())
    return found


def touch(
    session: Session,
    orders: Iterable[int] = (),
    couriers: Iterable[int] = (),
    kitchens: Iterable[int] = (),
) -> None:
    """Send these rows to the operator's board when the transaction commits."""
    seen = touched(session)
    seen.orders.update(orders)
    seen.couriers.update(couriers)
    seen.kitchens.update(kitchens)


def touch_from_event(session: Session, channel: str, payload: dict[str, Any]) -> None:
    """What an event is about, read from its channel and payload."""
    kind, _, ident = channel.partition(":")
    seen = touched(session)
    if kind == "restaurant" and ident.isdigit():
        seen.kitchens.add(int(ident))
    elif kind == "courier" and ident.isdigit():
        seen.couriers.add(int(ident))
    for key, into in (("order_id", seen.orders), ("courier_id", seen.couriers)):
        value = payload.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            into.add(value)


def touched_payload(session: Session) -> dict[str, list[int]] | None:
    """What this transaction touched, as the payload of one "board.touched" event, and
    forget it; None when nothing was."""
    seen: Touched | None = session.info.pop(OPS_TOUCHED_KEY, None)
    if seen is None or not (seen.orders or seen.couriers or seen.kitchens):
        return None
    return {
        "orders": sorted(seen.orders),
        "couriers": sorted(seen.couriers),
        "kitchens": sorted(seen.kitchens),
    }


def rows_for(session: Session, touched: dict[str, Any], limits: AlertThresholds) -> BoardRows:
    """The current rows of what one event touched (see rows_for_each)."""
    return rows_for_each(session, [touched], limits)[0]


def rows_for_each(
    session: Session, touched: list[dict[str, Any]], limits: AlertThresholds
) -> list[BoardRows]:
    """For each event's payload, the current rows of what it touched, with their alerts, all
    read at once; an order's courier and kitchens follow it (its stops moved, its tickets
    changed)."""
    orders = {
        row.id: with_order_alerts(row, limits)
        for row in order_rows(session, {i for t in touched for i in _ids(t, "orders")})
    }
    wanted = []
    for payload in touched:
        mine = [orders[i] for i in _ids(payload, "orders") if i in orders]
        couriers = set(_ids(payload, "couriers"))
        kitchens = set(_ids(payload, "kitchens"))
        for order in mine:
            if order.courier_id is not None:
                couriers.add(order.courier_id)
            kitchens.update(t.restaurant_id for t in order.tickets)
        wanted.append((mine, couriers, kitchens))
    couriers_read = {
        row.id: with_courier_alerts(row, limits)
        for row in courier_rows(session, {c for _, cs, _ in wanted for c in cs})
    }
    kitchens_read = {k.id: k for k in kitchen_rows(session, {k for _, _, ks in wanted for k in ks})}
    return [
        BoardRows(
            orders=mine,
            couriers=[couriers_read[c] for c in sorted(couriers) if c in couriers_read],
            kitchens=[kitchens_read[k] for k in sorted(kitchens) if k in kitchens_read],
        )
        for mine, couriers, kitchens in wanted
    ]


def _ids(touched: dict[str, Any], key: str) -> list[int]:
    values = touched.get(key, [])
    return [v for v in values if isinstance(v, int)] if isinstance(values, list) else []


def forget(session: Session) -> None:
    session.info.pop(OPS_TOUCHED_KEY, None)
