"""The evening's report, from the real data: the simulator's KPI definitions, one code for both.

A period is local dates [start, end] (both included) in the alliance's time zone; an order
belongs to it by when it was placed.
"""

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from statistics import mean
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from api.errors import InvalidInput
from api.models import (
    ARRIVED_ORDER_STATES,
    Courier,
    CourierShift,
    Order,
    OrderStatus,
    Restaurant,
    Round,
    Stop,
    StopKind,
    Ticket,
    TicketStatus,
)
from api.schemas.reports import CourierFigures, HourFigures, KitchenFigures, Report, Trouble
from api.services import paces
from api.services.hours import bounds
from api.services.orders import freshness_by_order
from api.services.paces import declared_s
from dispatch.planning.prep import Pace
from dispatch.sim.metrics import Delivered, delivery_kpis

MAX_DAYS = 92
"""The longest period one report covers."""


def open_bounds(
    start: date | None, end: date | None, timezone: str
) -> tuple[datetime | None, datetime | None]:
    """A period of local dates, either end open, as UTC bounds (the end exclusive); `to`
    before `from` is refused."""
    if start is not None and end is not None and end < start:
        raise InvalidInput([{"field": "to", "reason": "must not be before from"}])
    return (
        bounds(start, start, timezone)[0] if start is not None else None,
        bounds(end, end, timezone)[1] if end is not None else None,
    )


def _seconds(moment: datetime, origin: datetime) -> int:
    return round((moment - origin).total_seconds())


def delivered_records(
    orders: Sequence[Order], tickets: dict[int, list[Ticket]], freshness: dict[int, int]
) -> list[Delivered]:
    """Delivered orders as the KPIs read them: seconds from the period's first order."""
    done = [o for o in orders if o.status in ARRIVED_ORDER_STATES and o.delivered_at]
    if not done:
        return []
    origin = min(o.placed_at for o in done)
    records = []
    for order in done:
        assert order.id is not None
        assert order.delivered_at is not None
        bags = [t for t in tickets[order.id] if t.picked_up_at is not None]
        records.append(
            Delivered(
                placed_s=_seconds(order.placed_at, origin),
                delivered_s=_seconds(order.delivered_at, origin),
                ready_s=tuple(_seconds(t.ready_at or t.picked_up_at, origin) for t in bags),  # type: ignore[arg-type]
                picked_s=tuple(_seconds(t.picked_up_at, origin) for t in bags),  # type: ignore[arg-type]
                freshness_s=freshness.get(order.id, 25 * 60),
                slot_s=_seconds(order.deliver_at, origin) if order.deliver_at else None,
                promised_s=_seconds(order.promised_at, origin),
            )
        )
    return records


def report(session: Session, start: date, end: date, timezone: str) -> Report:
    begin, finish = bounds(start, end, timezone)
    orders = session.exec(
        select(Order)
        .where(col(Order.placed_at) >= begin, col(Order.placed_at) < finish)
        .order_by(col(Order.placed_at))
    ).all()
    ids = [o.id for o in orders if o.id is not None]
    tickets: dict[int, list[Ticket]] = defaultdict(list)
    for ticket in session.exec(select(Ticket).where(col(Ticket.order_id).in_(ids))).all():
        tickets[ticket.order_id].append(ticket)
    names = dict(session.exec(select(Restaurant.id, Restaurant.name)).all())
    records = delivered_records(orders, tickets, freshness_by_order(session, ids))
    asap = sum(1 for o in orders if o.deliver_at is None and o.status is not OrderStatus.CANCELLED)
    zone = ZoneInfo(timezone)
    return Report(
        start=start,
        end=end,
        orders=len(orders),
        delivered=len(records),
        cancelled=sum(1 for o in orders if o.status is OrderStatus.CANCELLED),
        revenue_cents=sum(o.total_cents for o in orders if o.status is not OrderStatus.CANCELLED),
        kpis=delivery_kpis(records, asap),
        hours=_hours(orders, zone),
        kitchens=_kitchens(orders, tickets, names, paces.paces(session, _kitchen_ids(tickets))),
        couriers=_couriers(session, begin, finish, orders),
        troubles=_troubles(orders, tickets, names, zone),
    )


