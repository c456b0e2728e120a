"""A first plan built order by order, each order inserted whole into one courier's route.

OR-Tools' insertion heuristics place one pickup-and-delivery pair at a time, and a pair of a
multi-kitchen order cannot be placed alone under the same-courier constraint: such orders
were all left out. Inserting whole orders here, then handing the plan to the solver as its
start, keeps them in.
"""

from dataclasses import dataclass
from itertools import permutations
from time import perf_counter

from dispatch.solver_model import (
    WAITING_FOOD_COST_PER_S,
    CourierState,
    DispatchPlan,
    DispatchProblem,
    OrderTask,
    PickupTask,
    PlannedStop,
    committed_couriers,
    door_deadline,
    soft_due,
)

CANDIDATE_COURIERS = 8
"""Couriers tried per order by each of two measures: nearest its first kitchen, soonest there."""


def greedy_plan(
    problem: DispatchProblem,
    start: DispatchPlan | None = None,
    deadline: float | None = None,
    *,
    rebuild: bool = False,
) -> DispatchPlan:
    """Extend ``start`` (the previous plan, kept where still feasible) with the other orders.

    Orders are inserted whole, cheapest position first; past ``deadline`` (a perf_counter
    moment) the rest stay unassigned for this cycle. With ``rebuild``, a plan built afresh
    replaces the extended one when it is better: orders placed cycles ago were inserted into
    the rounds of that moment, and rebuilt against today's rounds they often fit better.
    """
    context = _Context.of(problem)
    plan = _extend(context, start, deadline)
    if rebuild and start is not None and (deadline is None or perf_counter() < deadline):
        fresh = _extend(context, None, deadline)
        if (len(fresh.unassigned), fresh.objective) < (len(plan.unassigned), plan.objective):
            plan = fresh
    return plan


def _extend(
    context: "_Context", start: DispatchPlan | None, deadline: float | None
) -> DispatchPlan:
    problem = context.problem
    couriers = {c.courier_id: c for c in problem.couriers}
    routes = _kept_routes(context, start)
    placed = {s.order_id for route in routes.values() for s in route}
    costs: dict[int, int] = {}
    for courier_id, route in routes.items():
        feasible, cost = _simulate(context, couriers[courier_id], route)
        costs[courier_id] = cost if feasible else 0
    # Food already on board first, to its courier, whatever the time: it must be delivered.
    for order in problem.orders:
        if order.pickups or order.order_id in placed or order.courier_id not in routes:
            continue
        assert order.courier_id is not None
        door = PlannedStop("dropoff", order.order_id, None, order.dropoff_location, 0)
        found = _best_insertion(context, problem, order, routes, costs)
        if found is None:
            route = routes[order.courier_id]
            leads = _locked_stop_is(context, order.courier_id, door)
            found = (0, order.courier_id, [door, *route] if leads else [*route, door])
        _, courier_id, route = found
        routes[courier_id] = route
        feasible, cost = _simulate(context, couriers[courier_id], route)
        costs[courier_id] = cost if feasible else costs[courier_id]
        placed.add(order.order_id)
    pending = [o for o in problem.orders if o.pickups and o.order_id not in placed]
    # Orders a courier is committed to first: no other order may take their place.
    pending.sort(
        key=lambda o: (
            o.order_id not in context.committed,
            min(p.ready_s for p in o.pickups),
            o.placed_s,
        )
    )
    unassigned: list[int] = []
    ends = {c.courier_id: _end_of(context, c, routes[c.courier_id]) for c in problem.couriers}
    open_to_new = [c for c in problem.couriers if c.takes_new_orders]
    for order in pending:
        if deadline is not None and perf_counter() > deadline:
            unassigned.append(order.order_id)
            continue
        if order.order_id in context.committed:
            # Part of it is on board, or its courier is riding to it: it is that courier's.
            best = _best_insertion(context, problem, order, routes, costs)
        else:
            candidates = _candidates(context, order, open_to_new, ends)
            best = _best_insertion(context, problem, order, routes, costs, candidates, deadline)
            if best is None:
                # None of the likeliest couriers can take it: any courier who can, rather
                # than leaving it for the next cycle (while time is left).
                others = [c for c in open_to_new if c not in candidates]
                best = _best_insertion(context, problem, order, routes, costs, others, deadline)
        if best is None:
            unassigned.append(order.order_id)
            continue
        added, courier_id, route = best
        routes[courier_id] = route
        costs[courier_id] += added
        ends[courier_id] = _end_of(context, couriers[courier_id], route)
    return DispatchPlan(routes, unassigned, sum(costs.values()))


