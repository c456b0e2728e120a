"""A `DispatchProblem` as the arrays both planners read: our search (rounds) and the
OR-Tools model (solver). Every bound a rule needs is computed here, once.
"""

from dataclasses import dataclass, replace
from itertools import permutations
from typing import Final

import numpy as np

from dispatch.planning import rounds as rr
from dispatch.planning.problem import (
    DROP_PENALTY,
    WAITING_FOOD_COST_PER_S,
    DispatchPlan,
    DispatchProblem,
    Objective,
    OrderTask,
    PlannedStop,
    Unplaced,
    committed_couriers,
    door_deadline,
    ride_limit,
    soft_due,
)

PERMUTED_KITCHENS: Final = 4
"""Orders from up to this many kitchens have their pickups tried in every order; beyond, in
the order given (24 orders of four already, and carts of five kitchens are rare)."""
NEIGHBOURS: Final = 48


@dataclass(frozen=True)
class Layout:
    """The arrays, and how their indices map back to the problem's ids."""

    arrays: rr.Problem
    problem: DispatchProblem
    """The problem with each order's freshness narrowed to its ride limit (see ride_limit)."""
    ticket_of_stop: list[int]
    """Per stop, its ticket (-1 for a door)."""
    stop_of_ticket: dict[int, int]
    door_of_order: dict[int, int]
    index_of_order: dict[int, int]
    index_of_courier: dict[int, int]
    profiles: list[str]


def door_copies(order: OrderTask, objective: Objective) -> int:
    """How many nodes an order's door takes in the OR-Tools model: one per ticket (pickup
    pairs and bags on board), and more when the door has more soft bounds than that."""
    return max(len(order.pickups) + len(order.onboard), len(soft_due(order, objective)))


