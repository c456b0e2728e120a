"""What the dispatcher plans from: open orders, couriers on shift and their current rounds.

Read in one transaction and turned into the solver's plain data, with times in seconds from
the snapshot's moment and places as indices into one list of map points.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from sqlmodel import Session, col, select

from api.models import (
    OPEN_ORDER_STATES,
    OPEN_ROUND_STATES,
    OPEN_TICKET_STATES,
    Courier,
    CourierShift,
    Order,
    Round,
    Stop,
    StopKind,
    Ticket,
    TicketStatus,
)
from api.services import paces
from api.services.orders import freshness_by_order
from api.services.views import restaurants_by_id
from dispatch.geo.geography import Geography
from dispatch.planning.intake import Bag, BagState, OnDuty, OpenOrder, Rules, dispatch_problem
from dispatch.planning.prep import PrepEstimate
from dispatch.planning.problem import (
    DEFAULT_OBJECTIVE,
    DispatchPlan,
    DispatchProblem,
    Objective,
    PlannedStop,
)
from dispatch.planning.zones import WHOLE_CITY


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
    prep: dict[int, PrepEstimate] = field(default_factory=dict)
    """Per ticket, its planned cooking time (median and upper quantile)."""
    unstarted: set[int] = field(default_factory=set)
    """Tickets the kitchen has not started: they get a start-cooking time."""
    onboard_orders: set[int] = field(default_factory=set)
    points: list[tuple[float, float]] = field(default_factory=list)
    """(lat, lon) of each location index."""
    zone: str = WHOLE_CITY
    """The dispatch zone planned: its orders and the couriers working in it."""
    operator_versions: dict[int, int] = field(default_factory=dict)
    """Per order, its operator version as read: an order the operator stepped in on since is
    not written back from this plan."""


def seconds_from(now: datetime, moment: datetime) -> int:
    return round((moment - now).total_seconds())


LatLon = tuple[float, float]


def take_snapshot(
    session: Session,
    geography: Geography,
    rules: DispatchRules,
    now: datetime,
    zone: str = WHOLE_CITY,
) -> Snapshot:
    """The zone's open orders and couriers on shift, told to the dispatcher (planning.intake)."""
    on_duty, open_stops = _on_duty(session, now, zone)
    planned_with = {
        stop.ticket_id: courier_id
        for stop, courier_id in open_stops
        if stop.kind is StopKind.PICKUP and stop.ticket_id is not None
    }
    open_orders, prep, versions = _open_orders(session, rules, now, zone, planned_with)
    intake_rules = Rules(
        pickup_service_s=rules.pickup_service_s,
        dropoff_service_s=rules.dropoff_service_s,
        time_limit_cap_s=rules.time_limit_s,
        objective=rules.objective,
    )

    def matrices(places: list[LatLon], profiles: set[str]) -> dict[str, NDArray[np.int64]]:
        lats, lons = [p[0] for p in places], [p[1] for p in places]
        return {profile: geography.ride_seconds(profile, lats, lons) for profile in profiles}

    problem, places = dispatch_problem(open_orders, on_duty, intake_rules, matrices)
    number = {place: i for i, place in enumerate(places)}
    previous: dict[int, list[PlannedStop]] = defaultdict(list)
    for stop, courier_id in open_stops:
        previous[courier_id].append(
            PlannedStop(
                "pickup" if stop.kind is StopKind.PICKUP else "dropoff",
                stop.order_id,
                stop.ticket_id,
                number.get((stop.lat, stop.lon), 0),
                0,
            )
        )
    return Snapshot(
        now=now,
        problem=problem,
        previous=DispatchPlan(dict(previous), [], 0),
        prep=prep,
        unstarted={p.ticket_id for o in problem.orders for p in o.pickups if not p.cooking},
        onboard_orders={o.order_id for o in problem.orders if o.onboard},
        points=places,
        zone=zone,
        operator_versions=versions,
    )