def _best_insertion(
    context: "_Context",
    problem: DispatchProblem,
    order: OrderTask,
    routes: dict[int, list[PlannedStop]],
    costs: dict[int, int],
    candidates: list[CourierState] | None = None,
    deadline: float | None = None,
) -> tuple[int, int, list[PlannedStop]] | None:
    """The cheapest whole insertion over these couriers (default: the one the order is
    committed to), the best found so far once past ``deadline``.

    The stop a courier is riding to stays first in its route (the solver fixes it there);
    while the route does not start with it, only its order may be inserted, leading with it.
    """
    best: tuple[int, int, list[PlannedStop]] | None = None
    door = PlannedStop("dropoff", order.order_id, None, order.dropoff_location, 0)
    if candidates is None:
        owner = context.committed.get(order.order_id)
        candidates = [c for c in problem.couriers if c.courier_id == owner]
    for courier in candidates:
        if deadline is not None and perf_counter() > deadline:
            break
        route = routes[courier.courier_id]
        leading = bool(route) and _locked_stop_is(context, courier.courier_id, route[0])
        must_lead = courier.courier_id in context.locks and not leading
        if must_lead and context.committed.get(order.order_id) != courier.courier_id:
            continue
        first = 1 if leading else 0
        prefixes = _prefix_states(context, courier, route)
        for sequence in permutations(order.pickups):
            block = [
                PlannedStop("pickup", order.order_id, p.ticket_id, p.location, 0) for p in sequence
            ]
            for i in range(first, 1 if must_lead else len(route) + 1):
                prefix = prefixes[i]
                if prefix is None:
                    break
                for j in range(i, len(route) + 1):
                    tail = [*block, *route[i:j], door, *route[j:]]
                    if must_lead and not _locked_stop_is(context, courier.courier_id, tail[0]):
                        continue
                    cost, failed_at = _ride(context, courier, prefix, tail)
                    if failed_at is not None:
                        # Failing up to the door, a later door only fails sooner.
                        if failed_at <= len(block) + j - i:
                            break
                        continue
                    added = cost - costs[courier.courier_id]
                    if best is None or added < best[0]:
                        best = (added, courier.courier_id, route[:i] + tail)
    return best


def _kept_routes(context: "_Context", start: DispatchPlan | None) -> dict[int, list[PlannedStop]]:
    """The start plan's routes, keeping whole orders that still exist, where still feasible."""
    problem = context.problem
    routes: dict[int, list[PlannedStop]] = {c.courier_id: [] for c in problem.couriers}
    if start is None:
        return routes
    for courier in problem.couriers:
        route: list[PlannedStop] = []
        for stop in start.routes.get(courier.courier_id, []):
            order = context.orders.get(stop.order_id)
            if order is None:
                continue
            if stop.kind == "pickup":
                ticket = context.tickets.get(stop.ticket_id or -1)
                if ticket is None:
                    continue
                route.append(
                    PlannedStop("pickup", order.order_id, ticket.ticket_id, ticket.location, 0)
                )
            else:
                route.append(
                    PlannedStop("dropoff", order.order_id, None, order.dropoff_location, 0)
                )
        route = [s for s in route if _whole(context, route, s.order_id)]
        if not courier.takes_new_orders:
            # Its shift is closing: it keeps only the orders it carries or is riding to.
            route = [s for s in route if context.committed.get(s.order_id) == courier.courier_id]
        riding = courier.courier_id in context.locks
        if riding and route and not _locked_stop_is(context, courier.courier_id, route[0]):
            route = []  # built again around the stop it rides to
        feasible, _ = _simulate(context, courier, route)
        # An order dropped from the start is simply inserted again; carried food is re-added.
        routes[courier.courier_id] = route if feasible else []
    return routes


