"""A first plan built order by order, each order inserted whole into one courier's route.

OR-Tools' insertion heuristics place one pickup-and-delivery pair at a time, and a pair of a
multi-kitchen order cannot be placed alone under the same-courier constraint: such orders
were all left out. Inserting whole orders here, then handing the plan to the solver as its
start, keeps them in.
"""

from dataclasses import dataclass
from itertools import permutations

from dispatch.solver_model import (
    LATENESS_COST_PER_S,
    CourierState,
    DispatchPlan,
    DispatchProblem,
    OrderTask,
    PickupTask,
    PlannedStop,
)

CANDIDATE_COURIERS = 8
"""Couriers tried per order: the nearest to its first kitchen."""


def greedy_plan(problem: DispatchProblem) -> DispatchPlan:
    context = _Context.of(problem)
    routes: dict[int, list[PlannedStop]] = {c.courier_id: [] for c in problem.couriers}
    costs = {c.courier_id: 0 for c in problem.couriers}
    unassigned: list[int] = []
    couriers = {c.courier_id: c for c in problem.couriers}
    # Food already on board goes first to its courier's route, in the order carried.
    for order in problem.orders:
        if order.onboard and order.courier_id in routes and not order.pickups:
            routes[order.courier_id].append(
                PlannedStop("dropoff", order.order_id, None, order.dropoff_location, 0)
            )
    for courier_id, route in routes.items():
        feasible, cost = _simulate(context, couriers[courier_id], route)
        costs[courier_id] = cost if feasible else 0
    pending = [o for o in problem.orders if o.pickups]
    pending.sort(key=lambda o: (min(p.ready_s for p in o.pickups), o.placed_s))
    for order in pending:
        best: tuple[int, int, list[PlannedStop]] | None = None
        for courier in _candidates(problem, order):
            route = routes[courier.courier_id]
            for sequence in permutations(order.pickups):
                block = [
                    PlannedStop("pickup", order.order_id, p.ticket_id, p.location, 0)
                    for p in sequence
                ]
                door = PlannedStop("dropoff", order.order_id, None, order.dropoff_location, 0)
                for i in range(len(route) + 1):
                    for j in range(i, len(route) + 1):
                        candidate = route[:i] + block + route[i:j] + [door] + route[j:]
                        feasible, cost = _simulate(context, courier, candidate)
                        if not feasible:
                            continue
                        added = cost - costs[courier.courier_id]
                        if best is None or added < best[0]:
                            best = (added, courier.courier_id, candidate)
        if best is None:
            unassigned.append(order.order_id)
            continue
        added, courier_id, route = best
        routes[courier_id] = route
        costs[courier_id] += added
    return DispatchPlan(routes, unassigned, sum(costs.values()))


def _candidates(problem: DispatchProblem, order: OrderTask) -> list[CourierState]:
    first = order.pickups[0].location
    if order.onboard and order.courier_id is not None:
        return [c for c in problem.couriers if c.courier_id == order.courier_id]

    def distance(courier: CourierState) -> int:
        return int(problem.travel_s[courier.profile][courier.location, first])

    return sorted(problem.couriers, key=distance)[:CANDIDATE_COURIERS]


@dataclass(frozen=True)
class _Context:
    """What every simulation of one problem needs, computed once."""

    problem: DispatchProblem
    orders: dict[int, OrderTask]
    tickets: dict[int, PickupTask]
    on_board: dict[int, int]

    @classmethod
    def of(cls, problem: DispatchProblem) -> "_Context":
        on_board: dict[int, int] = {}
        for o in problem.orders:
            if o.courier_id is not None:
                on_board[o.courier_id] = on_board.get(o.courier_id, 0) + sum(
                    t.bags for t in o.onboard
                )
        return cls(
            problem,
            {o.order_id: o for o in problem.orders},
            {t.ticket_id: t for o in problem.orders for t in o.pickups},
            on_board,
        )


def simulate(
    problem: DispatchProblem, courier: CourierState, route: list[PlannedStop]
) -> tuple[bool, int]:
    """Ride a route as the solver's model would: is it feasible, and what does it cost?"""
    return _simulate(_Context.of(problem), courier, route)


def _simulate(
    context: _Context, courier: CourierState, route: list[PlannedStop]
) -> tuple[bool, int]:
    problem, orders = context.problem, context.orders
    travel = problem.travel_s[courier.profile]
    moment, here = courier.available_s, courier.location
    load = context.on_board.get(courier.courier_id, 0)
    picked: dict[int, int] = {}
    cost = 0
    for stop in route:
        ride = int(travel[here, stop.location])
        cost += ride
        moment += ride
        order = orders[stop.order_id]
        if stop.kind == "pickup":
            assert stop.ticket_id is not None
            ticket = context.tickets[stop.ticket_id]
            moment = max(moment, ticket.ready_s)
            picked[ticket.ticket_id] = moment
            load += ticket.bags
            if load > courier.capacity:
                return False, 0
            moment += problem.pickup_service_s
        else:
            if moment > order.placed_s + order.hard_max_s:
                return False, 0
            for ticket in order.pickups:
                if (
                    ticket.ticket_id not in picked
                    or moment - picked[ticket.ticket_id] > order.freshness_s
                ):
                    return False, 0
            if order.picked_up_s is not None and moment - order.picked_up_s > order.freshness_s:
                return False, 0
            cost += max(0, moment - order.promised_s) * LATENESS_COST_PER_S
            load -= sum(t.bags for t in (*order.pickups, *order.onboard))
            if moment > courier.shift_end_s:
                return False, 0
            moment += problem.dropoff_service_s
        here = stop.location
    return True, cost
