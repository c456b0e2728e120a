"""A service period in simulated time: orders arrive, kitchens cook, couriers ride, a policy plans.

Pure, like the solver: a World describes places, travel, orders and couriers; a Policy turns
the state at a cycle into routes; the engine rides those routes by the world's rules and
records what happened. The real dispatcher (`dispatch.solver.solve`, as `chaud dispatcher
run` calls it) is one policy; a first-come first-served greedy is the baseline.

Riding rules: a courier who has set off towards a stop is not diverted (the stop is done as
planned); a pickup starts at max(arrival, the bag really ready) and takes the pickup service
time; a drop-off takes the drop-off service time. Times are integer seconds.
"""

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from dispatch.solver import (
    CourierState,
    DispatchPlan,
    DispatchProblem,
    OrderTask,
    PickupTask,
    PlannedStop,
    solve,
)
from dispatch.solver_model import closing_shift, hard_max_for, time_budget_s

MAX_HOLD_S = 10 * 60
"""A kitchen told nothing starts cooking this long after the order anyway."""


@dataclass(frozen=True)
class TicketSpec:
    ticket_id: int
    restaurant: int
    """Place index of the kitchen."""
    estimated_ready_s: int
    """What the dispatcher is told (placement + prep estimate)."""
    ready_s: int
    """When the bag really is ready if cooked from placement (the estimate plus the kitchen's
    deviation)."""
    prep_s: int = 0
    """Cooking time, for kitchens that fire when the dispatcher says (World.fire_for_courier)."""


@dataclass(frozen=True)
class OrderSpec:
    order_id: int
    placed_s: int
    door: int
    tickets: tuple[TicketSpec, ...]
    promised_s: int
    freshness_s: int = 25 * 60
    hard_max_s: int = 90 * 60


@dataclass(frozen=True)
class CourierSpec:
    courier_id: int
    start: int
    on_s: int
    off_s: int
    capacity: int = 4
    profile: str = "bike"


class Travel(Protocol):
    def seconds(self, profile: str, places: Sequence[int]) -> NDArray[np.int64]:
        """Square matrix of ride times between these places."""
        ...

    def ride(self, profile: str, a: int, b: int) -> int:
        """Seconds from one place to another."""
        ...

    def metres(self, profile: str, a: int, b: int) -> float: ...


@dataclass(frozen=True)
class World:
    name: str
    travel: Travel
    orders: tuple[OrderSpec, ...]
    couriers: tuple[CourierSpec, ...]
    pickup_service_s: int = 120
    dropoff_service_s: int = 120
    pay_per_order: float = 0.0
    guaranteed_pay_per_hour: float = 0.0
    fire_for_courier: bool = False
    """Kitchens start cooking at the dispatcher's start-cooking time (pickup ETA - prep), or
    MAX_HOLD_S after placement when no courier is planned yet; otherwise at placement."""


@dataclass
class CourierRun:
    spec: CourierSpec
    place: int
    free_s: int
    route: list[PlannedStop] = field(default_factory=list)
    carrying: dict[int, int] = field(default_factory=dict)
    """Ticket id -> order id of the bags on board (or being collected by a committed stop)."""
    busy_s: int = 0
    metres: float = 0.0
    delivered: int = 0
    visited: list[int] = field(default_factory=list)
    log: list[tuple[str, int, int | None, int]] = field(default_factory=list)
    """(kind, order id, ticket id, moment) of every stop done, in order."""


@dataclass
class SimState:
    world: World
    now: int
    couriers: dict[int, CourierRun]
    released: dict[int, OrderSpec]
    picked_s: dict[int, int] = field(default_factory=dict)
    """Ticket id -> pickup moment (set when the courier sets off for it)."""
    picked_by: dict[int, int] = field(default_factory=dict)
    delivered_s: dict[int, int] = field(default_factory=dict)
    started_s: dict[int, int] = field(default_factory=dict)
    """Ticket id -> when the kitchen started cooking it (World.fire_for_courier)."""

    def ready_at(self, ticket: TicketSpec) -> int | None:
        """When the bag is really ready; None while its kitchen has not started."""
        if not self.world.fire_for_courier:
            return ticket.ready_s
        started = self.started_s.get(ticket.ticket_id)
        if started is None:
            return None
        deviation = ticket.ready_s - ticket.estimated_ready_s
        return max(started + 60, started + ticket.prep_s + deviation)

    def open_orders(self) -> list[OrderSpec]:
        return [o for o in self.released.values() if o.order_id not in self.delivered_s]

    def on_duty(self) -> list[CourierRun]:
        return [
            c
            for c in self.couriers.values()
            if c.spec.on_s <= self.now and (self.now < c.spec.off_s or c.carrying or c.route)
        ]


