"""The policies a simulated day can be run with: the real dispatcher and the greedy baseline.

The dispatcher policy turns the simulated state into the same `DispatchProblem` that
`chaud dispatcher run` builds from the database and calls the same `solve`, warm-started from
the routes the couriers have. The greedy policy is the first-come first-served baseline.
"""

import math
from functools import partial

from dispatch.planning.problem import (
    CARRYING_SHIFT_GRACE_S,
    DEFAULT_OBJECTIVE,
    Objective,
    closing_shift,
    hard_max_for,
    time_budget_s,
)
from dispatch.planning.solver import (
    CourierState,
    DispatchPlan,
    DispatchProblem,
    OrderTask,
    PickupTask,
    PlannedStop,
    solve,
)
from dispatch.sim.engine import CourierRun, SimState, TicketSpec, World


def _local_problem(
    state: SimState, time_limit_cap_s: float, objective: Objective
) -> tuple[DispatchProblem, list[int]] | None:
    """The state as the dispatcher's problem, on local place numbers (and their global ones)."""
    world, now = state.world, state.now
    couriers = state.on_duty()
    if not couriers:
        return None
    places: dict[int, int] = {}

    def local(place: int) -> int:
        return places.setdefault(place, len(places))

    carried_by = {t: c.spec.courier_id for c in couriers for t in c.carrying}
    handed_before = world.pickup_handover_s
    tasks = []
    for order in state.open_orders():
        pickups, onboard = [], []
        for ticket in order.tickets:
            if ticket.ticket_id in state.picked_s:
                onboard.append(PickupTask(ticket.ticket_id, local(ticket.restaurant), 0))
                continue
            # The solver's pickup starts the service: with a split service the bag changes
            # hands half of it later.
            ready = _expected_ready(state, ticket) - now - handed_before
            cooking = not world.fire_for_courier or ticket.ticket_id in state.started_s
            pickups.append(
                PickupTask(ticket.ticket_id, local(ticket.restaurant), ready, cooking=cooking)
            )
        carrier = next(
            (carried_by[t.ticket_id] for t in onboard if t.ticket_id in carried_by), None
        )
        if onboard and carrier is None:
            continue
        placed = order.placed_s - now
        picked = [state.picked_s[t.ticket_id] - now for t in onboard]
        tasks.append(
            OrderTask(
                order_id=order.order_id,
                pickups=tuple(pickups),
                dropoff_location=local(order.door),
                placed_s=placed,
                promised_s=max(0, order.promised_s - now),
                freshness_s=order.freshness_s,
                hard_max_s=hard_max_for(order.hard_max_s, placed),
                onboard=tuple(onboard),
                courier_id=carrier,
                picked_up_s=min(picked) if picked else None,
            )
        )
    states = []
    for courier in couriers:
        off = courier.spec.off_s - now
        last_pickup: int | None = None
        if world.pickups_by_off_time:
            shift_end, takes_new = off + CARRYING_SHIFT_GRACE_S, off > 0
            last_pickup = off - handed_before
        else:
            shift_end, takes_new = closing_shift(off, bool(courier.carrying))
        states.append(
            CourierState(
                courier_id=courier.spec.courier_id,
                location=local(courier.place),
                available_s=max(0, courier.free_s - now),
                shift_end_s=shift_end,
                takes_new_orders=takes_new,
                last_pickup_s=last_pickup,
                capacity=max(courier.spec.capacity, len(courier.carrying)),
                profile=courier.spec.profile,
            )
        )
    ordered = sorted(places, key=places.__getitem__)
    travel = {p: world.travel.seconds(p, ordered) for p in {c.profile for c in states}}
    problem = DispatchProblem(
        travel,
        tasks,
        states,
        pickup_service_s=world.pickup_service_s,
        dropoff_service_s=world.dropoff_service_s,
        time_limit_s=time_budget_s(len(tasks), time_limit_cap_s),
        objective=objective,
    )
    return problem, ordered


def _expected_ready(state: SimState, ticket: TicketSpec) -> int:
    """When the dispatcher expects the bag: the estimate until the kitchen bumps it."""
    now = state.now
    actual = state.ready_at(ticket)
    if actual is not None and actual <= now:
        return now
    if state.world.fire_for_courier:
        started = state.started_s.get(ticket.ticket_id)
        # Not started yet: ready one cooking time after the kitchen is told to start.
        return max(now + 60, (started if started is not None else now) + ticket.prep_s)
    return max(ticket.estimated_ready_s, now + 60)


class DispatcherPolicy:
    """The real dispatcher: every cycle, the whole state re-planned from the current routes."""

    name = "dispatcher"
    fires_kitchens = True
    plans_on_orders = True

    def __init__(
        self, time_limit_cap_s: float = 2.0, objective: Objective = DEFAULT_OBJECTIVE
    ) -> None:
        self.time_limit_cap_s = time_limit_cap_s
        self.objective = objective

    def plan(self, state: SimState) -> dict[int, list[PlannedStop]] | None:
        built = _local_problem(state, self.time_limit_cap_s, self.objective)
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
                PlannedStop(
                    s.kind, s.order_id, s.ticket_id, places[s.location], state.now + s.eta_s
                )
                for s in route
            ]
            for courier_id, route in plan.routes.items()
        }
        # Couriers no longer in the problem (off duty, empty) keep nothing planned.
        return routes


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
        waiting = sorted(
            (o for o in state.open_orders() if o.order_id not in planned),
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
