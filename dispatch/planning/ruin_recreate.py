"""Our own pickup-and-delivery search, compiled with numba: ruin and recreate, fleet first.

The search OR-Tools lacks (issue 15): slack-string removal and greedy re-insertion with blinks
(SISR, Christiaens & Vanden Berghe 2020) under simulated annealing, and fleet minimisation by
ejection: a route is emptied, its requests wait in an absence list and are re-inserted, pushing
out the requests that were absent least often, until the list empties or time is up (the
absence counters of SISR, the penalty counters of Nagata & Kubo's guided ejection search).

Routes are rows of an array, depot first and last. Each row keeps per position the earliest
service start, the latest start that keeps the rest of the route on time (the backward slack)
and the load after it, so checking a pickup at one gap and its delivery at a later one costs
constant time per pair of gaps, and one pass along the route tries every later gap.

Times and costs are integers (the caller scales and rounds rides up), so a route feasible here
is feasible for OR-Tools and in exact arithmetic. No Python object crosses into the compiled
loops: the caller (dispatch.planning.pdptw) drives them in slices of iterations and keeps the clock.
"""

from typing import Final, NamedTuple

import numpy as np
from numba import njit
from numpy.typing import NDArray

Ints = NDArray[np.int64]

INFINITY: Final = 2**62
BLINK_RATE: Final = 0.01
"""SISR's blinks: each position is skipped with this chance, so recreate is not always greedy."""
AVERAGE_REMOVED: Final = 10
MAX_STRING: Final = 10
ABSENT_COST: Final = 10**12
"""A request left out costs more than any distance: the distance search keeps every one."""


class Instance(NamedTuple):
    """Node 0 is the depot; every other node is a pickup or the delivery of one."""

    ride: Ints
    """Rides between nodes, which are also their costs (square, rounded up)."""
    ready: Ints
    due: Ints
    service: Ints
    demand: Ints
    partner: Ints
    """A pickup's delivery, a delivery's pickup; 0 for the depot."""
    neighbours: Ints
    """Per node, every node by increasing ride: where a ruin spreads."""
    capacity: int


class State(NamedTuple):
    """Routes as rows: route[r, 0] and route[r, length[r] + 1] are the depot."""

    route: Ints
    length: Ints
    start: Ints
    latest: Ints
    load: Ints
    cost: Ints
    """Per route, its rides."""
    where: Ints
    """Per node, its route (-1: not served)."""
    absent: Ints
    """Pickups of the requests not served, in absent[1 : absent[0] + 1]."""


def instance_of(
    ride: Ints,
    ready: Ints,
    due: Ints,
    service: Ints,
    demand: Ints,
    pairs: list[tuple[int, int]],
    capacity: int,
) -> Instance:
    partner = np.zeros(len(ready), dtype=np.int64)
    for pickup, delivery in pairs:
        partner[pickup], partner[delivery] = delivery, pickup
    neighbours = np.argsort(ride + ride.T, axis=1, kind="stable").astype(np.int64)
    return Instance(ride, ready, due, service, demand, partner, neighbours, capacity)


def empty_state(instance: Instance, vehicles: int, pickups: list[int]) -> State:
    """Empty routes, and these requests absent."""
    nodes = len(instance.ready)
    width = nodes + 2
    absent = np.zeros(nodes + 1, dtype=np.int64)
    absent[0] = len(pickups)
    absent[1 : len(pickups) + 1] = pickups
    state = State(
        np.zeros((vehicles, width), dtype=np.int64),
        np.zeros(vehicles, dtype=np.int64),
        np.zeros((vehicles, width), dtype=np.int64),
        np.zeros((vehicles, width), dtype=np.int64),
        np.zeros((vehicles, width), dtype=np.int64),
        np.zeros(vehicles, dtype=np.int64),
        np.full(nodes, -1, dtype=np.int64),
        absent,
    )
    refresh_all(instance, state)
    return state


def copy_state(state: State) -> State:
    return State(*(a.copy() for a in state))


def routes_of(state: State) -> list[list[int]]:
    return [
        [int(n) for n in state.route[r, 1 : state.length[r] + 1]]
        for r in range(len(state.length))
        if state.length[r]
    ]


