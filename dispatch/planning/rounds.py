"""The dispatcher's own search, compiled with numba: whole orders inserted, ruined, recreated.

The rules a round must keep are stated here once, in `_ride`, over the arrays that
`round_problem` derives from a `DispatchProblem` (the same arrays the OR-Tools model
reads): a courier leaves when available from where it is, waits for food still cooking and
pays for cooked food left waiting, collects every bag of an order before its door, carries no
more than it can, keeps each order's first bag within its freshness limit and the door within
its hard deadline and the courier's shift, and pays per second past the soft promises.

An order is inserted whole: its pickups as a block, in their best order, then its door at any
later place of the same route. The search ruins strings of nearby orders and recreates them
with blinks (SISR, Christiaens & Vanden Berghe 2020) under simulated annealing; an order that
fits nowhere stays absent at a price above any lateness. Costs are what OR-Tools counts for
the same routes: each ride plus the service of the stop left, the counter's service once for
bags collected there in a row, the waiting food and the promises (tests/test_rounds.py proves
the two agree). No Python object crosses into the compiled loops: solver drives them
in slices and keeps the clock.
"""

from typing import Final, NamedTuple

import numpy as np
from numba import njit
from numpy.typing import NDArray

Ints = NDArray[np.int64]

NEVER: Final = 2**60
"""A bound that never binds (food on board has no hard deadline)."""
BLINK_RATE: Final = 0.01
CANDIDATES: Final = 8
"""Couriers tried first per order by each of two measures: nearest now, free soonest."""
AVERAGE_REMOVED: Final = 8
MAX_STRING: Final = 6
MAX_RESTARTS: Final = 16
"""A ride goes back at most this many times to collect bags later (it rarely needs more
than one or two); beyond, the route is refused."""


class Problem(NamedTuple):
    """A dispatch problem as arrays. Stops are pickups (one per ticket still at a counter)
    and doors (one per order); couriers are indexed as in the problem."""

    travel: NDArray[np.int64]
    """(profile, location, location): seconds."""
    location: Ints
    is_door: Ints
    order: Ints
    ready: Ints
    cooking: Ints
    bags: Ints
    """A pickup's bags; at a door, every bag of its order (unloaded there)."""
    earliest: Ints
    deadline: Ints
    due: Ints
    """(stop, 2): when each soft promise of a door starts to cost (NEVER: no promise)."""
    due_cost: Ints
    freshness: Ints
    pickups: Ints
    """(order, most kitchens): each order's pickup stops, in pickup_count[order] columns."""
    pickup_count: Ints
    door: Ints
    owner: Ints
    """Per order, the courier it must go to (food on board, or the stop ridden to), or -1."""
    carried: Ints
    """Per order: 1 when food is on board, which is delivered whatever it costs."""
    drop_cost: Ints
    start: Ints
    available: Ints
    shift_end: Ints
    capacity: Ints
    profile: Ints
    last_pickup: Ints
    takes_new: Ints
    on_board: Ints
    locked: Ints
    """Per courier, the stop it rides to now (its route starts there), or -1."""
    perms: Ints
    """(kitchens, permutation, position): the orders in which an order's pickups are tried."""
    perm_count: Ints
    neighbours: Ints
    """Per order, the nearest orders by their doors: where a ruin spreads."""
    pickup_service: int
    dropoff_service: int
    waiting_cost: int
    """Per second cooked food waits at the counter (planning.problem.WAITING_FOOD_COST_PER_S,
    passed in rather than imported: a compiled function keeps the globals it was cached with)."""


class Rounds(NamedTuple):
    """Routes as rows of stops: route[c, :length[c]]."""

    route: Ints
    length: Ints
    cost: Ints
    end_moment: Ints
    end_place: Ints
    where: Ints
    """Per order, its courier (-1: absent)."""
    absent: Ints
    """Orders not served, in absent[1 : absent[0] + 1]."""


