"""A service period in simulated time: orders arrive, kitchens cook, couriers ride, a policy plans.

Pure, like the solver: a World describes places, travel, orders and couriers; a Policy turns
the state at a cycle into routes; the engine rides those routes by the world's rules and
records what happened. The policies are in `dispatch.sim.policies`, the KPIs and the checker
in `dispatch.sim.metrics`.

Riding rules: a courier sets off for a pickup just in time for its planned moment, for a door
as soon as it is free (planning.problem.sets_off_s); once it has set off towards a stop it is
not diverted (the stop is done as planned); a pickup hands the bag over at max(arrival, the
bag really ready) and takes the pickup service time, bags collected in a row at one counter
sharing one service; a drop-off takes the drop-off service time (World.split_service gives
MDRP's split services instead).
Times are integer seconds.
"""

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from dispatch.planning.firing import cooking_lead_s
from dispatch.planning.intake import door_opens_s, plans_from_s
from dispatch.planning.prep import PrepEstimate
from dispatch.planning.problem import PlannedStop, sets_off_s

MAX_HOLD_S = 10 * 60
"""A kitchen told nothing starts cooking this long after the order (a scheduled one: after the
dispatcher starts planning it) anyway."""
UNTOLD_SLOT_LEAD_S = 20 * 60
"""A kitchen that no dispatcher tells when to cook has a scheduled order ready this long
before its slot: time for a courier to collect it and ride."""


def untold_start_s(placed_s: int, slot_s: int | None, prep_s: int) -> int:
    """When a kitchen cooking on its own starts a ticket: at once, or for a scheduled slot."""
    if slot_s is None:
        return placed_s
    return max(placed_s, slot_s - UNTOLD_SLOT_LEAD_S - prep_s)


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
    """Declared cooking time, for kitchens that fire when the dispatcher says
    (World.fire_for_courier)."""
    luck: float = 0.0
    """This ticket's luck against its kitchen's true pace (World.paces), in standard
    deviations of its noise: 1.0 is a slow one, -1.0 a quick one."""


@dataclass(frozen=True)
class TruePace:
    """How a kitchen really cooks against what it declared (the simulated truth): `factor`
    times the declared time on a quiet night, slower by `per_open_ticket` for each other ticket
    it has cooking when it starts one, each ticket off by a log-normal luck of `noise`."""

    factor: float = 1.0
    per_open_ticket: float = 0.0
    noise: float = 0.0

    def real_s(self, declared_s: int, load: int, luck: float) -> int:
        """Seconds a ticket of this declared time takes at this load with this luck."""
        slower = 1 + self.per_open_ticket * load
        return max(60, round(declared_s * self.factor * slower * math.exp(self.noise * luck)))


@dataclass(frozen=True)
class OrderSpec:
    order_id: int
    placed_s: int
    door: int
    tickets: tuple[TicketSpec, ...]
    promised_s: int
    freshness_s: int = 25 * 60
    hard_max_s: int = 90 * 60
    slot_s: int | None = None
    """The delivery moment the customer chose; None: as soon as possible."""


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
    carts_refused: int = 0
    """Multi-kitchen carts the quote refused (too far apart to arrive hot together): those
    customers ordered from their first kitchen only."""
    split_service: bool = False
    """The bag changes hands halfway through the service (the MDRP rule): a pickup at
    max(ready, arrival + service/2), a drop-off at arrival + service/2. Otherwise a pickup
    at max(arrival, ready) and a drop-off on arrival, the service following."""
    pickups_by_off_time: bool = False
    """A courier must pick up before its off time but may deliver after it (the MDRP rule).
    Otherwise its whole route ends by the off time, except food already on board."""
    points: tuple[tuple[float, float], ...] = ()
    """(lat, lon) of each place, when the world is on a map (dispatch zones need it)."""
    paces: tuple[TruePace, ...] = ()
    """Each kitchen's true pace, by its place index, when kitchens fire for the courier;
    empty: a started ticket takes its declared time plus its drawn deviation
    (ready_s - estimated_ready_s)."""

    @property
    def pickup_handover_s(self) -> int:
        """How far into the pickup service the bag changes hands."""
        return self.pickup_service_s // 2 if self.split_service else 0

    @property
    def dropoff_handover_s(self) -> int:
        """How far into the drop-off service the bag changes hands."""
        return self.dropoff_service_s // 2 if self.split_service else 0


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
    legs: list[tuple[int, int, int]] = field(default_factory=list)
    """(departure moment, from place, to place) of every ride, in order."""
    counter_arrival_s: int | None = None
    """When it reached the counter it is at, while its last stop was a pickup there."""
    planned_since: dict[tuple[str, int, int | None], int] = field(default_factory=dict)
    """(kind, order id, ticket id) of each stop in its route -> since when it has been there
    without a break: the moment it was assigned."""
    assigned_s: dict[int, int] = field(default_factory=dict)
    """Ticket id -> when the courier was assigned the pickup it made."""