def _hours(orders: Sequence[Order], zone: ZoneInfo) -> list[HourFigures]:
    count: Counter[int] = Counter()
    revenue: Counter[int] = Counter()
    for order in orders:
        hour = order.placed_at.astimezone(zone).hour
        count[hour] += 1
        if order.status is not OrderStatus.CANCELLED:
            revenue[hour] += order.total_cents
    return [HourFigures(hour=h, orders=count[h], revenue_cents=revenue[h]) for h in sorted(count)]


def _kitchen_ids(tickets: dict[int, list[Ticket]]) -> set[int]:
    return {t.restaurant_id for kept in tickets.values() for t in kept}


def _kitchens(
    orders: Sequence[Order],
    tickets: dict[int, list[Ticket]],
    names: dict[int | None, str],
    learned: dict[int, Pace],
) -> list[KitchenFigures]:
    mine: dict[int, list[Ticket]] = defaultdict(list)
    for order in orders:
        for ticket in tickets[order.id or 0]:
            mine[ticket.restaurant_id].append(ticket)
    figures = []
    for restaurant_id, kept in sorted(mine.items()):
        accepted = [
            (t.accepted_at - t.created_at).total_seconds() / 60 for t in kept if t.accepted_at
        ]
        cooked = [t for t in kept if t.started_at and t.ready_at]
        live = [t for t in kept if t.status not in (TicketStatus.REFUSED, TicketStatus.CANCELLED)]
        figures.append(
            KitchenFigures(
                restaurant_id=restaurant_id,
                name=names.get(restaurant_id, ""),
                tickets=len(kept),
                refused=sum(1 for t in kept if t.status is TicketStatus.REFUSED),
                revenue_cents=sum(t.subtotal_cents for t in live),
                accept_minutes_mean=round(mean(accepted), 2) if accepted else None,
                prep_minutes_mean=(
                    round(mean((t.ready_at - t.started_at).total_seconds() / 60 for t in cooked), 2)  # type: ignore[operator]
                    if cooked
                    else None
                ),
                declared_prep_minutes_mean=(
                    round(mean(declared_s(t) / 60 for t in cooked), 2) if cooked else None
                ),
                planned_prep_minutes_mean=(
                    round(mean(t.prep_minutes for t in cooked), 2) if cooked else None
                ),
                learned_factor=round(learned[restaurant_id].factor(0), 2),
                learned_per_open_ticket=round(learned[restaurant_id].per_open_ticket, 3),
                learned_tickets=learned[restaurant_id].tickets,
            )
        )
    return figures


def _couriers(
    session: Session, begin: datetime, finish: datetime, orders: Sequence[Order]
) -> list[CourierFigures]:
    """Hours on shift within the period; orders delivered, per hour of shift; utilisation: the
    share of those hours spent riding a round (from its first arrival to its last stop)."""
    shifts = session.exec(
        select(CourierShift, Courier.name)
        .join(Courier, col(Courier.id) == col(CourierShift.courier_id))
        .where(col(CourierShift.started_at) < finish)
        .where((col(CourierShift.ended_at).is_(None)) | (col(CourierShift.ended_at) > begin))
    ).all()
    hours: dict[int, float] = defaultdict(float)
    named: dict[int, str] = {}
    now = min(finish, max((o.placed_at for o in orders), default=begin) + timedelta(hours=2))
    for shift, name in shifts:
        ends = shift.ended_at or now
        seconds = (min(ends, finish) - max(shift.started_at, begin)).total_seconds()
        hours[shift.courier_id] += max(0.0, seconds) / 3600
        named[shift.courier_id] = name
    delivered: Counter[int] = Counter()
    riding: dict[int, float] = defaultdict(float)
    stops: dict[int, list[Stop]] = defaultdict(list)
    rows = session.exec(
        select(Stop, Round.courier_id)
        .join(Round, col(Round.id) == col(Stop.round_id))
        .where(col(Stop.done_at) >= begin, col(Stop.done_at) < finish)
    ).all()
    for stop, courier_id in rows:
        stops[stop.round_id].append(stop)
        delivered[courier_id] += stop.kind is StopKind.DROPOFF
    courier_of_round = {stop.round_id: courier_id for stop, courier_id in rows}
    for round_id, done in stops.items():
        began = min((s.arrived_at or s.done_at) for s in done)  # type: ignore[type-var]
        ended = max(s.done_at for s in done)  # type: ignore[type-var]
        riding[courier_of_round[round_id]] += (ended - began).total_seconds() / 3600  # type: ignore[operator]
    return [
        CourierFigures(
            courier_id=c,
            name=named[c],
            shift_hours=round(h, 2),
            delivered=delivered[c],
            orders_per_hour=round(delivered[c] / h, 2) if h else None,
            utilisation=round(min(1.0, riding[c] / h), 3) if h else None,
        )
        for c, h in sorted(hours.items())
    ]