def empty_rounds(problem: Problem) -> Rounds:
    couriers, orders = len(problem.start), len(problem.door)
    width = len(problem.location) + 1
    rounds = Rounds(
        np.zeros((couriers, width), dtype=np.int64),
        np.zeros(couriers, dtype=np.int64),
        np.zeros(couriers, dtype=np.int64),
        problem.available.copy(),
        problem.start.copy(),
        np.full(orders, -1, dtype=np.int64),
        np.zeros(orders + 1, dtype=np.int64),
    )
    rounds.absent[0] = orders
    rounds.absent[1:] = np.arange(orders)
    return rounds


def copy_rounds(rounds: Rounds) -> Rounds:
    return Rounds(*(a.copy() for a in rounds))


def total(problem: Problem, rounds: Rounds) -> int:
    """The plan's cost as OR-Tools counts it, absent orders at their drop cost."""
    return int(_total(problem, rounds))


class Ride(NamedTuple):
    feasible: bool
    cost: int
    times: list[int]
    """When each stop is served (after any wait)."""


def ride(problem: Problem, courier: int, stops: list[int]) -> Ride:
    """One route ridden from the courier's start, stop by stop, by the rules."""
    seq = np.asarray(stops, dtype=np.int64)
    times = np.zeros(max(1, len(stops)), dtype=np.int64)
    cost, failed, _, _, _ = _ride_from_start(problem, courier, seq, len(stops), times)
    return Ride(failed < 0, int(cost), [int(t) for t in times[: len(stops)]])


@njit(cache=True)
def _ride_from_start(
    problem: Problem, c: int, seq: Ints, n: int, times: Ints
) -> tuple[int, int, int, int, int]:
    """Ride seq[:n] from the courier's start, nothing collected yet: (cost, index of the
    first stop that broke a rule or -1, and the moment, place and service owed after)."""
    picked = np.full(len(problem.location), -NEVER, dtype=np.int64)
    stamp = np.zeros(len(problem.location), dtype=np.int64)
    cost, failed, moment, place, _, owed, _, _ = _ride_from_start_marked(
        problem, c, seq, n, times, picked, stamp, 1
    )
    return cost, failed, moment, place, owed


@njit(cache=True)
def _ride_from_start_marked(
    problem: Problem, c: int, seq: Ints, n: int, times: Ints, picked: Ints, stamp: Ints, mark: int
) -> tuple[int, int, int, int, int, int, bool, int]:
    """_ride from the courier's start with nothing collected, reusing the caller's pickup
    scratch (picked, stamp) under a new ``mark``: _ride's whole result."""
    return _ride(
        problem,
        c,
        seq,
        n,
        problem.available[c],
        problem.start[c],
        problem.on_board[c],
        0,
        0,
        False,
        picked,
        stamp,
        mark,
        picked,
        times,
        np.zeros((0, 6), dtype=np.int64),
    )


@njit(cache=True)
def _travel(
    problem: Problem, c: int, s: int, moment: int, here: int, cost: int, owed: int, after: bool
) -> tuple[int, int, int]:
    """Ride to stop s: (moment, cost, service still owed) on arrival."""
    place = problem.location[s]
    if after and problem.is_door[s] == 0 and place == here:
        # One visit per counter for bags collected there in a row: no ride, the counter's
        # service once, when leaving it.
        return moment, cost, owed
    ride = problem.travel[problem.profile[c], here, place]
    return moment + ride + owed, cost + ride + owed, 0


@njit(cache=True)
def _collect(
    problem: Problem, c: int, s: int, moment: int, load: int, cost: int, no_sooner: int
) -> tuple[int, int, int, bool]:
    """Collect pickup s arriving at ``moment``, but not before ``no_sooner``: (moment,
    load, cost, rules kept)."""
    ready = problem.ready[s]
    moment = max(moment, no_sooner)
    if problem.cooking[s] and moment > max(0, ready):
        cost += (moment - max(0, ready)) * problem.waiting_cost
    moment = max(moment, ready)
    load += problem.bags[s]
    return moment, load, cost, moment <= problem.last_pickup[c] and load <= problem.capacity[c]