class Policy(Protocol):
    name: str
    fires_kitchens: bool
    """Its routes carry pickup ETAs that kitchens fire on (else kitchens cook at placement)."""

    def plan(self, state: SimState) -> dict[int, list[PlannedStop]] | None:
        """New routes for some couriers (others keep theirs), or None to keep every route."""
        ...


@dataclass
class SimulationResult:
    world: World
    policy: str
    state: SimState
    solve_seconds: list[float]
    wall_seconds: float


def _ticket_index(world: World) -> dict[int, tuple[OrderSpec, TicketSpec]]:
    return {t.ticket_id: (o, t) for o in world.orders for t in o.tickets}


def _ride(
    state: SimState, courier: CourierRun, tickets: dict[int, tuple[OrderSpec, TicketSpec]]
) -> None:
    """Set off for (and so commit to) every stop whose departure time has come."""
    world = state.world
    while courier.route and courier.free_s <= state.now:
        stop = courier.route.pop(0)
        ride = world.travel.ride(courier.spec.profile, courier.place, stop.location)
        arrival = courier.free_s + ride
        courier.metres += world.travel.metres(courier.spec.profile, courier.place, stop.location)
        if stop.kind == "pickup":
            assert stop.ticket_id is not None
            _, ticket = tickets[stop.ticket_id]
            if state.ready_at(ticket) is None:
                state.started_s[ticket.ticket_id] = arrival  # the courier is at the counter
            ready = state.ready_at(ticket)
            assert ready is not None
            done = max(arrival, ready) + world.pickup_service_s
            state.picked_s[ticket.ticket_id] = max(arrival, ready)
            courier.log.append(("pickup", stop.order_id, ticket.ticket_id, max(arrival, ready)))
            state.picked_by[ticket.ticket_id] = courier.spec.courier_id
            courier.carrying[ticket.ticket_id] = stop.order_id
        else:
            done = arrival + world.dropoff_service_s
            state.delivered_s[stop.order_id] = arrival
            courier.log.append(("dropoff", stop.order_id, None, arrival))
            courier.carrying = {t: o for t, o in courier.carrying.items() if o != stop.order_id}
            courier.delivered += 1
        courier.busy_s += done - courier.free_s
        courier.place = stop.location
        courier.free_s = done
        courier.visited.append(stop.location)