def layout(problem: DispatchProblem) -> Layout:
    """The problem as arrays; ``problem.couriers`` must not be empty."""
    problem = replace(
        problem,
        orders=[
            replace(o, freshness_s=ride_limit(o, problem.travel_s, problem.pickup_service_s))
            for o in problem.orders
        ],
    )
    orders, couriers = list(problem.orders), list(problem.couriers)
    profiles = sorted({c.profile for c in couriers})
    index_of_courier = {c.courier_id: v for v, c in enumerate(couriers)}
    committed = committed_couriers(problem)
    stops: list[tuple[int, int, int]] = []  # (kind, order index, ticket id or -1)
    ticket_of_stop: list[int] = []
    widest = max((len(o.pickups) for o in orders), default=0)
    pickups = np.zeros((len(orders), max(1, widest)), dtype=np.int64)
    door = np.zeros(len(orders), dtype=np.int64)
    for x, order in enumerate(orders):
        for k, ticket in enumerate(order.pickups):
            pickups[x, k] = len(stops)
            stops.append((0, x, ticket.ticket_id))
            ticket_of_stop.append(ticket.ticket_id)
        door[x] = len(stops)
        stops.append((1, x, -1))
        ticket_of_stop.append(-1)
    n = len(stops)
    location = np.zeros(n, dtype=np.int64)
    is_door = np.array([s[0] for s in stops], dtype=np.int64)
    order_of_stop = np.array([s[1] for s in stops], dtype=np.int64)
    ready = np.zeros(n, dtype=np.int64)
    cooking = np.zeros(n, dtype=np.int64)
    bags = np.zeros(n, dtype=np.int64)
    earliest = np.zeros(n, dtype=np.int64)
    deadline = np.full(n, rr.NEVER, dtype=np.int64)
    due = np.full((n, 2), rr.NEVER, dtype=np.int64)
    due_cost = np.zeros((n, 2), dtype=np.int64)
    freshness = np.full(n, rr.NEVER, dtype=np.int64)
    for x, order in enumerate(orders):
        for k, ticket in enumerate(order.pickups):
            s = int(pickups[x, k])
            location[s], ready[s], bags[s] = ticket.location, ticket.ready_s, ticket.bags
            cooking[s] = int(ticket.cooking)
        s = int(door[x])
        last = door_deadline(order)
        location[s] = order.dropoff_location
        earliest[s] = min(order.earliest_s, last)
        if not order.onboard:  # carried food is delivered however late (see soft_due)
            deadline[s] = last
        for b, (when, cost_per_s) in enumerate(soft_due(order, problem.objective)):
            due[s, b], due_cost[s, b] = when, cost_per_s
        freshness[s] = order.freshness_s
        bags[s] = sum(t.bags for t in (*order.pickups, *order.onboard))
    on_board = {c.courier_id: 0 for c in couriers}
    for order in orders:
        if order.courier_id is not None:
            on_board[order.courier_id] += sum(t.bags for t in order.onboard)
    stop_of_ticket = {t: s for s, t in enumerate(ticket_of_stop) if t >= 0}
    door_of_order = {o.order_id: int(door[x]) for x, o in enumerate(orders)}
    bound_pickups = any(c.last_pickup_s is not None for c in couriers)
    arrays = rr.Problem(
        travel=np.stack([np.asarray(problem.travel_s[p], dtype=np.int64) for p in profiles]),
        location=location,
        is_door=is_door,
        order=order_of_stop,
        ready=ready,
        cooking=cooking,
        bags=bags,
        earliest=earliest,
        deadline=deadline,
        due=due,
        due_cost=due_cost,
        freshness=freshness,
        pickups=pickups,
        pickup_count=np.array([len(o.pickups) for o in orders], dtype=np.int64),
        door=door,
        owner=np.array(
            [index_of_courier.get(committed.get(o.order_id, -1), -1) for o in orders],
            dtype=np.int64,
        ),
        carried=np.array([int(bool(o.onboard)) for o in orders], dtype=np.int64),
        drop_cost=np.array(
            [DROP_PENALTY * (len(o.pickups) + door_copies(o, problem.objective)) for o in orders],
            dtype=np.int64,
        ),
        start=np.array([c.location for c in couriers], dtype=np.int64),
        available=np.array([c.available_s for c in couriers], dtype=np.int64),
        # A courier still busy at its shift end (a last drop-off) goes home after it.
        shift_end=np.array([max(c.shift_end_s, c.available_s) for c in couriers], np.int64),
        capacity=np.array(
            [max(c.capacity, on_board[c.courier_id]) for c in couriers], dtype=np.int64
        ),
        profile=np.array([profiles.index(c.profile) for c in couriers], dtype=np.int64),
        last_pickup=np.array(
            [
                max(0, c.last_pickup_s)
                if c.last_pickup_s is not None
                else (c.shift_end_s if bound_pickups else rr.NEVER)
                for c in couriers
            ],
            dtype=np.int64,
        ),
        takes_new=np.array([int(c.takes_new_orders) for c in couriers], dtype=np.int64),
        on_board=np.array([on_board[c.courier_id] for c in couriers], dtype=np.int64),
        locked=np.array(
            [_locked_stop(c.locked_next, stop_of_ticket, door_of_order) for c in couriers],
            dtype=np.int64,
        ),
        perms=_permutations(widest),
        perm_count=np.array(
            [
                len(list(permutations(range(k)))) if k <= PERMUTED_KITCHENS else 1
                for k in range(widest + 1)
            ],
            dtype=np.int64,
        ),
        neighbours=_neighbours(problem, orders, profiles[0]),
        pickup_service=problem.pickup_service_s,
        dropoff_service=problem.dropoff_service_s,
        waiting_cost=WAITING_FOOD_COST_PER_S,
    )
    return Layout(
        arrays,
        problem,
        ticket_of_stop,
        stop_of_ticket,
        door_of_order,
        {o.order_id: x for x, o in enumerate(orders)},
        index_of_courier,
        profiles,
    )


def _locked_stop(
    locked: tuple[str, int] | None, stop_of_ticket: dict[int, int], door_of_order: dict[int, int]
) -> int:
    if locked is None:
        return -1
    kind, ident = locked
    return (stop_of_ticket if kind == "pickup" else door_of_order).get(ident, -1)


def _permutations(widest: int) -> rr.Ints:
    table = np.zeros((widest + 1, 24, max(1, widest)), dtype=np.int64)
    for k in range(widest + 1):
        orders = list(permutations(range(k))) if k <= PERMUTED_KITCHENS else [tuple(range(k))]
        for p, sequence in enumerate(orders):
            table[k, p, :k] = sequence
    return table