def _open_orders(
    session: Session,
    rules: DispatchRules,
    now: datetime,
    zone: str,
    planned_with: dict[int, int],
) -> tuple[list[OpenOrder[LatLon]], dict[int, PrepEstimate], dict[int, int]]:
    """Every open order of the zone with its tickets still to collect or on board (and the
    courier whose round holds each pickup); each ticket's cooking time; each order's operator
    version."""
    orders = session.exec(
        select(Order).where(col(Order.status).in_(OPEN_ORDER_STATES), Order.zone == zone)
    ).all()
    order_ids = [o.id for o in orders if o.id is not None]
    tickets = session.exec(
        select(Ticket).where(
            col(Ticket.order_id).in_(order_ids),
            col(Ticket.status).in_([*OPEN_TICKET_STATES, TicketStatus.PICKED_UP]),
        )
    ).all()
    restaurants = restaurants_by_id(session, {t.restaurant_id for t in tickets})
    kitchens = {r.id: (r.lat, r.lon) for r in restaurants}
    prep = _cooking_times(session, tickets, {r.id: r.busy_extra_minutes for r in restaurants})
    freshness = freshness_by_order(session, order_ids)
    carried_by = {
        ticket_id: courier_id
        for ticket_id, courier_id in session.exec(
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
        if ticket_id is not None
    }
    tickets_by_order: dict[int, list[Ticket]] = defaultdict(list)
    for ticket in tickets:
        tickets_by_order[ticket.order_id].append(ticket)
    open_orders = [
        OpenOrder(
            order_id=order.id,
            door=(order.lat, order.lon),
            placed_s=seconds_from(now, order.placed_at),
            promised_s=seconds_from(now, order.promised_at),
            bags=tuple(
                replace(
                    _bag(ticket, kitchens[ticket.restaurant_id], carried_by, prep, now),
                    planned_with=planned_with.get(ticket.id) if ticket.id is not None else None,
                )
                for ticket in tickets_by_order.get(order.id, [])
            ),
            freshness_s=freshness.get(order.id, 25 * 60),
            hard_max_s=rules.hard_max_s,
            slot_s=seconds_from(now, order.deliver_at) if order.deliver_at else None,
            pinned_to=order.pinned_courier_id,
        )
        for order in orders
        if order.id is not None
    ]
    versions = {o.id: o.operator_version for o in orders if o.id is not None}
    return open_orders, prep, versions


def _on_duty(
    session: Session, now: datetime, zone: str
) -> tuple[list[OnDuty[LatLon]], list[tuple[Stop, int]]]:
    """The zone's couriers on shift with a position, and the stops of their open rounds in
    order."""
    couriers = session.exec(
        select(Courier, CourierShift)
        .join(CourierShift, col(CourierShift.courier_id) == col(Courier.id))
        .where(
            col(Courier.on_shift),
            col(CourierShift.ended_at).is_(None),
            CourierShift.zone == zone,
            col(Courier.lat).is_not(None),
        )
        .order_by(col(Courier.id))
    ).all()
    open_stops = session.exec(
        select(Stop, Round.courier_id)
        .join(Round, col(Round.id) == col(Stop.round_id))
        .where(
            col(Round.status).in_(OPEN_ROUND_STATES),
            col(Stop.done_at).is_(None),
            col(Round.courier_id).in_([courier.id for courier, _ in couriers]),
        )
        .order_by(col(Round.courier_id), col(Stop.position))
    ).all()
    locked: dict[int, tuple[str, int] | None] = {}
    for stop, courier_id in open_stops:
        ident = stop.ticket_id if stop.kind is StopKind.PICKUP else stop.order_id
        assert ident is not None
        # Committed to its next stop once it has set off for it (a pickup's set-off time is
        # planning.problem.sets_off_s, stored with the stop); until then it may be re-planned.
        set_off = stop.arrived_at is not None or stop.leave_at is None or stop.leave_at <= now
        locked.setdefault(courier_id, (stop.kind.value, ident) if set_off else None)
    on_duty = [
        OnDuty(
            courier_id=courier.id,
            place=(courier.lat, courier.lon),
            available_s=0,
            shift_end_s=seconds_from(now, shift.planned_end_at),
            capacity=courier.bag_capacity,
            profile=shift.vehicle.value,
            locked_next=locked.get(courier.id),
        )
        for courier, shift in couriers
        if courier.id is not None and courier.lat is not None and courier.lon is not None
    ]
    return on_duty, list(open_stops)


def _cooking_times(
    session: Session, tickets: Sequence[Ticket], busy_minutes: dict[int, int]
) -> dict[int, PrepEstimate]:
    """Each ticket's cooking time (paces.cooking_times), at its load when it started."""
    parts = {
        t.id: paces.Part(t.restaurant_id, paces.declared_s(t), t.load_at_start)
        for t in tickets
        if t.id is not None
    }
    return paces.cooking_times(session, parts, busy_minutes)


def _bag(
    ticket: Ticket,
    kitchen: tuple[float, float],
    carried_by: dict[int, int],
    prep: dict[int, PrepEstimate],
    now: datetime,
) -> Bag[tuple[float, float]]:
    """The ticket as its kitchen screen shows it."""
    assert ticket.id is not None
    if ticket.status is TicketStatus.PICKED_UP:
        collected = seconds_from(now, ticket.picked_up_at) if ticket.picked_up_at else None
        return Bag(
            ticket.id,
            kitchen,
            BagState.ON_BOARD,
            carrier=carried_by.get(ticket.id),
            collected_s=collected,
        )
    if ticket.status is TicketStatus.READY:
        return Bag(ticket.id, kitchen, BagState.READY)
    prep_s = prep[ticket.id].median_s
    if ticket.status is TicketStatus.PREPARING and ticket.started_at is not None:
        ready = seconds_from(now, ticket.started_at) + prep_s
        return Bag(ticket.id, kitchen, BagState.COOKING, ready_s=ready)
    # Not ready before it is due: a paced order is cooked for its quarter (api.services.pacing),
    # the others for the time their quote planned (by now, one cooking time away at most).
    due_s = seconds_from(now, ticket.due_at) if ticket.due_at is not None else 0
    return Bag(ticket.id, kitchen, BagState.NOT_STARTED, ready_s=max(prep_s, due_s))