@dataclass
class SimState:
    world: World
    now: int
    couriers: dict[int, CourierRun]
    released: dict[int, OrderSpec]
    picked_s: dict[int, int] = field(default_factory=dict)
    """Ticket id -> pickup moment (set when the courier sets off for it)."""
    picked_by: dict[int, int] = field(default_factory=dict)
    arrived_s: dict[int, int] = field(default_factory=dict)
    """Ticket id -> when its courier reached the counter to collect it."""
    delivered_s: dict[int, int] = field(default_factory=dict)
    started_s: dict[int, int] = field(default_factory=dict)
    """Ticket id -> when the kitchen started cooking it (World.fire_for_courier)."""
    cooked_s: dict[int, int] = field(default_factory=dict)
    """Ticket id -> when its bag is really ready, set when its kitchen starts it."""
    load_at_start: dict[int, int] = field(default_factory=dict)
    """Ticket id -> the kitchen's other tickets cooking when it started."""
    _cooking: dict[int, list[int]] = field(default_factory=dict)
    """Kitchen place -> ids of its started tickets, for its load."""

    def ready_at(self, ticket: TicketSpec) -> int | None:
        """When the bag is really ready; None while its kitchen has not started."""
        if not self.world.fire_for_courier:
            return ticket.ready_s
        return self.cooked_s.get(ticket.ticket_id)

    def load(self, kitchen: int, moment: int) -> int:
        """The kitchen's tickets started by this moment and not ready at it."""
        started = self._cooking.get(kitchen, [])
        return sum(self.started_s[t] <= moment < self.cooked_s[t] for t in started)

    def start(self, ticket: TicketSpec, moment: int) -> None:
        """The kitchen starts cooking the ticket at this moment: when it will be ready follows
        from its true pace at its load then (or its drawn deviation)."""
        load = self.load(ticket.restaurant, moment)
        if self.world.paces:
            pace = self.world.paces[ticket.restaurant]
            cooked = moment + pace.real_s(ticket.prep_s, load, ticket.luck)
        else:
            deviation = ticket.ready_s - ticket.estimated_ready_s
            cooked = max(moment + 60, moment + ticket.prep_s + deviation)
        self.started_s[ticket.ticket_id] = moment
        self.cooked_s[ticket.ticket_id] = cooked
        self.load_at_start[ticket.ticket_id] = load
        self._cooking.setdefault(ticket.restaurant, []).append(ticket.ticket_id)

    def open_orders(self) -> list[OrderSpec]:
        return [o for o in self.released.values() if o.order_id not in self.delivered_s]

    def on_duty(self) -> list[CourierRun]:
        return [
            c
            for c in self.couriers.values()
            if c.spec.on_s <= self.now and (self.now < c.spec.off_s or c.carrying or c.route)
        ]


class PrepBelief(Protocol):
    """What a policy believes a ticket's cooking time is (declared, learned or the truth)."""

    name: str

    def estimate(self, state: "SimState", ticket: TicketSpec) -> PrepEstimate:
        """The ticket's cooking time: at its load when it started, or at its kitchen's load now
        when not started yet."""
        ...

    def learn(self, state: "SimState") -> None:
        """Take in the tickets that have become ready by now."""
        ...


class Promiser(Protocol):
    """The platform's quote: what time an order as soon as possible is promised when placed."""

    def promise(self, state: "SimState", order: OrderSpec) -> int:
        """The promised delivery moment of an order placed now, from the state as it is."""
        ...


class Policy(Protocol):
    name: str
    fires_kitchens: bool
    """Its routes carry pickup ETAs that kitchens fire on (else kitchens cook at placement)."""
    prep: PrepBelief
    """Its cooking times, read for the start-cooking times it gives kitchens."""
    plans_on_orders: bool
    """It also plans the moment an order arrives, when asked (else only on its own rhythm)."""

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
        at_counter = courier.counter_arrival_s is not None and stop.location == courier.place
        if stop.kind == "pickup" and at_counter:
            # Another bag at the counter it is at: the same visit, one service.
            assert courier.counter_arrival_s is not None
            arrival = courier.counter_arrival_s
        else:
            ride = world.travel.ride(courier.spec.profile, courier.place, stop.location)
            leave = sets_off_s(stop.kind, stop.eta_s, ride, courier.free_s)
            if leave > state.now:
                courier.route.insert(0, stop)  # not set off yet: free to be planned otherwise
                return
            arrival = leave + ride
            courier.metres += world.travel.metres(
                courier.spec.profile, courier.place, stop.location
            )
            courier.legs.append((leave, courier.place, stop.location))
        if stop.kind == "pickup":
            assert stop.ticket_id is not None
            _, ticket = tickets[stop.ticket_id]
            if state.ready_at(ticket) is None:
                state.start(ticket, arrival)  # the courier is at the counter
            ready = state.ready_at(ticket)
            assert ready is not None
            handed_before = world.pickup_handover_s
            assigned = courier.planned_since.get(("pickup", stop.order_id, ticket.ticket_id), 0)
            moment = max(arrival + handed_before, ready, assigned)
            if not at_counter:
                # Not before the planned moment either: the plan may hold a bag back so that
                # the food collected after it reaches the door within its freshness limit. (A
                # bag of the visit under way goes with it; a re-plan counts that visit over.)
                moment = max(moment, stop.eta_s + handed_before)
            done = max(courier.free_s, moment + world.pickup_service_s - handed_before)
            state.picked_s[ticket.ticket_id] = moment
            state.arrived_s[ticket.ticket_id] = arrival
            courier.log.append(("pickup", stop.order_id, ticket.ticket_id, moment))
            courier.assigned_s[ticket.ticket_id] = assigned
            state.picked_by[ticket.ticket_id] = courier.spec.courier_id
            courier.carrying[ticket.ticket_id] = stop.order_id
            courier.counter_arrival_s = arrival
        else:
            slot = state.released[stop.order_id].slot_s
            # A scheduled order is not handed over before its door opens: the courier waits.
            at_door = arrival if slot is None else max(arrival, door_opens_s(slot))
            moment = at_door + world.dropoff_handover_s
            done = at_door + world.dropoff_service_s
            state.delivered_s[stop.order_id] = moment
            courier.log.append(("dropoff", stop.order_id, None, moment))
            courier.carrying = {t: o for t, o in courier.carrying.items() if o != stop.order_id}
            courier.delivered += 1
            courier.counter_arrival_s = None
        courier.busy_s += done - courier.free_s
        courier.place = stop.location
        courier.free_s = done
        courier.visited.append(stop.location)