def _neighbours(problem: DispatchProblem, orders: list[OrderTask], profile: str) -> rr.Ints:
    doors = np.array([o.dropoff_location for o in orders], dtype=np.int64)
    if len(doors) == 0:
        return np.zeros((0, 0), dtype=np.int64)
    travel = np.asarray(problem.travel_s[profile])
    apart = travel[np.ix_(doors, doors)]
    apart = apart + apart.T
    keep = min(NEIGHBOURS, len(doors))
    nearest = np.argpartition(apart, keep - 1, axis=1)[:, :keep]
    rows = np.arange(len(doors))[:, None]
    return np.asarray(nearest[rows, np.argsort(apart[rows, nearest], axis=1)], dtype=np.int64)


def routes_from(layout: Layout, plan: DispatchPlan) -> tuple[rr.Ints, rr.Ints]:
    """A previous plan's routes as stops of this problem: orders gone or changed are left
    out (they are planned again); a route not starting with the stop its courier rides to
    now is emptied, and a closing courier keeps only the orders committed to it."""
    arrays = layout.arrays
    couriers = len(arrays.start)
    width = len(arrays.location) + 1
    routes = np.zeros((couriers, width), dtype=np.int64)
    lengths = np.zeros(couriers, dtype=np.int64)
    for courier_id, v in layout.index_of_courier.items():
        stops: list[int] = []
        for stop in plan.routes.get(courier_id, []):
            if stop.kind == "pickup":
                s = layout.stop_of_ticket.get(stop.ticket_id if stop.ticket_id is not None else -1)
            else:
                s = layout.door_of_order.get(stop.order_id)
            if s is not None and s not in stops:
                stops.append(s)
        stops = [s for s in stops if _whole(arrays, stops, int(arrays.order[s]))]
        if not arrays.takes_new[v]:
            stops = [s for s in stops if arrays.owner[arrays.order[s]] == v]
        locked = int(arrays.locked[v])
        if locked >= 0 and stops and stops[0] != locked:
            stops = []
        routes[v, : len(stops)] = stops
        lengths[v] = len(stops)
    return routes, lengths


def _whole(arrays: rr.Problem, stops: list[int], order: int) -> bool:
    """Every pickup the order still needs, then its door, in this route."""
    door = int(arrays.door[order])
    if door not in stops:
        return False
    at = stops.index(door)
    needed = {int(arrays.pickups[order, k]) for k in range(int(arrays.pickup_count[order]))}
    return needed <= set(stops[:at])


def plan_of(layout: Layout, rounds: rr.Rounds) -> DispatchPlan:
    """The rounds as a plan: stops with their times, absent orders unassigned."""
    arrays, problem = layout.arrays, layout.problem
    orders = list(problem.orders)
    routes: dict[int, list[PlannedStop]] = {}
    late: list[int] = []
    for courier_id, v in layout.index_of_courier.items():
        stops = [int(s) for s in rounds.route[v, : rounds.length[v]]]
        times = rr.ride(arrays, v, stops).times
        planned = []
        for s, eta in zip(stops, times, strict=True):
            order = orders[int(arrays.order[s])]
            if arrays.is_door[s]:
                planned.append(
                    PlannedStop("dropoff", order.order_id, None, order.dropoff_location, eta)
                )
                if eta > order.promised_s:
                    late.append(order.order_id)
            else:
                ticket = layout.ticket_of_stop[s]
                planned.append(
                    PlannedStop("pickup", order.order_id, ticket, int(arrays.location[s]), eta)
                )
        routes[courier_id] = planned
    unassigned = [orders[int(o)].order_id for o in rounds.absent[1 : rounds.absent[0] + 1]]
    unassigned.sort()
    return DispatchPlan(routes, unassigned, rr.total(arrays, rounds), late)


REASONS: Final = {
    rr.FITS_ALONE: Unplaced.COURIERS_BUSY,
    rr.NO_COURIER: Unplaced.NO_COURIER,
    rr.BAGS_FULL: Unplaced.BAGS_FULL,
    rr.FOOD_WOULD_COOL: Unplaced.FOOD_WOULD_COOL,
    rr.PAST_DEADLINE: Unplaced.PAST_HARD_MAXIMUM,
    rr.SHIFT_ENDS: Unplaced.OUTSIDE_EVERY_SHIFT,
}


def with_reasons(layout: Layout, plan: DispatchPlan) -> DispatchPlan:
    """The plan, each unassigned order with why it fits no round (see rounds.diagnose)."""
    reasons = {
        order_id: REASONS[rr.diagnose(layout.arrays, layout.index_of_order[order_id])]
        for order_id in plan.unassigned
    }
    return replace(plan, reasons=reasons)