def _locked_stop_is(context: "_Context", courier_id: int, stop: PlannedStop) -> bool:
    """Is this the stop the courier is riding to now?"""
    lock = context.locks.get(courier_id)
    if lock is None:
        return False
    kind, ident = lock
    if stop.kind != kind:
        return False
    return (stop.ticket_id if kind == "pickup" else stop.order_id) == ident


def _whole(context: "_Context", route: list[PlannedStop], order_id: int) -> bool:
    """Every pickup the order still needs, then its door, all in this route."""
    order = context.orders[order_id]
    picked = {s.ticket_id for s in route if s.kind == "pickup" and s.order_id == order_id}
    doors = [s for s in route if s.kind == "dropoff" and s.order_id == order_id]
    return picked == {p.ticket_id for p in order.pickups} and len(doors) == 1


def _candidates(
    context: "_Context",
    order: OrderTask,
    open_to_new: list[CourierState],
    ends: dict[int, tuple[int, int]],
) -> list[CourierState]:
    """The couriers nearest the order's first kitchen now, and those who could be there
    soonest after the rounds they already have: busy couriers close by are not the only
    choice when others are free."""
    first = order.pickups[0].location
    travel = context.travel

    def distance(courier: CourierState) -> int:
        return travel[courier.profile][courier.location][first]

    def reach(courier: CourierState) -> int:
        moment, place = ends[courier.courier_id]
        return moment + travel[courier.profile][place][first]

    nearest = sorted(open_to_new, key=distance)[:CANDIDATE_COURIERS]
    soonest = sorted(open_to_new, key=reach)[:CANDIDATE_COURIERS]
    return list({c.courier_id: c for c in (*nearest, *soonest)}.values())


def _end_of(
    context: "_Context", courier: CourierState, route: list[PlannedStop]
) -> tuple[int, int]:
    """When and where the courier is free once its route is done (its start if infeasible)."""
    state: _State | None = _start_state(context, courier)
    for stop in route:
        assert state is not None
        state = _step(context, courier, state, stop, in_place=True)
        if state is None:
            return courier.available_s, courier.location
    assert state is not None
    return state[0] + state[5], state[1]


@dataclass(frozen=True)
class _Context:
    """What every simulation of one problem needs, computed once."""

    problem: DispatchProblem
    orders: dict[int, OrderTask]
    tickets: dict[int, PickupTask]
    on_board: dict[int, int]
    order_bags: dict[int, int]
    deadlines: dict[int, int]
    door_costs: dict[int, tuple[tuple[int, int], ...]]
    committed: dict[int, int]
    """Per order, the courier every plan must give it to (see committed_couriers)."""
    locks: dict[int, tuple[str, int]]
    """Per courier riding to a stop of this problem, that stop (its route must start there)."""
    travel: dict[str, list[list[int]]]
    """The matrices as nested lists: indexing them is several times faster than numpy's."""

    @classmethod
    def of(cls, problem: DispatchProblem) -> "_Context":
        tickets = {t.ticket_id: t for o in problem.orders for t in o.pickups}
        orders = {o.order_id: o for o in problem.orders}
        on_board: dict[int, int] = {}
        for o in problem.orders:
            if o.courier_id is not None:
                on_board[o.courier_id] = on_board.get(o.courier_id, 0) + sum(
                    t.bags for t in o.onboard
                )
        return cls(
            problem,
            orders,
            tickets,
            on_board,
            {o.order_id: sum(t.bags for t in (*o.pickups, *o.onboard)) for o in problem.orders},
            {o.order_id: door_deadline(o) for o in problem.orders},
            {o.order_id: soft_due(o, problem.objective) for o in problem.orders},
            committed_couriers(problem),
            {
                c.courier_id: c.locked_next
                for c in problem.couriers
                if c.locked_next is not None
                and (
                    c.locked_next[1] in tickets
                    if c.locked_next[0] == "pickup"
                    else c.locked_next[1] in orders
                )
            },
            {
                profile: problem.travel_s[profile].tolist()
                for profile in {c.profile for c in problem.couriers}
            },
        )