def state_of(instance: Instance, vehicles: int, routes: list[list[int]]) -> State:
    """A state holding these routes (each must be feasible) and every other request absent."""
    served = {n for route in routes for n in route}
    pickups = [
        n for n in range(1, len(instance.ready)) if instance.demand[n] > 0 and n not in served
    ]
    state = empty_state(instance, vehicles, pickups)
    for r, nodes in enumerate(routes):
        state.route[r, 1 : len(nodes) + 1] = nodes
        state.length[r] = len(nodes)
        state.where[nodes] = r
        _refresh(instance, state, r)
    return state


def refresh_all(instance: Instance, state: State) -> None:
    for r in range(len(state.length)):
        _refresh(instance, state, r)


def total_cost(state: State) -> int:
    return int(state.cost.sum()) + int(state.absent[0]) * int(ABSENT_COST)


def feasible(instance: Instance, state: State) -> bool:
    """Every route on time, within capacity, pickups before their deliveries on one route."""
    return bool(_feasible(instance, state))


@njit(cache=True)
def _refresh(instance: Instance, state: State, r: int) -> None:
    ride, ready, due, service, demand = (
        instance.ride,
        instance.ready,
        instance.due,
        instance.service,
        instance.demand,
    )
    route, size = state.route, state.length[r]
    start, latest, load = state.start, state.latest, state.load
    start[r, 0] = ready[0]
    load[r, 0] = 0
    cost = 0
    for k in range(1, size + 2):
        a, b = route[r, k - 1], route[r, k]
        cost += ride[a, b]
        start[r, k] = max(ready[b], start[r, k - 1] + service[a] + ride[a, b])
        load[r, k] = load[r, k - 1] + demand[b]
    latest[r, size + 1] = due[0]
    for k in range(size, -1, -1):
        a, b = route[r, k], route[r, k + 1]
        latest[r, k] = min(due[a], latest[r, k + 1] - ride[a, b] - service[a])
    state.cost[r] = cost


@njit(cache=True)
def _feasible(instance: Instance, state: State) -> bool:
    for r in range(len(state.length)):
        size = state.length[r]
        seen = np.zeros(len(instance.ready), dtype=np.bool_)
        for k in range(1, size + 2):
            node = state.route[r, k]
            if state.start[r, k] > instance.due[node] or state.load[r, k] > instance.capacity:
                return False
            if k <= size and instance.demand[node] < 0 and not seen[instance.partner[node]]:
                return False
            seen[node] = True
    return True


@njit(cache=True)
def _best_insertion(
    instance: Instance, state: State, p: int, r: int, blink: float, best: int
) -> tuple[int, int, int]:
    """The cheapest gaps (i, j) of route r for pickup p and its delivery, if cheaper than
    ``best``: p after position i, the delivery after position j >= i (of the old route)."""
    ride, ready, due, service = instance.ride, instance.ready, instance.due, instance.service
    d = instance.partner[p]
    q = instance.demand[p]
    route, start, latest, load = state.route, state.start, state.latest, state.load
    size = state.length[r]
    best_i, best_j = -1, -1
    for i in range(size + 1):
        a, b = route[r, i], route[r, i + 1]
        if load[r, i] + q > instance.capacity:
            continue
        tp = start[r, i] + service[a] + ride[a, p]
        if tp > due[p]:
            break  # service starts no sooner at later gaps
        tp = max(tp, ready[p])
        near = ride[a, p] + ride[p, b] - ride[a, b]
        if near >= best:
            continue  # the delivery's detour is never negative (rides obey the triangle)
        td = max(ready[d], tp + service[p] + ride[p, d])
        if td <= due[d] and td + service[d] + ride[d, b] <= latest[r, i + 1]:
            delta = ride[a, p] + ride[p, d] + ride[d, b] - ride[a, b]
            if delta < best and np.random.random() >= blink:
                best, best_i, best_j = delta, i, i
        t, previous = tp, p
        for k in range(i + 1, size + 1):
            c, e = route[r, k], route[r, k + 1]
            t = max(ready[c], t + service[previous] + ride[previous, c])
            if t > latest[r, k] or load[r, k] + q > instance.capacity:
                break
            td = max(ready[d], t + service[c] + ride[c, d])
            if td <= due[d] and td + service[d] + ride[d, e] <= latest[r, k + 1]:
                delta = near + ride[c, d] + ride[d, e] - ride[c, e]
                if delta < best and np.random.random() >= blink:
                    best, best_i, best_j = delta, i, k
            previous = c
    return best, best_i, best_j


