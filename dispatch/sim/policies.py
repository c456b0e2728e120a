"""The policies a simulated day can be run with: the real dispatcher and the greedy baseline.

The dispatcher policy turns the simulated state into the same `DispatchProblem` that
`chaud dispatcher run` builds from the database and calls the same `solve`, warm-started from
the routes the couriers have. The greedy policy is the first-come first-served baseline.
"""

import math
import time
from collections.abc import Sequence
from functools import partial

import numpy as np
from numpy.typing import NDArray

from dispatch.planning.intake import Bag, BagState, OnDuty, OpenOrder, Rules, dispatch_problem
from dispatch.planning.problem import DEFAULT_OBJECTIVE, Objective
from dispatch.planning.solver import DispatchPlan, DispatchProblem, PlannedStop, solve
from dispatch.planning.zones import (
    CURED_BY_A_COURIER,
    LEND_RESERVE,
    IdleCourier,
    ZoneMap,
    lending_moves,
    order_zone,
)
from dispatch.sim.engine import CourierRun, OrderSpec, PrepBelief, SimState, TicketSpec, World
from dispatch.sim.prep_beliefs import DeclaredPrep


def _local_problem(
    state: SimState,
    time_limit_cap_s: float,
    objective: Objective,
    prep: PrepBelief,
    orders_in: Sequence[OrderSpec] | None = None,
    couriers_in: Sequence[CourierRun] | None = None,
) -> tuple[DispatchProblem, list[int]] | None:
    """The state (or these of its orders and couriers: a zone's) told to the dispatcher as the
    worker tells it (planning.intake), on local place numbers (and their global ones)."""
    world, now = state.world, state.now
    couriers = list(state.on_duty() if couriers_in is None else couriers_in)
    if not couriers:
        return None
    carried_by = {t: c.spec.courier_id for c in couriers for t in c.carrying}
    planned_with = {
        s.ticket_id: c.spec.courier_id
        for c in couriers
        for s in c.route
        if s.kind == "pickup" and s.ticket_id is not None
    }
    orders: list[OpenOrder[int]] = [
        OpenOrder(
            order_id=order.order_id,
            door=order.door,
            placed_s=order.placed_s - now,
            promised_s=order.promised_s - now,
            bags=tuple(
                _bag(state, ticket, carried_by, planned_with, prep) for ticket in order.tickets
            ),
            freshness_s=order.freshness_s,
            hard_max_s=order.hard_max_s,
            slot_s=order.slot_s - now if order.slot_s is not None else None,
        )
        for order in (state.open_orders() if orders_in is None else orders_in)
    ]
    on_duty: list[OnDuty[int]] = [
        OnDuty(
            courier_id=c.spec.courier_id,
            place=c.place,
            available_s=c.free_s - now,
            shift_end_s=c.spec.off_s - now,
            capacity=max(c.spec.capacity, len(c.carrying)),
            profile=c.spec.profile,
        )
        for c in couriers
    ]
    rules = Rules(
        pickup_service_s=world.pickup_service_s,
        dropoff_service_s=world.dropoff_service_s,
        time_limit_cap_s=time_limit_cap_s,
        objective=objective,
        handover_s=world.pickup_handover_s,
        pickups_by_off_time=world.pickups_by_off_time,
        kitchens_cook_for_courier=world.fire_for_courier,
    )

    def matrices(places: list[int], profiles: set[str]) -> dict[str, NDArray[np.int64]]:
        return {p: world.travel.seconds(p, places) for p in profiles}

    return dispatch_problem(orders, on_duty, rules, matrices)


def _bag(
    state: SimState,
    ticket: TicketSpec,
    carried_by: dict[int, int],
    planned_with: dict[int, int],
    prep: PrepBelief,
) -> Bag[int]:
    """The ticket as the kitchen screen would show it."""
    picked = state.picked_s.get(ticket.ticket_id)
    if picked is not None:
        return Bag(
            ticket.ticket_id,
            ticket.restaurant,
            BagState.ON_BOARD,
            carrier=carried_by.get(ticket.ticket_id),
            collected_s=picked - state.now,
        )
    courier = planned_with.get(ticket.ticket_id)
    actual = state.ready_at(ticket)
    if actual is not None and actual <= state.now:
        return Bag(ticket.ticket_id, ticket.restaurant, BagState.READY, planned_with=courier)
    # Kitchens that cook for the courier wait to be told; the others cook from placement.
    told = not state.world.fire_for_courier or ticket.ticket_id in state.started_s
    return Bag(
        ticket.ticket_id,
        ticket.restaurant,
        BagState.COOKING if told else BagState.NOT_STARTED,
        ready_s=_expected_ready(state, ticket, prep) - state.now,
        planned_with=courier,
    )