@njit(cache=True)
def _ride(
    problem: Problem,
    c: int,
    seq: Ints,
    n: int,
    moment: int,
    here: int,
    load: int,
    cost: int,
    owed: int,
    after_pickup: bool,
    picked: Ints,
    stamp: Ints,
    mark: int,
    earlier: Ints,
    times: Ints,
    states: Ints,
) -> tuple[int, int, int, int, int, int, bool, int]:
    """Ride seq[:n] from a state: (cost, index of the first stop that broke a rule or -1,
    and the state after: moment, place, load, service owed, whether the last was a pickup).

    A pickup's time is written to picked[] with stamp[] = mark; a door reads its order's
    pickups there, or in earlier[] for those collected before this ride began. When states
    has rows, row k receives the state on leaving for stop k. The last value returned,
    ``steady``, is the first stop collected later than the courier could (n if none): a
    route changed before it is ridden the same up to there.

    When an order's food would ride too long (waiting at a scheduled door, or at a counter
    for a later bag), the courier collects its bags later instead, just late enough for the
    food to arrive fresh: the ride starts again from the first of them, every rule checked
    anew. Times only grow, so this finds the earliest schedule of the route that keeps every
    rule, and every cost grows with time: it is also the cheapest.
    """
    recording = len(states) > 0
    start = (moment, here, load, cost, owed, after_pickup)
    no_sooner = np.empty(0, dtype=np.int64)  # made when first needed: rarely
    index, restarts, retried_door, retried_at, raised = 0, 0, -1, 0, 0
    while index < n:
        s = seq[index]
        if recording:
            _record(states, index, moment, here, load, cost, owed, after_pickup)
        if problem.is_door[s] == 0:
            moment, cost, owed = _travel(problem, c, s, moment, here, cost, owed, after_pickup)
            bound = no_sooner[index] if len(no_sooner) else -NEVER
            moment, load, cost, kept = _collect(problem, c, s, moment, load, cost, bound)
            if not kept:
                return cost, index, moment, problem.location[s], load, owed, True, 0
            picked[s] = moment
            stamp[s] = mark
            owed = problem.pickup_service
            after_pickup = True
        else:
            o = problem.order[s]
            moment, cost, owed = _travel(problem, c, s, moment, here, cost, owed, after_pickup)
            moment = max(moment, problem.earliest[s])
            leave = moment - problem.freshness[s]  # no bag of it collected sooner
            first, movable = NEVER, True
            for k in range(problem.pickup_count[o]):
                p = problem.pickups[o, k]
                if stamp[p] == mark:
                    first = min(first, picked[p])
                else:
                    first = min(first, earlier[p])
                    movable = movable and earlier[p] >= leave
            # Going back for the same door again only helps if part of the later start was
            # absorbed by waiting: otherwise it pushes the door on by as much.
            futile = index == retried_door and moment - retried_at >= raised
            if first < leave and movable and not futile and restarts < MAX_RESTARTS:
                # Collect those bags later instead (the earliest schedule keeping every
                # rule, as OR-Tools' may be): ride again with that bound.
                restarts += 1
                retried_door, retried_at, raised = index, moment, leave - first
                if len(no_sooner) == 0:
                    no_sooner = np.full(n, -NEVER, dtype=np.int64)
                for k in range(index):
                    p = seq[k]
                    if problem.order[p] == o and problem.is_door[p] == 0 and picked[p] < leave:
                        no_sooner[k] = leave
                moment, here, load, cost, owed, after_pickup = start
                index = 0
                continue
            if moment > problem.deadline[s] or moment > problem.shift_end[c]:
                return cost, index, moment, problem.location[s], load, owed, False, 0
            if moment - first > problem.freshness[s]:
                return cost, index, moment, problem.location[s], load, owed, False, 0
            for b in range(2):
                if moment > problem.due[s, b]:
                    cost += (moment - problem.due[s, b]) * problem.due_cost[s, b]
            load -= problem.bags[s]
            owed = problem.dropoff_service
            after_pickup = False
        times[index] = moment
        here = problem.location[s]
        index += 1
    if recording:
        _record(states, n, moment, here, load, cost, owed, after_pickup)
    steady = n
    for k in range(len(no_sooner) - 1, -1, -1):
        if no_sooner[k] > -NEVER:
            steady = k
    return cost, -1, moment, here, load, owed, after_pickup, steady


