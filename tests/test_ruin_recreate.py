"""The compiled pickup-and-delivery search: each rule on a tiny named instance, the fast
insertion check against riding every candidate route, ruin, recreate and fleet minimisation."""

from itertools import combinations_with_replacement

import numpy as np
from hypothesis import event, given, settings
from hypothesis import strategies as st

from dispatch.planning import ruin_recreate as rr


def line(
    xs: list[int],
    pairs: list[tuple[int, int]],
    *,
    windows: dict[int, tuple[int, int]] | None = None,
    demand: int = 1,
    capacity: int = 10,
    service: int = 0,
) -> rr.Instance:
    """Nodes on a line at these abscissas (node 0, the depot, first), rides their distance."""
    x = np.asarray(xs, dtype=np.int64)
    ride = np.abs(x[:, None] - x[None, :])
    n = len(xs)
    ready = np.zeros(n, dtype=np.int64)
    due = np.full(n, 1000, dtype=np.int64)
    for node, (opens, closes) in (windows or {}).items():
        ready[node], due[node] = opens, closes
    load = np.zeros(n, dtype=np.int64)
    for pickup, delivery in pairs:
        load[pickup], load[delivery] = demand, -demand
    services = np.full(n, service, dtype=np.int64)
    services[0] = 0
    return rr.instance_of(ride, ready, due, services, load, pairs, capacity)


def ride_route(instance: rr.Instance, route: list[int]) -> tuple[bool, int]:
    """The plain rules, riding the route stop by stop: on time, within capacity, pickup first."""
    t, load, cost, here, seen = 0, 0, 0, 0, set()
    for node in [*route, 0]:
        cost += int(instance.ride[here, node])
        t = max(int(instance.ready[node]), t + int(instance.ride[here, node]))
        load += int(instance.demand[node])
        if t > instance.due[node] or load > instance.capacity:
            return False, cost
        if instance.demand[node] < 0 and int(instance.partner[node]) not in seen:
            return False, cost
        seen.add(node)
        t += int(instance.service[node])
        here = node
    return True, cost


def test_two_pairs_on_a_line_ride_out_together() -> None:
    """Pickups at 1 and 2, deliveries at 3 and 4: one route, 8 there and back."""
    instance = line([0, 1, 2, 3, 4], [(1, 3), (2, 4)])
    state = rr.empty_state(instance, 2, [1, 2])
    rr.build(instance, state, 2)
    (route,) = rr.routes_of(state)
    assert route[:2] == [1, 2]  # both pickups on the way out, then both deliveries
    assert rr.total_cost(state) == 8


def test_capacity_splits_the_pairs() -> None:
    """The same line with room for one parcel: deliver the first before picking up the second."""
    instance = line([0, 1, 2, 3, 4], [(1, 3), (2, 4)], demand=6)
    state = rr.empty_state(instance, 2, [1, 2])
    rr.build(instance, state, 2)
    (route,) = rr.routes_of(state)
    assert max(np.cumsum(instance.demand[route])) <= 10
    assert rr.feasible(instance, state)


def test_a_closing_window_needs_a_second_vehicle() -> None:
    """Two pickups at opposite ends whose deliveries close early: one route cannot reach both."""
    windows = {3: (0, 6), 4: (0, 6)}
    instance = line([0, -5, 5, -6, 6], [(1, 3), (2, 4)], windows=windows)
    state = rr.empty_state(instance, 2, [1, 2])
    rr.build(instance, state, 2)
    assert sorted(rr.routes_of(state)) == [[1, 3], [2, 4]]
    one_vehicle = rr.empty_state(instance, 1, [1, 2])
    rr.build(instance, one_vehicle, 1)
    assert one_vehicle.absent[0] == 1  # nowhere to put the second: it waits, absent


def test_a_delivery_never_precedes_its_pickup() -> None:
    """The delivery lies before its pickup on the way out: it is still served after it."""
    instance = line([0, 4, 2], [(1, 2)])
    state = rr.empty_state(instance, 1, [1])
    rr.build(instance, state, 1)
    assert rr.routes_of(state) == [[1, 2]]