def _expected_ready(state: SimState, ticket: TicketSpec, prep: PrepBelief) -> int:
    """When the dispatcher expects the bag: the estimate until the kitchen bumps it."""
    now = state.now
    actual = state.ready_at(ticket)
    if actual is not None and actual <= now:
        return now
    if state.world.fire_for_courier:
        started = state.started_s.get(ticket.ticket_id)
        # Not started yet: ready one cooking time after the kitchen is told to start.
        cooking = prep.estimate(state, ticket).median_s
        return max(now + 60, (started if started is not None else now) + cooking)
    return max(ticket.estimated_ready_s, now + 60)


class DispatcherPolicy:
    """The real dispatcher: every cycle, the whole state re-planned from the current routes."""

    name = "dispatcher"
    fires_kitchens = True
    plans_on_orders = True

    def __init__(
        self,
        time_limit_cap_s: float = 2.0,
        objective: Objective = DEFAULT_OBJECTIVE,
        prep: PrepBelief | None = None,
    ) -> None:
        self.time_limit_cap_s = time_limit_cap_s
        self.objective = objective
        self.prep: PrepBelief = prep or DeclaredPrep()

    def plan(self, state: SimState) -> dict[int, list[PlannedStop]] | None:
        planned = _plan(state, self.time_limit_cap_s, self.objective, self.prep)
        return None if planned is None else planned[0]


def _plan(
    state: SimState,
    time_limit_cap_s: float,
    objective: Objective,
    prep: PrepBelief,
    orders: Sequence[OrderSpec] | None = None,
    couriers: Sequence[CourierRun] | None = None,
) -> tuple[dict[int, list[PlannedStop]], DispatchPlan] | None:
    """The dispatcher's routes for these orders and couriers (all by default), warm-started
    from the couriers' routes; None when there is no courier or no plan."""
    built = _local_problem(state, time_limit_cap_s, objective, prep, orders, couriers)
    if built is None:
        return None
    problem, places = built
    local = {place: i for i, place in enumerate(places)}
    previous = DispatchPlan(
        {
            c.courier_id: [
                PlannedStop(s.kind, s.order_id, s.ticket_id, local.get(s.location, 0), 0)
                for s in state.couriers[c.courier_id].route
            ]
            for c in problem.couriers
        },
        [],
        0,
    )
    plan = solve(problem, warm_start=previous)
    if not plan.found:
        return None
    routes = {
        courier_id: [
            PlannedStop(s.kind, s.order_id, s.ticket_id, places[s.location], state.now + s.eta_s)
            for s in route
        ]
        for courier_id, route in plan.routes.items()
    }
    # Couriers no longer in the problem (off duty, empty) keep nothing planned.
    return routes, plan


class ZonedDispatcherPolicy:
    """A dispatcher per zone (dispatch.planning.zones): each cycle, every zone plans its own
    orders on its own couriers, after lending idle couriers by the worker's rule."""

    name = "zoned"
    fires_kitchens = True
    plans_on_orders = True

    def __init__(
        self,
        zones: ZoneMap,
        time_limit_cap_s: float = 2.0,
        objective: Objective = DEFAULT_OBJECTIVE,
        reserve: int = LEND_RESERVE,
        prep: PrepBelief | None = None,
    ) -> None:
        self.zones = zones
        self.prep: PrepBelief = prep or DeclaredPrep()
        self.time_limit_cap_s = time_limit_cap_s
        self.objective = objective
        self.reserve = reserve
        self.order_zone: dict[int, str] = {}
        self.courier_zone: dict[int, tuple[str, str]] = {}
        """Where each courier works now, and its home zone."""
        self.waiting: dict[str, list[int]] = {}
        """Per zone, its orders the last plan left waiting for a courier."""
        self.zone_seconds: list[dict[str, float]] = []
        """Per cycle, each zone's planning time: zones plan in processes of their own."""
        self.lent = 0

    def plan(self, state: SimState) -> dict[int, list[PlannedStop]] | None:
        points = state.world.points
        open_orders = state.open_orders()
        for order in open_orders:
            if order.order_id not in self.order_zone:
                kitchens = [self.zones.zone_of(*points[t.restaurant]) for t in order.tickets]
                self.order_zone[order.order_id] = order_zone(kitchens)
        on_duty = state.on_duty()
        for courier in on_duty:
            if courier.spec.courier_id not in self.courier_zone:
                zone = self.zones.zone_of(*points[courier.place])
                self.courier_zone[courier.spec.courier_id] = (zone, zone)
        self._lend(state, on_duty)
        routes: dict[int, list[PlannedStop]] = {}
        seconds: dict[str, float] = {}
        for zone in self.zones.names:
            orders = [o for o in open_orders if self.order_zone[o.order_id] == zone]
            couriers = [c for c in on_duty if self.courier_zone[c.spec.courier_id][0] == zone]
            began = time.perf_counter()
            planned = (
                _plan(state, self.time_limit_cap_s, self.objective, self.prep, orders, couriers)
                if orders and couriers
                else None
            )
            seconds[zone] = time.perf_counter() - began
            if planned is None:
                self.waiting[zone] = [o.order_id for o in orders] if not couriers else []
                continue
            zone_routes, plan = planned
            routes.update(zone_routes)
            self.waiting[zone] = sorted(
                o for o, why in plan.reasons.items() if why in CURED_BY_A_COURIER
            )
        self.zone_seconds.append(seconds)
        return routes

    def _lend(self, state: SimState, on_duty: Sequence[CourierRun]) -> None:
        """The worker's lending, zone by zone, from what each zone's last plan left waiting."""
        points = state.world.points
        first_kitchen = {o.order_id: points[o.tickets[0].restaurant] for o in state.open_orders()}
        idle_ids = {c.spec.courier_id for c in on_duty if not c.route and not c.carrying}
        places = {c.spec.courier_id: points[c.place] for c in on_duty}
        for zone in self.zones.names:
            waiting = [o for o in self.waiting.get(zone, []) if o in first_kitchen]
            idle = [
                (IdleCourier(c, self.courier_zone[c][0], places[c]), self.courier_zone[c][1])
                for c in sorted(idle_ids)
            ]
            moves = lending_moves(zone, [first_kitchen[o] for o in waiting], idle, self.reserve)
            for courier_id, (_, target) in moves.items():
                self.lent += target == zone  # borrowed here, not sent home from here
                self.courier_zone[courier_id] = (target, self.courier_zone[courier_id][1])