@njit(cache=True)
def _record(
    states: Ints, k: int, moment: int, here: int, load: int, cost: int, owed: int, after: bool
) -> None:
    states[k, 0], states[k, 1], states[k, 2] = moment, here, load
    states[k, 3], states[k, 4], states[k, 5] = cost, owed, after


@njit(cache=True)
def _refresh(problem: Problem, rounds: Rounds, c: int) -> bool:
    """Recompute route c's cost and end; False if it breaks a rule."""
    n = rounds.length[c]
    times = np.zeros(max(1, n), dtype=np.int64)
    cost, failed, moment, place, owed = _ride_from_start(
        problem, c, rounds.route[c, :n].copy(), n, times
    )
    rounds.cost[c] = cost
    rounds.end_moment[c] = moment + owed
    rounds.end_place[c] = place
    return failed < 0


@njit(cache=True)
def _best_insertion(
    problem: Problem,
    rounds: Rounds,
    o: int,
    c: int,
    blink: float,
    best: int,
    seq: Ints,
    scratch: Ints,
) -> tuple[int, int, int, int]:
    """The cheapest way to add order o to courier c's route, if cheaper than ``best``:
    (added cost, permutation of its pickups, gap of the pickup block, gap of the door)."""
    found_p, found_i, found_j = -1, -1, -1
    owner = problem.owner[o]
    if owner >= 0 and owner != c:
        return best, found_p, found_i, found_j
    if owner < 0 and problem.takes_new[c] == 0:
        return best, found_p, found_i, found_j
    route, n = rounds.route[c], rounds.length[c]
    locked = problem.locked[c]
    leading = locked >= 0 and n > 0 and route[0] == locked
    must_lead = locked >= 0 and not leading
    if must_lead and owner != c:
        return best, found_p, found_i, found_j
    kitchens = problem.pickup_count[o]
    first = 1 if leading else 0
    last_gap = first if (must_lead or kitchens == 0) else n
    # The state before each gap, riding the route as it is.
    earlier = scratch[: len(problem.location)]
    stamp = scratch[len(problem.location) : 2 * len(problem.location)]
    picked = scratch[2 * len(problem.location) : 3 * len(problem.location)]
    times = scratch[3 * len(problem.location) :]
    states = np.empty((n + 1, 6), dtype=np.int64)
    _, failed, _, _, _, _, _, steady = _ride(
        problem,
        c,
        route,
        n,
        problem.available[c],
        problem.start[c],
        problem.on_board[c],
        0,
        0,
        False,
        earlier,
        stamp,
        -1,
        earlier,
        times,
        states,
    )
    reachable = last_gap if failed < 0 else min(last_gap, failed)
    no_states = states[:0]
    door = problem.door[o]
    mark = stamp.max() + 1
    for p in range(problem.perm_count[kitchens]):
        for i in range(first, reachable + 1):
            # Ride on from the state before the gap, or from the first stop the route leaves
            # later for, when that comes before it: the later start may change.
            start = min(i, steady)
            for j in range(i, n + 1):
                size = 0
                for k in range(start, i):
                    seq[size] = route[k]
                    size += 1
                for k in range(kitchens):
                    seq[size] = problem.pickups[o, problem.perms[kitchens, p, k]]
                    size += 1
                for k in range(i, j):
                    seq[size] = route[k]
                    size += 1
                seq[size] = door
                size += 1
                for k in range(j, n):
                    seq[size] = route[k]
                    size += 1
                if must_lead and seq[i - start] != locked:
                    continue
                mark += 1
                total, failed, _, _, _, _, _, _ = _ride(
                    problem,
                    c,
                    seq,
                    size,
                    states[start, 0],
                    states[start, 1],
                    states[start, 2],
                    states[start, 3],
                    states[start, 4],
                    states[start, 5] != 0,
                    picked,
                    stamp,
                    mark,
                    earlier,
                    times,
                    no_states,
                )
                if failed >= 0:
                    if failed <= kitchens + j - start:
                        break  # failing before the door, a later door fails sooner
                    continue
                added = total - rounds.cost[c]
                if added < best and (blink <= 0.0 or np.random.random() >= blink):
                    best, found_p, found_i, found_j = added, p, i, j
    return best, found_p, found_i, found_j