def test_ruin_takes_whole_requests_and_recreate_puts_them_back() -> None:
    instance = line([0, 1, 2, 3, 4, 5, 6], [(1, 4), (2, 5), (3, 6)])
    state = rr.empty_state(instance, 3, [1, 2, 3])
    rr.build(instance, state, 3)
    rr.seed(7)
    pool = np.zeros(7, dtype=np.int64)
    count = rr._ruin(instance, state, pool)
    assert count >= 1
    removed = {int(p) for p in pool[:count]}
    served = {n for route in rr.routes_of(state) for n in route}
    for pickup in removed:
        assert pickup not in served
        assert int(instance.partner[pickup]) not in served
    assert rr.feasible(instance, state)
    rr._recreate(instance, state, pool, count, 3)
    assert state.absent[0] == 0
    assert sorted(n for route in rr.routes_of(state) for n in route) == [1, 2, 3, 4, 5, 6]


def test_fleet_minimisation_merges_two_routes_into_one() -> None:
    """Started on two routes, each pair alone: the ejection search finds the one-route plan."""
    instance = line([0, 1, 2, 3, 4], [(1, 3), (2, 4)])
    state = rr.state_of(instance, 2, [[1, 3], [2, 4]])
    absences = np.zeros(5, dtype=np.int64)
    rr.drop_route(instance, state, absences)
    assert state.absent[0] == 1
    trial = rr.copy_state(state)
    assert rr.minimise_fleet(instance, state, trial, absences, 50, 1)
    assert rr.routes_of(state) == [[1, 2, 3, 4]]


def test_annealing_keeps_every_request_and_never_worsens_the_best() -> None:
    instance = line([0, 3, -2, 5, -4, 1, 2], [(1, 3), (2, 4), (5, 6)])
    state = rr.state_of(instance, 3, [[1, 3], [2, 4], [5, 6]])
    before = rr.total_cost(state)
    best, trial = rr.copy_state(state), rr.copy_state(state)
    rr.seed(3)
    rr.anneal(instance, state, best, trial, 200, 5.0, 0.1, 3)
    assert best.absent[0] == 0
    assert rr.feasible(instance, best)
    assert rr.total_cost(best) <= before


@st.composite
def routed_instances(draw: st.DrawFn) -> tuple[rr.Instance, list[int], int]:
    """A random instance of up to four served pairs and one more, with windows and loads."""
    pairs_count = draw(st.integers(1, 4))
    n = 1 + 2 * (pairs_count + 1)
    xs = [0, *draw(st.lists(st.integers(-20, 20), min_size=n - 1, max_size=n - 1))]
    pairs = [(1 + 2 * k, 2 + 2 * k) for k in range(pairs_count + 1)]
    windows = {
        node: (opens, opens + draw(st.integers(5, 200)))
        for node in range(1, n)
        if draw(st.booleans())
        for opens in [draw(st.integers(0, 60))]
    }
    instance = line(
        xs,
        pairs,
        windows=windows,
        demand=draw(st.integers(1, 5)),
        capacity=draw(st.integers(5, 12)),
        service=draw(st.integers(0, 3)),
    )
    route = draw(st.permutations(list(range(1, n - 2))))
    for pickup, delivery in pairs[:-1]:  # each served pickup before its delivery
        a, b = route.index(pickup), route.index(delivery)
        route[min(a, b)], route[max(a, b)] = pickup, delivery
    return instance, route, n - 2


@settings(max_examples=300, deadline=None)
@given(routed_instances())
def test_the_fast_insertion_agrees_with_riding_every_candidate(
    case: tuple[rr.Instance, list[int], int],
) -> None:
    """Slack-based checks find exactly the cheapest insertion that riding each route finds."""
    instance, route, pickup = case
    if not ride_route(instance, route)[0]:
        event("drawn route infeasible")
        return  # only feasible routes are ever held
    state = rr.state_of(instance, 1, [route] if route else [])
    cost, i, j = rr._best_insertion(instance, state, pickup, 0, 0.0, rr.INFINITY)
    base = ride_route(instance, route)[1]
    delivery = int(instance.partner[pickup])
    brute = [
        ride_route(instance, [*route[:a], pickup, *route[a:b], delivery, *route[b:]])
        for a, b in combinations_with_replacement(range(len(route) + 1), 2)
    ]
    costs = [c - base for ok, c in brute if ok]
    if not costs:
        event("no insertion fits")
        assert i < 0
        return
    assert i >= 0
    assert cost == min(costs)
    rr._insert(instance, state, pickup, 0, i, j)
    assert rr.feasible(instance, state)
    assert ride_route(instance, rr.routes_of(state)[0]) == (True, base + cost)
