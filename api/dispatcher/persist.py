"""Writing a plan back: rounds, stops and ETAs, start-cooking times, and who must hear of it.

The solver ran outside any transaction, so the world may have moved meanwhile (a stop done,
an order cancelled, a ticket refused). Orders whose state changed are left as they are and
planned again next cycle. A stop keeps its row (and id) while it moves between positions or
couriers, so a courier's screen never loses the stop it is looking at, and the unique
indexes on stops make "one order, one courier" hold in the database itself.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.db import for_update
from api.dispatcher.snapshot import Snapshot
from api.models import (
    OPEN_ORDER_STATES,
    OPEN_ROUND_STATES,
    OPEN_TICKET_STATES,
    Courier,
    CourierShift,
    Order,
    Round,
    RoundStatus,
    Stop,
    StopKind,
    Ticket,
    TicketStatus,
)
from api.services.couriers import close_if_done
from api.services.ops_board import touch
from api.services.outbox import (
    BOARD_TOUCHED,
    Event,
    courier_channel,
    order_channel,
    publish_all,
    restaurant_channel,
)
from dispatch.planning.firing import cooking_lead_s
from dispatch.planning.problem import DispatchPlan, OrderTask, PlannedStop, sets_off_s

ETA_CHANGE_S = 60
"""Smaller moves of an ETA are not worth a message to a kitchen, a courier or a customer."""
DISPATCHER_EVENT_KINDS = frozenset({"round.updated", "ticket.scheduled", "order.eta", "plan.made"})
NOT_NEWS = DISPATCHER_EVENT_KINDS | {BOARD_TOUCHED}
"""Events that do not call for a new plan: the dispatcher's own, and the operator board's
(every commit's, the dispatcher's and a courier's position included, are named there too)."""

StopKey = tuple[str, int]


@dataclass(frozen=True)
class PersistReport:
    couriers_told: int
    tickets_scheduled: int
    orders_updated: int


def _key(kind: str, order_id: int, ticket_id: int | None) -> StopKey:
    return (kind, ticket_id) if kind == StopKind.PICKUP.value and ticket_id else (kind, order_id)


def _moved(old: datetime | None, new: datetime | None) -> bool:
    if old is None or new is None:
        return old is not new
    return abs((new - old).total_seconds()) >= ETA_CHANGE_S


def persist_plan(
    session: Session, snapshot: Snapshot, plan: DispatchPlan, version: int
) -> PersistReport:
    """Write the plan in the caller's transaction; the caller commits."""
    now = snapshot.now
    planned_orders = {o.order_id for o in snapshot.problem.orders}
    # Locks in the service's one order (couriers, then orders, then tickets, each by id): a
    # courier's or kitchen's move waits for the write-back, or the write-back for it, and what
    # is checked below is what is written.
    mine = [c.courier_id for c in snapshot.problem.couriers]
    couriers = session.exec(
        for_update(select(Courier).where(col(Courier.id).in_(mine)).order_by(col(Courier.id)))
    ).all()
    orders = {
        o.id: o
        for o in session.exec(
            for_update(
                select(Order).where(col(Order.id).in_(planned_orders)).order_by(col(Order.id))
            )
        ).all()
    }
    tickets = {
        t.id: t
        for t in session.exec(
            for_update(
                select(Ticket)
                .where(col(Ticket.order_id).in_(planned_orders))
                .order_by(col(Ticket.id))
            )
        ).all()
    }
    # Read under the couriers' locks: a courier lent to another zone while this one solved
    # (planning.zones) is no longer this zone's to plan.
    in_zone = set(
        session.exec(
            select(CourierShift.courier_id).where(
                col(CourierShift.courier_id).in_(mine),
                col(CourierShift.ended_at).is_(None),
                CourierShift.zone == snapshot.zone,
            )
        ).all()
    )
    working = {courier.id for courier in couriers if courier.on_shift and courier.id in in_zone}
    expected_pickups = {
        o.order_id: {p.ticket_id for p in o.pickups} for o in snapshot.problem.orders
    }
    # Still as the solver saw it: open, not stepped in on by the operator since, and every
    # ticket to collect still waiting for a courier.
    unchanged = {
        order_id
        for order_id in planned_orders
        if order_id in orders
        and orders[order_id].status in OPEN_ORDER_STATES
        and orders[order_id].operator_version == snapshot.operator_versions.get(order_id, 0)
        and all(
            t in tickets and tickets[t].status in OPEN_TICKET_STATES
            for t in expected_pickups[order_id]
        )
    }
    # This zone's rounds, and wherever its orders' stops are (a shift ended under them):
    # another zone's stops are that zone's dispatcher's to move.
    rows = session.exec(
        select(Stop, Round)
        .join(Round, col(Round.id) == col(Stop.round_id))
        .where(
            col(Round.status).in_(OPEN_ROUND_STATES),
            sa.or_(col(Round.courier_id).in_(mine), col(Stop.order_id).in_(planned_orders)),
        )
    ).all()
    rounds: dict[int, Round] = {}
    undone: dict[StopKey, Stop] = {}
    last_done_position: dict[int, int] = defaultdict(lambda: -1)
    for stop, holder in rows:
        assert holder.id is not None
        rounds[holder.courier_id] = holder
        if stop.done_at is None:
            undone[_key(stop.kind.value, stop.order_id, stop.ticket_id)] = stop
        else:
            last_done_position[holder.id] = max(last_done_position[holder.id], stop.position)
    for empty in session.exec(
        select(Round).where(
            col(Round.status).in_(OPEN_ROUND_STATES), col(Round.courier_id).in_(mine)
        )
    ):
        rounds.setdefault(empty.courier_id, empty)
    stop_owner = {key: stop.round_id for key, stop in undone.items()}
    courier_of_round = {r.id: courier for courier, r in rounds.items()}

    events: list[Event] = []
    told: set[int] = set()
    pickup_eta: dict[int, datetime] = {}
    door_eta: dict[int, datetime] = {}
    for courier_id, route in plan.routes.items():
        wanted = [s for s in route if s.order_id in unchanged]
        round_ = rounds.get(courier_id)
        if not wanted or courier_id not in working:  # a shift that ended while solving
            continue
        if round_ is None:
            round_ = Round(courier_id=courier_id, status=RoundStatus.PLANNED, created_at=now)
            session.add(round_)
            session.flush()
            rounds[courier_id] = round_
        assert round_.id is not None
        round_.plan_version = version
        round_.updated_at = now
        session.add(round_)
        changed = False
        sets_off = _sets_off(snapshot, courier_id, route)
        for offset, planned in enumerate(wanted):
            position = last_done_position[round_.id] + 1 + offset
            eta = now + timedelta(seconds=planned.eta_s)
            leave_s = sets_off.get(_key(planned.kind, planned.order_id, planned.ticket_id))
            leave_at = now + timedelta(seconds=leave_s) if leave_s is not None else None
            key = _key(planned.kind, planned.order_id, planned.ticket_id)
            existing = undone.pop(key, None)
            if existing is None:
                stop = _new_stop(snapshot, round_.id, position, planned, eta)
                changed = True
            else:
                stop = existing
                if stop.round_id != round_.id:
                    previous = courier_of_round.get(stop.round_id)
                    if previous is not None:
                        told.add(previous)
                changed |= (
                    stop.round_id != round_.id or stop.position != position or _moved(stop.eta, eta)
                )
                stop.round_id, stop.position, stop.eta = round_.id, position, eta
            stop.leave_at = leave_at
            session.add(stop)
            if planned.kind == StopKind.PICKUP.value and planned.ticket_id is not None:
                pickup_eta[planned.ticket_id] = eta
            else:
                door_eta[planned.order_id] = eta
        if changed:
            told.add(courier_id)

    # Stops no longer in the plan: their order is gone, or waits for the next cycle. Food on
    # board is never unplanned, and orders that changed under the solver keep their stops.
    for key, stop in undone.items():
        if stop.order_id in unchanged and stop.order_id in snapshot.onboard_orders:
            continue
        if stop.order_id in planned_orders and stop.order_id not in unchanged:
            continue
        owner = courier_of_round.get(stop_owner[key])
        if owner is not None:
            told.add(owner)
        session.delete(stop)
    session.flush()
    _close_empty_rounds(session, list(rounds.values()), now)

    _note_unplaced(session, plan, unchanged, orders)
    scheduled = _schedule_tickets(snapshot, tickets, unchanged, pickup_eta, now, events)
    updated = 0
    for order_id, eta in door_eta.items():
        order = orders[order_id]
        if _moved(order.estimated_delivery_at, eta):
            order.estimated_delivery_at = eta
            session.add(order)
            updated += 1
            events.append(
                (
                    order_channel(order_id),
                    "order.eta",
                    {"order_id": order_id, "estimated_delivery_at": eta.isoformat()},
                )
            )
    for courier_id in sorted(told):
        current = rounds.get(courier_id)
        events.append(
            (
                courier_channel(courier_id),
                "round.updated",
                {"courier_id": courier_id, "round_id": current.id if current else None},
            )
        )
    for ticket in scheduled:
        session.add(ticket)
    publish_all(session, events)
    session.flush()
    return PersistReport(len(told), len(scheduled), updated)


def _note_unplaced(
    session: Session, plan: DispatchPlan, unchanged: set[int], orders: dict[int | None, Order]
) -> None:
    """Each order's reason for waiting, as this plan gives it (None once it is placed)."""
    left_out = set(plan.unassigned)
    for order_id in sorted(unchanged):
        order = orders[order_id]
        reason = None
        if order_id in left_out:
            why = plan.reasons.get(order_id)
            reason = why.value if why is not None else "not_planned"
        if order.unplaced_reason != reason:
            order.unplaced_reason = reason
            session.add(order)
            touch(session, orders=[order_id])


def _sets_off(snapshot: Snapshot, courier_id: int, route: list[PlannedStop]) -> dict[StopKey, int]:
    """When the courier sets off for each pickup of its route (seconds from the snapshot):
    just in time for its planned moment, from where it is or from the stop before."""
    courier = next((c for c in snapshot.problem.couriers if c.courier_id == courier_id), None)
    if courier is None:
        return {}
    travel = snapshot.problem.travel_s[courier.profile]
    here, free = courier.location, courier.available_s
    times: dict[StopKey, int] = {}
    for planned in route:
        ride = int(travel[here, planned.location])
        if planned.kind == StopKind.PICKUP.value:
            times[_key(planned.kind, planned.order_id, planned.ticket_id)] = sets_off_s(
                planned.kind, planned.eta_s, ride, free
            )
        here, free = planned.location, planned.eta_s
    return times


def _new_stop(
    snapshot: Snapshot, round_id: int, position: int, planned: PlannedStop, eta: datetime
) -> Stop:
    lat, lon = snapshot.points[planned.location]
    return Stop(
        round_id=round_id,
        position=position,
        kind=StopKind(planned.kind),
        order_id=planned.order_id,
        ticket_id=planned.ticket_id if planned.kind == StopKind.PICKUP.value else None,
        lat=lat,
        lon=lon,
        eta=eta,
    )


def _close_empty_rounds(session: Session, rounds: list[Round], now: datetime) -> None:
    for round_ in rounds:
        if round_.id is not None:
            close_if_done(session, round_, now)
    session.flush()


def _schedule_tickets(
    snapshot: Snapshot,
    tickets: dict[int | None, Ticket],
    unchanged: set[int],
    pickup_eta: dict[int, datetime],
    now: datetime,
    events: list[Event],
) -> list[Ticket]:
    """Pickup ETAs, and start-cooking times for tickets not yet started: fire for the courier."""
    changed = []
    for task in snapshot.problem.orders:
        if task.order_id not in unchanged:
            continue
        for pickup in task.pickups:
            ticket = tickets[pickup.ticket_id]
            eta = pickup_eta.get(pickup.ticket_id)
            start = ticket.start_cooking_at
            if pickup.ticket_id in snapshot.unstarted and ticket.status in (
                TicketStatus.NEW,
                TicketStatus.ACCEPTED,
            ):
                start = (
                    _start_cooking_at(snapshot, task, pickup.ticket_id, pickup_eta, now)
                    if eta is not None
                    else None
                )
            if not (_moved(ticket.pickup_eta, eta) or _moved(ticket.start_cooking_at, start)):
                continue
            ticket.pickup_eta, ticket.start_cooking_at = eta, start
            changed.append(ticket)
            events.append(
                (
                    restaurant_channel(ticket.restaurant_id),
                    "ticket.scheduled",
                    {
                        "ticket_id": ticket.id,
                        "order_id": ticket.order_id,
                        "start_cooking_at": start.isoformat() if start else None,
                        "pickup_eta": eta.isoformat() if eta else None,
                    },
                )
            )
    return changed


def _start_cooking_at(
    snapshot: Snapshot,
    task: OrderTask,
    ticket_id: int,
    pickup_eta: dict[int, datetime],
    now: datetime,
) -> datetime:
    """The planned pickup less the prep time and a margin (planning.firing), not before now."""
    eta = pickup_eta[ticket_id]
    joins = bool(task.onboard) or any(
        other.ticket_id != ticket_id
        and other.ticket_id in pickup_eta
        and pickup_eta[other.ticket_id] < eta
        for other in task.pickups
    )
    return max(now, eta - timedelta(seconds=cooking_lead_s(snapshot.prep[ticket_id], joins)))