@njit(cache=True)
def _apply(problem: Problem, rounds: Rounds, o: int, c: int, p: int, i: int, j: int) -> None:
    route, n = rounds.route[c], rounds.length[c]
    kitchens = problem.pickup_count[o]
    old = route[:n].copy()
    size = 0
    for k in range(i):
        route[size] = old[k]
        size += 1
    for k in range(kitchens):
        route[size] = problem.pickups[o, problem.perms[kitchens, p, k]]
        size += 1
    for k in range(i, j):
        route[size] = old[k]
        size += 1
    route[size] = problem.door[o]
    size += 1
    for k in range(j, n):
        route[size] = old[k]
        size += 1
    rounds.length[c] = size
    rounds.where[o] = c
    _refresh(problem, rounds, c)


@njit(cache=True)
def _candidates(problem: Problem, rounds: Rounds, o: int, chosen: Ints) -> int:
    """Couriers to try first: nearest the order's first kitchen now, and free soonest there."""
    couriers = len(problem.start)
    if problem.owner[o] >= 0:
        chosen[0] = problem.owner[o]
        return 1
    first = problem.location[problem.pickups[o, 0]]
    near = np.empty(couriers, dtype=np.int64)
    soon = np.empty(couriers, dtype=np.int64)
    for c in range(couriers):
        profile = problem.profile[c]
        near[c] = problem.travel[profile, problem.start[c], first]
        soon[c] = rounds.end_moment[c] + problem.travel[profile, rounds.end_place[c], first]
        if problem.takes_new[c] == 0:
            near[c] = soon[c] = NEVER
    count = 0
    taken = np.zeros(couriers, dtype=np.bool_)
    for ranking in (np.argsort(near), np.argsort(soon)):
        for k in range(min(CANDIDATES, couriers)):
            c = ranking[k]
            if not taken[c] and problem.takes_new[c]:
                taken[c] = True
                chosen[count] = c
                count += 1
    for c in range(couriers):
        if not taken[c] and problem.takes_new[c]:
            chosen[count] = c
            count += 1
    return count


@njit(cache=True)
def _place(
    problem: Problem, rounds: Rounds, o: int, blink: float, seq: Ints, scratch: Ints
) -> bool:
    """Insert order o where it costs least, trying the likeliest couriers first and the
    others only when none of those can take it. False: it fits nowhere."""
    chosen = np.empty(len(problem.start), dtype=np.int64)
    count = _candidates(problem, rounds, o, chosen)
    best, best_c, best_p, best_i, best_j = NEVER, -1, -1, -1, -1
    first_tier = min(count, 2 * CANDIDATES)
    for k in range(count):
        if k == first_tier and best_c >= 0:
            break
        c = chosen[k]
        cost, p, i, j = _best_insertion(problem, rounds, o, c, blink, best, seq, scratch)
        if p >= 0:
            best, best_c, best_p, best_i, best_j = cost, c, p, i, j
    if best_c < 0:
        return False
    _apply(problem, rounds, o, best_c, best_p, best_i, best_j)
    return True


@njit(cache=True)
def _force_carried(problem: Problem, rounds: Rounds, o: int) -> None:
    """Food on board that fits nowhere by the rules still goes to its courier: its pickups
    left and its door at the end, or its door first when the courier rides to it now. The
    route breaks a rule then, and the problem has no plan keeping them all."""
    c = problem.owner[o]
    n = rounds.length[c]
    door = problem.door[o]
    route = rounds.route[c]
    if problem.locked[c] == door:
        route[1 : n + 1] = route[:n].copy()
        route[0] = door
        n += 1
    else:
        for k in range(problem.pickup_count[o]):
            route[n] = problem.pickups[o, k]
            n += 1
        route[n] = door
        n += 1
    rounds.length[c] = n
    rounds.where[o] = c
    _refresh(problem, rounds, c)


