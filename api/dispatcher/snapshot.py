"""What the dispatcher plans from: open orders, couriers on shift and their current rounds.

Read in one transaction and turned into the solver's plain data, with times in seconds from
the snapshot's moment and places as indices into one list of map points.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from sqlmodel import Session, col, func, select

from api.models import (
    Courier,
    CourierShift,
    Dish,
    Order,
    OrderLine,
    OrderStatus,
    Round,
    Stop,
    StopKind,
    Ticket,
    TicketStatus,
)
from api.services.couriers import OPEN_ROUND_STATES
from api.services.orders import OPEN_TICKET_STATES
from api.services.views import restaurants_by_id
from dispatch.geo.geography import Geography
from dispatch.planning.problem import (
    DEFAULT_OBJECTIVE,
    CourierState,
    DispatchPlan,
    DispatchProblem,
    Objective,
    OrderTask,
    PickupTask,
    PlannedStop,
    closing_shift,
    hard_max_for,
    time_budget_s,
)

OPEN_ORDER_STATES = (
    OrderStatus.PLACED,
    OrderStatus.CONFIRMED,
    OrderStatus.IN_PREPARATION,
    OrderStatus.OUT_FOR_DELIVERY,
)
SCHEDULED_LOOKAHEAD_S = 75 * 60
"""A scheduled order is planned once its slot is this close; earlier plans would only churn."""
SCHEDULED_EARLY_S = 5 * 60
"""How early before its slot a scheduled order may arrive."""


@dataclass(frozen=True)
class DispatchRules:
    time_limit_s: float = 2.0
    pickup_service_s: int = 120
    dropoff_service_s: int = 120
    hard_max_s: int = 90 * 60
    objective: Objective = DEFAULT_OBJECTIVE


@dataclass
class Snapshot:
    now: datetime
    problem: DispatchProblem
    previous: DispatchPlan
    """The rounds as stored: the plan the solver starts from."""
    prep_s: dict[int, int] = field(default_factory=dict)
    """Per ticket, its planned cooking time."""
    unstarted: set[int] = field(default_factory=set)
    """Tickets the kitchen has not started: they get a start-cooking time."""
    onboard_orders: set[int] = field(default_factory=set)
    points: list[tuple[float, float]] = field(default_factory=list)
    """(lat, lon) of each location index."""


def seconds_from(now: datetime, moment: datetime) -> int:
    return round((moment - now).total_seconds())


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


def take_snapshot(
    session: Session, geography: Geography, rules: DispatchRules, now: datetime
) -> Snapshot:
    orders = session.exec(select(Order).where(col(Order.status).in_(OPEN_ORDER_STATES))).all()
    order_ids = [o.id for o in orders if o.id is not None]
    tickets = session.exec(
        select(Ticket).where(
            col(Ticket.order_id).in_(order_ids),
            col(Ticket.status).in_([*OPEN_TICKET_STATES, TicketStatus.PICKED_UP]),
        )
    ).all()
    kitchens = {
        r.id: (r.lat, r.lon) for r in restaurants_by_id(session, {t.restaurant_id for t in tickets})
    }
    freshness = freshness_by_order(session, order_ids)
    couriers = session.exec(
        select(Courier, CourierShift)
        .join(CourierShift, col(CourierShift.courier_id) == col(Courier.id))
        .where(
            col(Courier.on_shift),
            col(CourierShift.ended_at).is_(None),
            col(Courier.lat).is_not(None),
        )
        .order_by(col(Courier.id))
    ).all()
    open_stops = session.exec(
        select(Stop, Round.courier_id)
        .join(Round, col(Round.id) == col(Stop.round_id))
        .where(col(Round.status).in_(OPEN_ROUND_STATES), col(Stop.done_at).is_(None))
        .order_by(col(Round.courier_id), col(Stop.position))
    ).all()
    carried_by = dict(
        session.exec(
            select(Stop.ticket_id, Round.courier_id)
            .join(Round, col(Round.id) == col(Stop.round_id))
            .join(Ticket, col(Ticket.id) == col(Stop.ticket_id))
            .where(
                Stop.kind == StopKind.PICKUP,
                col(Stop.done_at).is_not(None),
                Ticket.status == TicketStatus.PICKED_UP,
                col(Ticket.order_id).in_(order_ids),
            )
        ).all()
    )

    places = _Places()
    tickets_by_order: dict[int, list[Ticket]] = defaultdict(list)
    for ticket in tickets:
        tickets_by_order[ticket.order_id].append(ticket)
    snapshot_prep: dict[int, int] = {}
    unstarted: set[int] = set()
    tasks: list[OrderTask] = []
    onboard_orders: set[int] = set()
    for order in orders:
        assert order.id is not None
        pickups: list[PickupTask] = []
        onboard: list[PickupTask] = []
        courier_id: int | None = None
        picked_moments: list[datetime] = []
        for ticket in tickets_by_order.get(order.id, []):
            assert ticket.id is not None
            prep_s = ticket.prep_minutes * 60
            snapshot_prep[ticket.id] = prep_s
            location = places.index(*kitchens[ticket.restaurant_id])
            if ticket.status is TicketStatus.PICKED_UP:
                courier_id = carried_by.get(ticket.id)
                onboard.append(PickupTask(ticket.id, location, 0))
                if ticket.picked_up_at is not None:
                    picked_moments.append(ticket.picked_up_at)
                continue
            cooking = True
            if ticket.status is TicketStatus.READY:
                ready_s = 0
            elif ticket.status is TicketStatus.PREPARING and ticket.started_at is not None:
                ready_s = max(0, seconds_from(now, ticket.started_at) + prep_s)
            else:
                # Not started: it can be ready one cooking time after the kitchen is told to.
                ready_s = prep_s
                unstarted.add(ticket.id)
                cooking = False
            pickups.append(PickupTask(ticket.id, location, ready_s, cooking=cooking))
        if not pickups and not onboard:
            continue
        if onboard and courier_id is None:
            continue  # picked up outside any round: nothing the dispatcher can plan
        slot_s = seconds_from(now, order.deliver_at) if order.deliver_at else None
        if slot_s is not None and slot_s > SCHEDULED_LOOKAHEAD_S and not onboard:
            continue
        placed_s = seconds_from(now, order.placed_at)
        tasks.append(
            OrderTask(
                order_id=order.id,
                pickups=tuple(pickups),
                dropoff_location=places.index(order.lat, order.lon),
                placed_s=placed_s,
                promised_s=max(0, seconds_from(now, order.promised_at)),
                freshness_s=freshness.get(order.id, 25 * 60),
                hard_max_s=hard_max_for(rules.hard_max_s, placed_s, slot_s),
                onboard=tuple(onboard),
                courier_id=courier_id if onboard else None,
                picked_up_s=seconds_from(now, min(picked_moments)) if picked_moments else None,
                earliest_s=max(0, slot_s - SCHEDULED_EARLY_S) if slot_s is not None else 0,
            )
        )
        if onboard:
            onboard_orders.add(order.id)

    onboard_bags: dict[int, int] = defaultdict(int)
    for task in tasks:
        if task.courier_id is not None:
            onboard_bags[task.courier_id] += sum(t.bags for t in task.onboard)
    locked: dict[int, tuple[str, int]] = {}
    previous_routes: dict[int, list[PlannedStop]] = defaultdict(list)
    for stop, courier_id in open_stops:
        kind = stop.kind.value
        ident = stop.ticket_id if stop.kind is StopKind.PICKUP else stop.order_id
        assert ident is not None
        locked.setdefault(courier_id, (kind, ident))
        previous_routes[courier_id].append(
            PlannedStop(
                "pickup" if stop.kind is StopKind.PICKUP else "dropoff",
                stop.order_id,
                stop.ticket_id,
                places.index(stop.lat, stop.lon),
                0,
            )
        )
    states: list[CourierState] = []
    for courier, shift in couriers:
        assert courier.id is not None
        assert courier.lat is not None
        assert courier.lon is not None
        carrying = onboard_bags.get(courier.id, 0)
        shift_end_s, takes_new = closing_shift(
            seconds_from(now, shift.planned_end_at), carrying > 0
        )
        states.append(
            CourierState(
                courier_id=courier.id,
                location=places.index(courier.lat, courier.lon),
                available_s=0,
                shift_end_s=shift_end_s,
                capacity=max(courier.bag_capacity, carrying),
                profile=shift.vehicle.value,
                locked_next=locked.get(courier.id),
                takes_new_orders=takes_new,
            )
        )

    travel = places.matrices(geography, {c.profile for c in states})
    # Food carried by a courier who is off shift cannot be planned (ending a shift while
    # carrying is refused; this only guards against data written by hand).
    on_shift = {c.courier_id for c in states}
    problem = DispatchProblem(
        travel_s=travel,
        orders=[t for t in tasks if t.courier_id is None or t.courier_id in on_shift],
        couriers=states,
        pickup_service_s=rules.pickup_service_s,
        dropoff_service_s=rules.dropoff_service_s,
        time_limit_s=time_budget_s(len(tasks), rules.time_limit_s),
        objective=rules.objective,
    )
    return Snapshot(
        now=now,
        problem=problem,
        previous=DispatchPlan(dict(previous_routes), [], 0),
        prep_s=snapshot_prep,
        unstarted=unstarted,
        onboard_orders=onboard_orders,
        points=places.points(),
    )


class _Places:
    """Every map point of the snapshot, numbered once."""

    def __init__(self) -> None:
        self._numbers: dict[tuple[float, float], int] = {}

    def index(self, lat: float, lon: float) -> int:
        return self._numbers.setdefault((lat, lon), len(self._numbers))

    def points(self) -> list[tuple[float, float]]:
        return list(self._numbers)

    def matrices(self, geography: Geography, profiles: set[str]) -> dict[str, NDArray[np.int64]]:
        points = list(self._numbers)
        lats, lons = [p[0] for p in points], [p[1] for p in points]
        return {profile: geography.ride_seconds(profile, lats, lons) for profile in profiles}