@njit(cache=True)
def _insert(instance: Instance, state: State, p: int, r: int, i: int, j: int) -> None:
    d = instance.partner[p]
    route, size = state.route, state.length[r]
    for k in range(size + 1, j, -1):
        route[r, k + 2] = route[r, k]
    route[r, j + 2] = d
    for k in range(j, i, -1):
        route[r, k + 1] = route[r, k]
    route[r, i + 1] = p
    state.length[r] = size + 2
    state.where[p] = r
    state.where[d] = r
    _refresh(instance, state, r)


@njit(cache=True)
def _remove(instance: Instance, state: State, r: int, gone: NDArray[np.bool_]) -> None:
    """Take the marked nodes out of route r (the caller marks both nodes of a request)."""
    route, size = state.route, state.length[r]
    kept = 1
    for k in range(1, size + 2):
        node = route[r, k]
        if k <= size and gone[node]:
            state.where[node] = -1
            continue
        route[r, kept] = node
        kept += 1
    state.length[r] = kept - 2
    _refresh(instance, state, r)


@njit(cache=True)
def _position(state: State, r: int, node: int) -> int:
    for k in range(1, state.length[r] + 1):
        if state.route[r, k] == node:
            return k
    return -1


@njit(cache=True)
def _ruin(instance: Instance, state: State, removed: Ints) -> int:
    """SISR's ruin: strings of consecutive nodes cut from routes near a random seed, with
    each cut node's partner. Adds the pickups removed to ``removed``; returns how many."""
    routes_used = 0
    served = 0
    for r in range(len(state.length)):
        if state.length[r]:
            routes_used += 1
            served += state.length[r]
    if served == 0:
        return 0
    max_string = min(MAX_STRING, served / routes_used)
    strings = int(np.random.random() * (4 * AVERAGE_REMOVED / (1 + max_string) - 1)) + 1
    seed = 0
    while state.where[seed] < 0:
        seed = np.random.randint(1, len(state.where))
    gone = np.zeros(len(state.where), dtype=np.bool_)
    ruined = np.zeros(len(state.length), dtype=np.bool_)
    count = 0
    cut = 0
    for c in instance.neighbours[seed]:
        if cut >= strings:
            break
        if c == 0 or state.where[c] < 0 or ruined[state.where[c]]:
            continue
        r = state.where[c]
        size = state.length[r]
        take = int(np.random.random() * min(size, max_string)) + 1
        at = _position(state, r, c)
        first = max(1, min(at - np.random.randint(0, take), size - take + 1))
        for k in range(first, first + take):
            node = state.route[r, k]
            pickup = node if instance.demand[node] > 0 else instance.partner[node]
            if not gone[pickup]:
                gone[pickup] = True
                gone[instance.partner[pickup]] = True
                removed[count] = pickup
                count += 1
        _remove(instance, state, r, gone)
        ruined[r] = True
        cut += 1
    return count


@njit(cache=True)
def _sort_requests(instance: Instance, pickups: Ints, count: int) -> None:
    """SISR's orders for recreate: random, largest first, farthest first, earliest due."""
    kind = np.random.randint(0, 11)
    keys = np.empty(count, dtype=np.float64)
    for n in range(count):
        p = pickups[n]
        if kind < 4:
            keys[n] = np.random.random()
        elif kind < 8:
            keys[n] = -instance.demand[p]
        elif kind < 10:
            keys[n] = -instance.ride[0, p]
        else:
            keys[n] = instance.due[instance.partner[p]]
    order = np.argsort(keys, kind="mergesort")
    pickups[:count] = pickups[:count][order]


@njit(cache=True)
def _recreate(
    instance: Instance, state: State, pickups: Ints, count: int, routes_allowed: int
) -> None:
    """Insert each request at its cheapest gap (with blinks), in a new route while fewer than
    ``routes_allowed`` are used; the ones that fit nowhere join the absence list."""
    _sort_requests(instance, pickups, count)
    used = 0
    for r in range(len(state.length)):
        if state.length[r]:
            used += 1
    for n in range(count):
        p = pickups[n]
        best, best_r, best_i, best_j = INFINITY, -1, -1, -1
        empty = -1
        for r in range(len(state.length)):
            if state.length[r] == 0:
                if empty < 0:
                    empty = r
                continue
            cost, i, j = _best_insertion(instance, state, p, r, BLINK_RATE, best)
            if i >= 0:
                best, best_r, best_i, best_j = cost, r, i, j
        if best_r < 0 and empty >= 0 and used < routes_allowed:
            cost, i, j = _best_insertion(instance, state, p, empty, 0.0, INFINITY)
            if i >= 0:
                best_r, best_i, best_j = empty, i, j
                used += 1
        if best_r < 0:
            state.absent[0] += 1
            state.absent[state.absent[0]] = p
        else:
            _insert(instance, state, p, best_r, best_i, best_j)