def _troubles(
    orders: Sequence[Order],
    tickets: dict[int, list[Ticket]],
    names: dict[int | None, str],
    zone: ZoneInfo,
) -> list[Trouble]:
    """Late and cancelled orders, with their causes."""
    found = []
    for order in orders:
        assert order.id is not None
        if order.status is OrderStatus.CANCELLED:
            refused = [t for t in tickets[order.id] if t.refuse_reason]
            cause = order.cancel_reason or "; ".join(
                f"{names.get(t.restaurant_id, '')}: {t.refuse_reason}" for t in refused
            )
            fault = order.cancel_fault.value if order.cancel_fault else None
            found.append(Trouble(order_id=order.id, kind="cancelled", cause=cause, fault=fault))
        elif order.delivered_at and order.delivered_at > order.promised_at:
            late = round((order.delivered_at - order.promised_at).total_seconds() / 60, 1)
            promise = f"{order.promised_at.astimezone(zone):%H:%M}"
            cause = f"{late} min past the promise of {promise}"
            found.append(Trouble(order_id=order.id, kind="late", cause=cause))
    return found


ORDER_COLUMNS = (
    "order_id",
    "status",
    "placed_at",
    "promised_at",
    "delivered_at",
    "click_to_door_min",
    "kitchens",
    "total_cents",
    "cancel_reason",
    "cancel_fault",
)


def orders_csv(session: Session, start: date, end: date, timezone: str) -> str:
    """One line per order of the period, for a spreadsheet."""
    begin, finish = bounds(start, end, timezone)
    orders = session.exec(
        select(Order)
        .where(col(Order.placed_at) >= begin, col(Order.placed_at) < finish)
        .order_by(col(Order.placed_at))
    ).all()
    ids = [o.id for o in orders if o.id is not None]
    kitchens: dict[int, list[str]] = defaultdict(list)
    for order_id, name in session.exec(
        select(Ticket.order_id, Restaurant.name)
        .join(Restaurant, col(Restaurant.id) == col(Ticket.restaurant_id))
        .where(col(Ticket.order_id).in_(ids))
    ).all():
        kitchens[order_id].append(name)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ORDER_COLUMNS)
    zone = ZoneInfo(timezone)
    for order in orders:
        delivered = order.delivered_at
        writer.writerow(
            [
                order.id,
                order.status.value,
                order.placed_at.astimezone(zone).isoformat(timespec="seconds"),
                order.promised_at.astimezone(zone).isoformat(timespec="seconds"),
                delivered.astimezone(zone).isoformat(timespec="seconds") if delivered else "",
                round((delivered - order.placed_at).total_seconds() / 60, 1) if delivered else "",
                "; ".join(sorted(kitchens[order.id or 0])),
                order.total_cents,
                order.cancel_reason or "",
                order.cancel_fault.value if order.cancel_fault else "",
            ]
        )
    return out.getvalue()