@njit(cache=True)
def _scratch(problem: Problem) -> tuple[Ints, Ints]:
    stops = len(problem.location)
    return np.empty(stops + 1, dtype=np.int64), np.zeros(4 * stops + 1, dtype=np.int64)


@njit(cache=True)
def _sort_orders(problem: Problem, orders: Ints, count: int, kind: int) -> None:
    """Orders food on board first, then those committed to a courier, then the earliest
    ready first (kinds 0 and 2) or at random (kind 1)."""
    keys = np.empty(count, dtype=np.float64)
    for n in range(count):
        o = orders[n]
        if kind == 1:
            key = np.random.random()
        else:
            ready = NEVER
            for k in range(problem.pickup_count[o]):
                ready = min(ready, problem.ready[problem.pickups[o, k]])
            key = float(ready)
        tier = 0.0 if problem.carried[o] else (1.0 if problem.owner[o] >= 0 else 2.0)
        keys[n] = tier * 1e15 + key
    order = np.argsort(keys, kind="mergesort")
    orders[:count] = orders[:count][order]


@njit(cache=True)
def _recreate(problem: Problem, rounds: Rounds, pool: Ints, count: int, kind: int) -> None:
    """Insert pool[:count] in the order of ``kind`` (-1: as given, without blinks)."""
    seq, scratch = _scratch(problem)
    if kind >= 0:
        _sort_orders(problem, pool, count, kind)
    blink = 0.0 if kind <= 0 else BLINK_RATE
    for n in range(count):
        o = pool[n]
        if _place(problem, rounds, o, blink, seq, scratch):
            continue
        if problem.carried[o]:
            _force_carried(problem, rounds, o)
            continue
        rounds.absent[0] += 1
        rounds.absent[rounds.absent[0]] = o


@njit(cache=True)
def build(problem: Problem, rounds: Rounds) -> None:
    """Insert every absent order, the earliest ready first, each at its cheapest place."""
    insert(problem, rounds, take_absent(problem, rounds))


@njit(cache=True)
def take_absent(problem: Problem, rounds: Rounds) -> Ints:
    """The absent orders in the order a first plan inserts them (food on board, then
    committed orders, then the earliest ready); the absence list is left empty."""
    count = rounds.absent[0]
    pool = rounds.absent[1 : count + 1].copy()
    rounds.absent[0] = 0
    _sort_orders(problem, pool, count, 0)
    return pool


@njit(cache=True)
def insert(problem: Problem, rounds: Rounds, orders: Ints) -> None:
    """Insert these orders in turn, each at its cheapest place; those that fit nowhere go
    back to the absence list (a caller short of time inserts a slice at a time)."""
    pool = orders.copy()
    _recreate(problem, rounds, pool, len(pool), -1)


@njit(cache=True)
def leave_absent(rounds: Rounds, orders: Ints) -> None:
    for o in orders:
        rounds.absent[0] += 1
        rounds.absent[rounds.absent[0]] = o


@njit(cache=True)
def _remove_orders(problem: Problem, rounds: Rounds, c: int, gone: NDArray[np.bool_]) -> None:
    route, n = rounds.route[c], rounds.length[c]
    kept = 0
    for k in range(n):
        s = route[k]
        if gone[problem.order[s]]:
            rounds.where[problem.order[s]] = -1
            continue
        route[kept] = s
        kept += 1
    rounds.length[c] = kept
    _refresh(problem, rounds, c)