def _pickup_at(world: World, now: int, ticket: TicketSpec, courier: CourierRun) -> int:
    """When this courier could collect the ticket, setting off now."""
    ride = world.travel.ride(courier.spec.profile, courier.place, ticket.restaurant)
    handed_before = world.pickup_handover_s
    return max(max(courier.free_s, now) + ride + handed_before, ticket.estimated_ready_s)


class GreedyPolicy:
    """First come, first served: every `every_s`, each released order waiting for a courier
    goes to the idle courier with the earliest possible pickup, bundled with up to
    `bundle - 1` other waiting orders of the same single kitchen."""

    name = "greedy"
    fires_kitchens = False
    plans_on_orders = False  # every 5 minutes, as the baseline is defined
    prep: PrepBelief = DeclaredPrep()

    def __init__(self, every_s: int = 300, bundle: int = 3) -> None:
        self.every_s = every_s
        self.bundle = bundle
        self._next = -math.inf

    def plan(self, state: SimState) -> dict[int, list[PlannedStop]] | None:
        if state.now < self._next:
            return None
        self._next = state.now + self.every_s
        world, now = state.world, state.now
        planned = {s.order_id for c in state.couriers.values() for s in c.route} | {
            o for c in state.couriers.values() for o in c.carrying.values()
        }
        # A scheduled order waits until its first bag is due within the next round of plans.
        waiting = sorted(
            (
                o
                for o in state.open_orders()
                if o.order_id not in planned
                and (o.slot_s is None or o.tickets[0].estimated_ready_s <= now + self.every_s)
            ),
            key=lambda o: o.placed_s,
        )
        idle = [
            c
            for c in state.couriers.values()
            if not c.route and not c.carrying and c.spec.on_s <= now < c.spec.off_s
        ]
        routes: dict[int, list[PlannedStop]] = {}
        taken: set[int] = set()
        for order in waiting:
            if order.order_id in taken or not idle:
                continue
            first = order.tickets[0]

            in_time = [c for c in idle if _pickup_at(world, now, first, c) <= c.spec.off_s]
            if not in_time:
                continue
            courier = min(in_time, key=partial(_pickup_at, world, now, first))
            idle.remove(courier)
            group = [order]
            # Bundled bags are collected in the same visit, when each is ready: still before
            # the courier's shift ends.
            collected = _pickup_at(world, now, first, courier)
            if len(order.tickets) == 1:
                for other in waiting:
                    if len(group) >= min(self.bundle, courier.spec.capacity):
                        break
                    if (
                        other.order_id not in taken
                        and other is not order
                        and len(other.tickets) == 1
                        and other.tickets[0].restaurant == first.restaurant
                    ):
                        at = max(collected, other.tickets[0].estimated_ready_s)
                        if at <= courier.spec.off_s:
                            group.append(other)
                            collected = at
            taken |= {o.order_id for o in group}
            route = [
                PlannedStop("pickup", o.order_id, t.ticket_id, t.restaurant, 0)
                for o in group
                for t in o.tickets
            ]
            here = route[-1].location
            doors = list(group)
            while doors:
                nearest = min(
                    doors,
                    key=lambda o: world.travel.ride(courier.spec.profile, here, o.door),
                )
                doors.remove(nearest)
                route.append(PlannedStop("dropoff", nearest.order_id, None, nearest.door, 0))
                here = nearest.door
            routes[courier.spec.courier_id] = route
        return routes