def _assign(courier: CourierRun, route: Sequence[PlannedStop], now: int) -> None:
    courier.route = list(route)
    keys = [(s.kind, s.order_id, s.ticket_id) for s in route]
    courier.planned_since = {key: courier.planned_since.get(key, now) for key in keys}


def simulate(
    world: World,
    policy: Policy,
    *,
    cycle_s: int = 60,
    plan_on_orders: bool = False,
    horizon_after_last_order_s: int = 4 * 3600,
    progress: Callable[[int, int], None] | None = None,
    promiser: Promiser | None = None,
) -> SimulationResult:
    """Run the world from its first event until every order is delivered (or the horizon).

    The policy plans every cycle_s and, with plan_on_orders, also the moment an order arrives
    (as `chaud dispatcher run` does on a new order's event) if it is a policy that does. With a
    promiser, an order as soon as possible is promised what it quotes when it is placed (else
    its world's promise).
    """
    plan_on_orders = plan_on_orders and policy.plans_on_orders
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
            if promiser is not None and order.slot_s is None:
                order = replace(order, promised_s=promiser.promise(state, order))
            state.released[order.order_id] = order
            if world.fire_for_courier and not policy.fires_kitchens:
                for ticket in order.tickets:
                    state.start(ticket, untold_start_s(order.placed_s, order.slot_s, ticket.prep_s))
        for courier in state.couriers.values():
            _ride(state, courier, tickets)
            if not courier.route and courier.free_s < state.now:
                # Waiting where it is: a stop given now is set off for now, not in the past.
                courier.free_s = max(state.now, courier.spec.on_s)
        if not pending and len(state.delivered_s) == len(world.orders):
            break
        if state.open_orders():
            if policy.fires_kitchens:
                policy.prep.learn(state)
            planned_at = time.perf_counter()
            routes = policy.plan(state)
            solve_seconds.append(time.perf_counter() - planned_at)
            if routes is not None:
                for courier_id, route in routes.items():
                    _assign(state.couriers[courier_id], route, state.now)
            if world.fire_for_courier and policy.fires_kitchens:
                _fire_kitchens(state, tickets, cycle_s, policy.prep)
        if progress is not None:
            progress(state.now - start, end - start)
        next_cycle = state.now + cycle_s - (state.now - start) % cycle_s
        arrival = pending[0].placed_s if plan_on_orders and pending else next_cycle
        state.now = min(next_cycle, max(arrival, state.now + 1))
    return SimulationResult(world, policy.name, state, solve_seconds, time.perf_counter() - began)


def _fire_kitchens(
    state: SimState,
    tickets: dict[int, tuple[OrderSpec, TicketSpec]],
    cycle_s: int,
    prep: PrepBelief,
) -> None:
    """Kitchens start each ticket at its start-cooking time (see planning.firing) if it falls
    before the next cycle; one with no courier planned starts once it has waited MAX_HOLD_S."""
    now = state.now
    planned: set[int] = set()
    for courier in state.couriers.values():
        collected = set(courier.carrying.values())
        for stop in courier.route:
            if stop.kind != "pickup":
                continue
            joins = stop.order_id in collected
            collected.add(stop.order_id)
            if stop.ticket_id in state.started_s:
                continue
            planned.add(stop.ticket_id or 0)
            assert stop.ticket_id is not None
            _, ticket = tickets[stop.ticket_id]
            start = stop.eta_s - cooking_lead_s(prep.estimate(state, ticket), joins)
            if start < now + cycle_s:
                state.start(ticket, max(now, start))
    for order in state.open_orders():
        held_from = order.placed_s
        if order.slot_s is not None:
            held_from = max(held_from, plans_from_s(order.slot_s))
        for ticket in order.tickets:
            waiting = ticket.ticket_id not in state.started_s and ticket.ticket_id not in planned
            if waiting and now >= held_from + MAX_HOLD_S:
                state.start(ticket, now)