@njit(cache=True)
def _ruin(problem: Problem, rounds: Rounds, pool: Ints) -> int:
    """Strings of stops cut from routes near a random order, each with its whole orders
    (never food on board nor an order its courier is riding to). Returns how many."""
    couriers = len(problem.start)
    used, stops = 0, 0
    for c in range(couriers):
        if rounds.length[c]:
            used += 1
            stops += rounds.length[c]
    served = np.empty(len(problem.door), dtype=np.int64)
    count_served = 0
    for o in range(len(problem.door)):
        if rounds.where[o] >= 0 and problem.owner[o] < 0:
            served[count_served] = o
            count_served += 1
    if count_served == 0:
        return 0
    longest = min(MAX_STRING, stops / used)
    strings = int(np.random.random() * (4 * AVERAGE_REMOVED / (1 + longest) - 1)) + 1
    seed = served[np.random.randint(0, count_served)]
    gone = np.zeros(len(problem.door), dtype=np.bool_)
    ruined = np.zeros(couriers, dtype=np.bool_)
    count, cut = 0, 0
    for o in problem.neighbours[seed]:
        if cut >= strings:
            break
        c = rounds.where[o]
        if c < 0 or ruined[c] or problem.owner[o] >= 0:
            continue
        n = rounds.length[c]
        take = int(np.random.random() * min(n, longest)) + 1
        at = 0
        for k in range(n):
            if problem.order[rounds.route[c, k]] == o:
                at = k
                break
        begin = max(0, min(at - np.random.randint(0, take), n - take))
        for k in range(begin, begin + take):
            x = problem.order[rounds.route[c, k]]
            if not gone[x] and problem.owner[x] < 0:
                gone[x] = True
                pool[count] = x
                count += 1
        _remove_orders(problem, rounds, c, gone)
        ruined[c] = True
        cut += 1
    return count


@njit(cache=True)
def _total(problem: Problem, rounds: Rounds) -> int:
    value = 0
    for c in range(len(rounds.length)):
        value += rounds.cost[c]
    for k in range(rounds.absent[0]):
        value += problem.drop_cost[rounds.absent[k + 1]]
    return value


@njit(cache=True)
def _assign(target: Rounds, source: Rounds) -> None:
    for c in range(len(source.length)):
        n = source.length[c]
        target.route[c, :n] = source.route[c, :n]
    target.length[:] = source.length
    target.cost[:] = source.cost
    target.end_moment[:] = source.end_moment
    target.end_place[:] = source.end_place
    target.where[:] = source.where
    count = source.absent[0]
    target.absent[: count + 1] = source.absent[: count + 1]


@njit(cache=True)
def anneal(
    problem: Problem,
    current: Rounds,
    best: Rounds,
    trial: Rounds,
    iterations: int,
    hot: float,
    cold: float,
) -> None:
    """Ruin and recreate ``iterations`` times from ``current``, cooling from ``hot`` to
    ``cold``; ``best`` keeps the cheapest plan seen."""
    pool = np.empty(len(problem.door) + 1, dtype=np.int64)
    for it in range(iterations):
        temperature = hot * (cold / hot) ** (it / max(1, iterations))
        _assign(trial, current)
        count = _ruin(problem, trial, pool)
        for k in range(trial.absent[0]):
            pool[count] = trial.absent[k + 1]
            count += 1
        trial.absent[0] = 0
        _recreate(problem, trial, pool, count, 1 + np.random.randint(0, 2))
        threshold = _total(problem, current) - temperature * np.log(np.random.random())
        if _total(problem, trial) < threshold:
            _assign(current, trial)
            if _total(problem, current) < _total(problem, best):
                _assign(best, current)


@njit(cache=True)
def keep(problem: Problem, rounds: Rounds, routes: Ints, lengths: Ints) -> None:
    """Start from a previous plan's routes (stops of this problem), each kept whole where it
    still keeps every rule, emptied otherwise; orders not kept are absent."""
    rounds.absent[0] = 0
    for c in range(len(lengths)):
        n = lengths[c]
        rounds.route[c, :n] = routes[c, :n]
        rounds.length[c] = n
        if not _refresh(problem, rounds, c):
            rounds.length[c] = 0
            _refresh(problem, rounds, c)
        for k in range(rounds.length[c]):
            rounds.where[problem.order[rounds.route[c, k]]] = c
    for o in range(len(problem.door)):
        if rounds.where[o] < 0:
            rounds.absent[0] += 1
            rounds.absent[rounds.absent[0]] = o