@njit(cache=True)
def _ruin_and_recreate(instance: Instance, state: State, routes_allowed: int) -> None:
    pool = np.empty(len(state.where), dtype=np.int64)
    count = _ruin(instance, state, pool)
    for n in range(state.absent[0]):
        pool[count] = state.absent[n + 1]
        count += 1
    state.absent[0] = 0
    _recreate(instance, state, pool, count, routes_allowed)


@njit(cache=True)
def _assign(target: State, source: State) -> None:
    target.route[:] = source.route
    target.length[:] = source.length
    target.start[:] = source.start
    target.latest[:] = source.latest
    target.load[:] = source.load
    target.cost[:] = source.cost
    target.where[:] = source.where
    target.absent[:] = source.absent


@njit(cache=True)
def _cost(state: State) -> int:
    return int(state.cost.sum() + state.absent[0] * ABSENT_COST)


@njit(cache=True)
def anneal(
    instance: Instance,
    current: State,
    best: State,
    trial: State,
    iterations: int,
    hot: float,
    cold: float,
    routes_allowed: int,
) -> None:
    """Ruin and recreate ``iterations`` times, cooling from ``hot`` to ``cold``; a worse
    trial is accepted while it is within the temperature's reach (SISR's acceptance)."""
    for it in range(iterations):
        temperature = hot * (cold / hot) ** (it / max(1, iterations))
        _assign(trial, current)
        _ruin_and_recreate(instance, trial, routes_allowed)
        limit = _cost(current) - temperature * np.log(np.random.random())
        if _cost(trial) < limit:
            _assign(current, trial)
            if _cost(current) < _cost(best):
                _assign(best, current)


@njit(cache=True)
def _absences(state: State, absences: Ints) -> int:
    total = 0
    for n in range(state.absent[0]):
        total += absences[state.absent[n + 1]]
    return total


@njit(cache=True)
def minimise_fleet(
    instance: Instance,
    current: State,
    trial: State,
    absences: Ints,
    iterations: int,
    routes_allowed: int,
) -> bool:
    """SISR's fleet minimisation on ``current``, one route short of a full plan: accept a
    trial with fewer absent requests, or whose absent ones were absent less often so far.
    True once every request is served (``current`` then holds that plan)."""
    for _ in range(iterations):
        if current.absent[0] == 0:
            return True
        _assign(trial, current)
        _ruin_and_recreate(instance, trial, routes_allowed)
        if trial.absent[0] < current.absent[0] or _absences(trial, absences) < _absences(
            current, absences
        ):
            _assign(current, trial)
        for n in range(current.absent[0]):
            absences[current.absent[n + 1]] += 1
    return bool(current.absent[0] == 0)


@njit(cache=True)
def drop_route(instance: Instance, state: State, absences: Ints) -> None:
    """Empty the route whose requests were absent least often (the easiest to place
    elsewhere, by what the search has seen), smallest first on ties; its requests go absent."""
    chosen, chosen_key = -1, INFINITY
    for r in range(len(state.length)):
        size = state.length[r]
        if size == 0:
            continue
        key = 0
        for k in range(1, size + 1):
            key += absences[state.route[r, k]]
        key = key * 1000 + size
        if key < chosen_key:
            chosen, chosen_key = r, key
    gone = np.zeros(len(state.where), dtype=np.bool_)
    for k in range(1, state.length[chosen] + 1):
        node = state.route[chosen, k]
        gone[node] = True
        if instance.demand[node] > 0:
            state.absent[0] += 1
            state.absent[state.absent[0]] = node
    _remove(instance, state, chosen, gone)


@njit(cache=True)
def build(instance: Instance, state: State, routes_allowed: int) -> None:
    """A first plan: every absent request inserted at its cheapest gap, opening routes."""
    count = state.absent[0]
    pool = state.absent[1 : count + 1].copy()
    state.absent[0] = 0
    _recreate(instance, state, pool, count, routes_allowed)


@njit(cache=True)
def seed(value: int) -> None:
    np.random.seed(value)