def simulate(
    world: World,
    policy: Policy,
    *,
    cycle_s: int = 60,
    horizon_after_last_order_s: int = 4 * 3600,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Run the world from its first event until every order is delivered (or the horizon)."""
    began = time.perf_counter()
    tickets = _ticket_index(world)
    start = min([o.placed_s for o in world.orders] + [c.on_s for c in world.couriers])
    last_order = max(o.placed_s for o in world.orders)
    state = SimState(
        world,
        start,
        {c.courier_id: CourierRun(c, c.start, c.on_s) for c in world.couriers},
        {},
    )
    pending = sorted(world.orders, key=lambda o: o.placed_s)
    solve_seconds: list[float] = []
    end = last_order + horizon_after_last_order_s
    while state.now <= end:
        while pending and pending[0].placed_s <= state.now:
            order = pending.pop(0)
            state.released[order.order_id] = order
            if world.fire_for_courier and not policy.fires_kitchens:
                for ticket in order.tickets:
                    state.started_s[ticket.ticket_id] = order.placed_s
        for courier in state.couriers.values():
            _ride(state, courier, tickets)
            if not courier.route and courier.free_s < state.now:
                # Waiting where it is: a stop given now is set off for now, not in the past.
                courier.free_s = max(state.now, courier.spec.on_s)
        if not pending and len(state.delivered_s) == len(world.orders):
            break
        if state.open_orders():
            planned_at = time.perf_counter()
            routes = policy.plan(state)
            solve_seconds.append(time.perf_counter() - planned_at)
            if routes is not None:
                for courier_id, route in routes.items():
                    state.couriers[courier_id].route = list(route)
            if world.fire_for_courier and policy.fires_kitchens:
                _fire_kitchens(state, tickets, cycle_s)
        if progress is not None:
            progress(state.now - start, end - start)
        state.now += cycle_s
    return SimulationResult(world, policy.name, state, solve_seconds, time.perf_counter() - began)


def _fire_kitchens(
    state: SimState, tickets: dict[int, tuple[OrderSpec, TicketSpec]], cycle_s: int
) -> None:
    """Kitchens start each ticket at its start-cooking time (pickup ETA - prep) if it falls
    before the next cycle; one with no courier planned starts once it has waited MAX_HOLD_S."""
    now = state.now
    planned: set[int] = set()
    for courier in state.couriers.values():
        for stop in courier.route:
            if stop.kind != "pickup" or stop.ticket_id in state.started_s:
                continue
            planned.add(stop.ticket_id or 0)
            assert stop.ticket_id is not None
            _, ticket = tickets[stop.ticket_id]
            start = stop.eta_s - ticket.prep_s
            if start < now + cycle_s:
                state.started_s[ticket.ticket_id] = max(now, start)
    for order in state.open_orders():
        for ticket in order.tickets:
            waiting = ticket.ticket_id not in state.started_s and ticket.ticket_id not in planned
            if waiting and now >= order.placed_s + MAX_HOLD_S:
                state.started_s[ticket.ticket_id] = now


def _local_problem(
    state: SimState, time_limit_cap_s: float, objective: str
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
    tasks = []
    for order in state.open_orders():
        pickups, onboard = [], []
        for ticket in order.tickets:
            if ticket.ticket_id in state.picked_s:
                onboard.append(PickupTask(ticket.ticket_id, local(ticket.restaurant), 0))
                continue
            ready = _expected_ready(state, ticket) - now
            pickups.append(PickupTask(ticket.ticket_id, local(ticket.restaurant), ready))
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
        shift_end, takes_new = closing_shift(courier.spec.off_s - now, bool(courier.carrying))
        states.append(
            CourierState(
                courier_id=courier.spec.courier_id,
                location=local(courier.place),
                available_s=max(0, courier.free_s - now),
                shift_end_s=shift_end,
                takes_new_orders=takes_new,
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

    def __init__(self, time_limit_cap_s: float = 2.0, objective: str = "promise") -> None:
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
    return max(max(courier.free_s, now) + ride, ticket.estimated_ready_s)


class GreedyPolicy:
    """First come, first served: every `every_s`, each released order waiting for a courier
    goes to the idle courier with the earliest possible pickup, bundled with up to
    `bundle - 1` other waiting orders of the same single kitchen."""

    name = "greedy"
    fires_kitchens = False

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
            # The counter takes one pickup service per bag: a bundled bag must still be
            # collected before the courier's shift ends.
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
                        at = max(
                            collected + world.pickup_service_s, other.tickets[0].estimated_ready_s
                        )
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


def check(result: SimulationResult) -> list[str]:
    """Everything the simulated day did against the rules; empty when it is feasible.

    Each order's bags collected by one courier, not before placement nor before they were
    ready, all before the door; never more bags than the courier's capacity; pickups within
    the courier's duty (on time to off time).
    """
    world, state = result.world, result.state
    orders = {o.order_id: o for o in world.orders}
    problems: list[str] = []
    for courier in state.couriers.values():
        spec, load = courier.spec, 0
        picked: dict[int, int] = {}
        for kind, order_id, ticket_id, moment in courier.log:
            order = orders[order_id]
            if kind == "pickup":
                assert ticket_id is not None
                ticket = next(t for t in order.tickets if t.ticket_id == ticket_id)
                load += 1
                picked[ticket_id] = moment
                ready = state.ready_at(ticket)
                if moment < order.placed_s or ready is None or moment < ready:
                    problems.append(f"courier {spec.courier_id}: ticket {ticket_id} taken early")
                if not spec.on_s <= moment <= spec.off_s:
                    problems.append(f"courier {spec.courier_id}: pickup off duty at {moment}")
                if load > spec.capacity:
                    problems.append(f"courier {spec.courier_id}: {load} bags at {moment}")
            else:
                missing = [t.ticket_id for t in order.tickets if t.ticket_id not in picked]
                if missing:
                    problems.append(f"order {order_id}: at the door without tickets {missing}")
                load -= len(order.tickets)
    for order in world.orders:
        takers = {state.picked_by.get(t.ticket_id) for t in order.tickets}
        if order.order_id in state.delivered_s and len(takers) != 1:
            problems.append(
                f"order {order.order_id}: split over couriers {sorted(map(str, takers))}"
            )
    return problems


def _percentile(values: Sequence[float], share: float) -> float | None:
    if not values:
        return None
    return float(np.percentile(np.asarray(values, dtype=float), share * 100))


def _minutes(value: float | None) -> float | None:
    return None if value is None else round(value / 60, 2)


def kpis(result: SimulationResult) -> dict[str, object]:
    """The service's figures: delivery times, food waiting, couriers' work and pay, solver time."""
    world, state = result.world, result.state
    delivered = [o for o in world.orders if o.order_id in state.delivered_s]
    click_to_door = [state.delivered_s[o.order_id] - o.placed_s for o in delivered]
    ready_to_door = [
        state.delivered_s[o.order_id] - max(state.ready_at(t) or 0 for t in o.tickets)
        for o in delivered
    ]
    ready_to_pickup = [
        state.picked_s[t.ticket_id] - (state.ready_at(t) or 0)
        for o in delivered
        for t in o.tickets
        if t.ticket_id in state.picked_s
    ]
    spreads = [
        max(state.picked_s[t.ticket_id] for t in o.tickets)
        - min(state.picked_s[t.ticket_id] for t in o.tickets)
        for o in delivered
        if len(o.tickets) > 1
    ]
    beyond_freshness = sum(
        1
        for o in delivered
        if any(
            state.delivered_s[o.order_id] - state.picked_s[t.ticket_id] > o.freshness_s
            for t in o.tickets
        )
    )
    duty_s = sum(max(0, c.spec.off_s - c.spec.on_s) for c in state.couriers.values())
    busy_s = sum(c.busy_s for c in state.couriers.values())
    metres = sum(c.metres for c in state.couriers.values())
    pay = sum(
        max(
            world.pay_per_order * c.delivered,
            world.guaranteed_pay_per_hour * max(0, c.spec.off_s - c.spec.on_s) / 3600,
        )
        for c in state.couriers.values()
    )
    count = len(world.orders)
    return {
        "orders": count,
        "delivered": len(delivered),
        "unassigned": count - len(delivered),
        "ctd_mean": _minutes(float(np.mean(click_to_door)) if click_to_door else None),
        "ctd_p90": _minutes(_percentile(click_to_door, 0.9)),
        "ctd_share_le_40": round(sum(v <= 40 * 60 for v in click_to_door) / count, 4),
        "ctd_share_gt_90": round(sum(v > 90 * 60 for v in click_to_door) / count, 4),
        "r2d_p50": _minutes(_percentile(ready_to_door, 0.5)),
        "r2d_p90": _minutes(_percentile(ready_to_door, 0.9)),
        "r2d_max": _minutes(max(ready_to_door) if ready_to_door else None),
        "r2p_mean": _minutes(float(np.mean(ready_to_pickup)) if ready_to_pickup else None),
        "r2p_p90": _minutes(_percentile(ready_to_pickup, 0.9)),
        "multi_kitchen_orders": len(spreads),
        "pickup_spread_mean": _minutes(float(np.mean(spreads)) if spreads else None),
        "pickup_spread_max": _minutes(max(spreads) if spreads else None),
        "beyond_freshness": beyond_freshness,
        "courier_utilisation": round(busy_s / duty_s, 4) if duty_s else None,
        "orders_per_courier_hour": round(len(delivered) / (duty_s / 3600), 3) if duty_s else None,
        "km_per_order": round(metres / 1000 / len(delivered), 3) if delivered else None,
        "pay_total": round(pay, 2),
        "pay_per_order": round(pay / len(delivered), 2) if delivered else None,
        "solver_p50_s": round(_percentile(result.solve_seconds, 0.5) or 0.0, 4),
        "solver_p95_s": round(_percentile(result.solve_seconds, 0.95) or 0.0, 4),
        "feasible": not check(result),
        "seconds": round(result.wall_seconds, 1),
    }