@njit(cache=True)
def seed(value: int) -> None:
    np.random.seed(value)


FITS_ALONE, NO_COURIER, BAGS_FULL, FOOD_WOULD_COOL, PAST_DEADLINE, SHIFT_ENDS = range(6)
"""What `diagnose` finds (dispatch.planning.round_problem names them)."""


@njit(cache=True)
def diagnose(problem: Problem, o: int) -> int:
    """Why order o fits no round: ride it alone with every courier who may take it, in
    every order of its pickups; the rule that stops the ride that gets furthest is the
    reason (FITS_ALONE: some courier could, riding for it alone)."""
    stops = len(problem.location)
    picked = np.full(stops, -NEVER, dtype=np.int64)
    stamp = np.zeros(stops, dtype=np.int64)
    seq = np.empty(problem.pickup_count[o] + 1, dtype=np.int64)
    times = np.empty(len(seq), dtype=np.int64)
    kitchens = problem.pickup_count[o]
    reason, furthest, mark = NO_COURIER, -1, 0
    for c in range(len(problem.start)):
        if problem.owner[o] != c and (problem.owner[o] >= 0 or problem.takes_new[c] == 0):
            continue
        for p in range(problem.perm_count[kitchens]):
            for k in range(kitchens):
                seq[k] = problem.pickups[o, problem.perms[kitchens, p, k]]
            seq[kitchens] = problem.door[o]
            mark += 1
            _, failed, moment, _, _, _, at_pickup, _ = _ride_from_start_marked(
                problem, c, seq, len(seq), times, picked, stamp, mark
            )
            if failed < 0:
                return FITS_ALONE
            if failed <= furthest:
                continue
            furthest = failed
            if at_pickup:
                late = moment > problem.last_pickup[c]
                reason = SHIFT_ENDS if late else BAGS_FULL
            elif moment > problem.shift_end[c]:
                reason = SHIFT_ENDS
            elif moment > problem.deadline[seq[failed]]:
                reason = PAST_DEADLINE
            else:
                reason = FOOD_WOULD_COOL
    return reason


def warm_up() -> None:
    """Load (or compile) every compiled function now, on a tiny problem, so that a solve in
    a forked child does not pay for it within its time limit (guard calls this)."""
    global _warm
    if _warm:
        return
    from dispatch.planning.problem import CourierState, DispatchProblem, OrderTask, PickupTask
    from dispatch.planning.round_problem import layout  # here: round_problem imports this module

    travel = {"bike": np.array([[0, 60, 120], [60, 0, 60], [120, 60, 0]], dtype=np.int64)}
    orders = [
        OrderTask(1, (PickupTask(10, 1, 0), PickupTask(11, 2, 0)), 0, 0, 1800),
        OrderTask(2, (PickupTask(20, 2, 0),), 1, 0, 1800, earliest_s=1800),
    ]
    tiny = layout(DispatchProblem(travel, orders, [CourierState(1, 0, 0, 7200, 4)]))
    # Every function dispatch.planning.solver and round_problem call from Python: each is compiled
    # apart from the compiled functions that call it.
    seed(1)
    state = empty_rounds(tiny.arrays)
    pending = take_absent(tiny.arrays, state)
    insert(tiny.arrays, state, pending[:1])
    leave_absent(state, pending[1:])
    build(tiny.arrays, state)
    best, trial = copy_rounds(state), copy_rounds(state)
    anneal(tiny.arrays, state, best, trial, 2, 1.0, 0.5)
    keep(tiny.arrays, state, state.route.copy(), state.length.copy())
    total(tiny.arrays, state)
    ride(tiny.arrays, 0, [0, 1])
    diagnose(tiny.arrays, 0)
    _warm = True


_warm = False