def simulate(
    problem: DispatchProblem, courier: CourierState, route: list[PlannedStop]
) -> tuple[bool, int]:
    """Ride a route as the solver's model would: is it feasible, and what does it cost?"""
    return _simulate(_Context.of(problem), courier, route)


_State = tuple[int, int, int, int, dict[int, int], int]
"""(moment, place, bags carried, cost so far, pickup moment per ticket, pickup service still
owed at this counter) after some stops. The counter's service is owed until the courier
leaves: bags collected in a row at one counter are one visit, as in the solver."""


def _start_state(context: "_Context", courier: CourierState) -> _State:
    return (
        courier.available_s,
        courier.location,
        context.on_board.get(courier.courier_id, 0),
        0,
        {},
        0,
    )


def _prefix_states(
    context: "_Context", courier: CourierState, route: list[PlannedStop]
) -> list[_State | None]:
    """The state before each position of the route (None once it has failed)."""
    states: list[_State | None] = [_start_state(context, courier)]
    for stop in route:
        previous = states[-1]
        if previous is None:
            states.append(None)
            continue
        state = _step(context, courier, previous, stop)
        states.append(state)
    return states


def _simulate(
    context: _Context, courier: CourierState, route: list[PlannedStop]
) -> tuple[bool, int]:
    cost, failed_at = _ride(context, courier, _start_state(context, courier), route)
    return (failed_at is None, cost if failed_at is None else 0)


def _ride(
    context: "_Context", courier: CourierState, state: _State, stops: list[PlannedStop]
) -> tuple[int, int | None]:
    """Ride on from a state: the cost, and the index of the first stop that broke a rule."""
    current: _State | None = (state[0], state[1], state[2], state[3], dict(state[4]), state[5])
    for index, stop in enumerate(stops):
        assert current is not None
        current = _step(context, courier, current, stop, in_place=True)
        if current is None:
            return 0, index
    assert current is not None
    return current[3], None


def _step(
    context: "_Context",
    courier: CourierState,
    state: _State,
    stop: PlannedStop,
    *,
    in_place: bool = False,
) -> _State | None:
    problem = context.problem
    moment, here, load, cost, picked, owed = state
    same_counter = owed and stop.kind == "pickup" and stop.location == here
    if not same_counter:
        ride = context.travel[courier.profile][here][stop.location]
        cost += ride
        moment += owed + ride
        owed = 0
    if stop.kind == "pickup":
        assert stop.ticket_id is not None
        ticket = context.tickets[stop.ticket_id]
        if ticket.cooking and moment > ticket.ready_s:
            cost += (moment - max(0, ticket.ready_s)) * WAITING_FOOD_COST_PER_S
        moment = max(moment, ticket.ready_s)
        last_pickup = courier.last_pickup_s
        if last_pickup is not None and moment > last_pickup:
            return None
        if not in_place:
            picked = dict(picked)
        picked[ticket.ticket_id] = moment
        load += ticket.bags
        if load > courier.capacity:
            return None
        owed = problem.pickup_service_s
    else:
        order = context.orders[stop.order_id]
        moment = max(moment, order.earliest_s)  # a scheduled slot: wait at the door
        late_beyond_rules = not order.onboard and moment > context.deadlines[order.order_id]
        if late_beyond_rules or moment > courier.shift_end_s:
            return None
        for ticket in order.pickups:
            at = picked.get(ticket.ticket_id)
            if at is None or moment - at > order.freshness_s:
                return None
        for due, cost_per_s in context.door_costs[order.order_id]:
            cost += max(0, moment - due) * cost_per_s
        load -= context.order_bags[order.order_id]
        moment += problem.dropoff_service_s
    return (moment, stop.location, load, cost, picked, owed)
