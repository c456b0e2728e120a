"""Delivery rounds with OR-Tools: a pickup-and-delivery problem with time windows.

Pure: plain data in, plain data out. An order with k kitchens becomes k pickup -> drop-off
pairs whose drop-offs are copies of one door (zero travel between them), all on one courier
and delivered together: a single drop-off node shared by several pairs crashes or starves
OR-Tools' insertion heuristics. Times are seconds from a reference moment chosen by the caller.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from time import perf_counter
from typing import Any, Final

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from dispatch.construction import greedy_plan
from dispatch.solver_model import (
    DROP_PENALTY,
    HARD_MAX_S,
    WAITING_FOOD_COST_PER_S,
    CourierState,
    DispatchPlan,
    DispatchProblem,
    OrderTask,
    PickupTask,
    PlannedStop,
    committed_couriers,
    door_deadline,
    ride_limit,
    soft_due,
)

__all__ = [
    "HARD_MAX_S",
    "CourierState",
    "DispatchPlan",
    "DispatchProblem",
    "OrderTask",
    "PickupTask",
    "PlannedStop",
    "solve",
]


CONSTRUCTION_SHARE: Final = 0.7
"""At most this share of the time limit goes to inserting new orders whole."""
MIN_SEARCH_MS: Final = 50
SCRATCH_SEARCH_SHARE: Final = 0.5
"""Without a start, the search gets at least this share of the time limit, even past it."""

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Node:
    kind: str
    order: OrderTask
    ticket: PickupTask | None
    location: int


PlanListener = Callable[[DispatchPlan], None]
"""Told each better plan as the search finds it (dispatch.guard streams them out)."""
REPORT_EVERY_S: Final = 0.2
"""A listener hears of a better plan at most this often: reading one out costs milliseconds."""


class _LiveSolution:
    """The search's current solution, read the way a final Assignment is (in a callback the
    variables themselves hold the solution's values)."""

    def __init__(self, routing: pywrapcp.RoutingModel) -> None:
        self.routing = routing

    def Value(self, variable: Any) -> int:  # noqa: N802 (OR-Tools' name)
        return int(variable.Value())

    def Min(self, variable: Any) -> int:  # noqa: N802
        return int(variable.Min())

    def ObjectiveValue(self) -> int:  # noqa: N802
        return int(self.routing.CostVar().Value())


def solve(
    problem: DispatchProblem,
    warm_start: DispatchPlan | None = None,
    on_plan: PlanListener | None = None,
) -> DispatchPlan:
    """The best plan found within the time limit; from a warm start, never a worse one.

    ``on_plan`` hears of the start and of better plans as they are found, so that a caller
    that must stop the search at a deadline (OR-Tools does not always check its own time
    limit, and holds the GIL meanwhile) still has the best plan so far.

    The limit covers everything: building the model, the whole-order start (at most
    CONSTRUCTION_SHARE of it) and the local search that improves it.
    """
    began = perf_counter()
    couriers = list(problem.couriers)
    if not couriers:
        # No one to plan for (and no vehicle's streets to measure a ride on): all wait.
        return DispatchPlan({}, [o.order_id for o in problem.orders], 0)
    problem = replace(
        problem,
        orders=[
            replace(o, freshness_s=ride_limit(o, problem.travel_s, problem.pickup_service_s))
            for o in problem.orders
        ],
    )
    by_courier = {c.courier_id: v for v, c in enumerate(couriers)}
    nodes: list[_Node] = []
    locations = [c.location for c in couriers] + [0]  # starts, then the open end
    end_node = len(couriers)
    pairs: list[tuple[int, int]] = []
    order_nodes: dict[int, list[int]] = {}
    onboard_nodes: dict[int, tuple[int, list[int]]] = {}
    base = len(locations)
    for order in problem.orders:
        own: list[int] = []
        for ticket in order.pickups:
            pickup, dropoff = base + len(nodes), base + len(nodes) + 1
            nodes += [
                _Node("pickup", order, ticket, ticket.location),
                _Node("dropoff", order, ticket, order.dropoff_location),
            ]
            pairs.append((pickup, dropoff))
            own += [pickup, dropoff]
        carried: list[int] = []
        for ticket in order.onboard:
            dropoff = base + len(nodes)
            nodes.append(_Node("dropoff", order, ticket, order.dropoff_location))
            carried.append(dropoff)
        # OR-Tools takes one soft bound per node: an order with more bounds than door copies
        # gets empty copies to hold the others.
        copies = len(order.pickups) + len(order.onboard)
        for _ in range(len(soft_due(order, problem.objective)) - copies):
            carried.append(base + len(nodes))
            nodes.append(_Node("dropoff", order, None, order.dropoff_location))
        if carried:
            assert order.courier_id is not None, "on-board food needs its courier"
            onboard_nodes[order.order_id] = (by_courier[order.courier_id], carried)
        order_nodes[order.order_id] = own + carried
    locations += [n.location for n in nodes]
    node_count = len(locations)

    manager = pywrapcp.RoutingIndexManager(
        node_count, len(couriers), list(range(len(couriers))), [end_node] * len(couriers)
    )
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()

    service = np.zeros(node_count, dtype=np.int64)
    for i, node in enumerate(nodes, start=base):
        service[i] = (
            problem.pickup_service_s if node.kind == "pickup" else problem.dropoff_service_s
        )
    counter_visits: dict[int, list[int]] = {}
    for i, node in enumerate(nodes, start=base):
        if node.kind == "pickup":
            counter_visits.setdefault(node.location, []).append(i)
    transit_by_profile: dict[str, int] = {}
    for profile in {c.profile for c in couriers}:
        travel = np.asarray(problem.travel_s[profile], dtype=np.int64)
        matrix = travel[np.ix_(locations, locations)] + service[:, None]
        matrix[:, end_node] = 0  # routes end wherever the last drop-off is
        matrix[end_node, :] = 0
        # Bags collected at one counter in a row are one visit: one service, after the last.
        for group in counter_visits.values():
            if len(group) > 1:
                matrix[np.ix_(group, group)] = 0
        # Drop-off copies of one order are one door: no ride and one service between them.
        for own in order_nodes.values():
            drops = [n for n in own if nodes[n - base].kind == "dropoff"]
            for a in drops:
                for b in drops:
                    if a != b:
                        matrix[a, b] = 0
        transit_by_profile[profile] = routing.RegisterTransitMatrix(matrix.tolist())
    for v, courier in enumerate(couriers):
        routing.SetArcCostEvaluatorOfVehicle(transit_by_profile[courier.profile], v)

    # Every bound set below must fit in the horizon: one that does not fails the whole model.
    horizon = (
        max(
            [c.shift_end_s for c in couriers]
            + [c.available_s for c in couriers]
            + [door_deadline(o) for o in problem.orders]
            + [o.earliest_s for o in problem.orders]
            + [t.ready_s for o in problem.orders for t in o.pickups]
        )
        + 3600
    )
    routing.AddDimensionWithVehicleTransits(
        [transit_by_profile[c.profile] for c in couriers], horizon, horizon, False, "time"
    )
    time = routing.GetDimensionOrDie("time")
    bags = [0] * node_count
    for i, node in enumerate(nodes, start=base):
        if node.ticket is None:
            continue  # an empty door copy (see above)
        # A drop-off unloads its ticket's bags; on-board ones are in the start load below.
        bags[i] = node.ticket.bags if node.kind == "pickup" else -node.ticket.bags
    demand = routing.RegisterUnaryTransitVector(bags)
    bags_on_board = {
        c.courier_id: sum(
            t.bags for o in problem.orders if o.courier_id == c.courier_id for t in o.onboard
        )
        for c in couriers
    }
    routing.AddDimensionWithVehicleCapacity(
        demand,
        0,
        [max(c.capacity, bags_on_board[c.courier_id]) for c in couriers],
        False,
        "bags",
    )
    load = routing.GetDimensionOrDie("bags")

    for v, courier in enumerate(couriers):
        start = routing.Start(v)
        time.CumulVar(start).SetRange(courier.available_s, courier.available_s)
        # A courier still busy at its shift end (a last drop-off) goes home after it: a bound
        # before its start would make the whole model impossible.
        time.CumulVar(routing.End(v)).SetMax(max(courier.shift_end_s, courier.available_s))
        load.CumulVar(start).SetValue(bags_on_board[courier.courier_id])
        routing.AddVariableMinimizedByFinalizer(time.CumulVar(routing.End(v)))

    closing = [v for v, c in enumerate(couriers) if not c.takes_new_orders]
    committed = committed_couriers(problem)
    # Per courier, when its pickups must have started (index 0: the pickup is not performed).
    pickup_bounds = [horizon] + [
        c.shift_end_s if c.last_pickup_s is None else max(0, c.last_pickup_s) for c in couriers
    ]
    bound_pickups = any(c.last_pickup_s is not None for c in couriers)
    for pickup, dropoff in pairs:
        p, d = manager.NodeToIndex(pickup), manager.NodeToIndex(dropoff)
        routing.AddPickupAndDelivery(p, d)
        owner = committed.get(nodes[pickup - base].order.order_id)
        for v in closing:
            if couriers[v].courier_id != owner:
                routing.VehicleVar(p).RemoveValue(v)
        solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
        solver.Add(time.CumulVar(p) <= time.CumulVar(d))
        node = nodes[pickup - base]
        assert node.ticket is not None
        time.CumulVar(p).SetMin(node.ticket.ready_s)
        if node.ticket.cooking:
            time.SetCumulVarSoftUpperBound(p, max(0, node.ticket.ready_s), WAITING_FOOD_COST_PER_S)
        if bound_pickups:
            shift_of_courier = solver.Element(pickup_bounds, (routing.VehicleVar(p) + 1).Var())
            solver.Add(time.CumulVar(p) <= shift_of_courier)
        solver.Add(time.CumulVar(d) - time.CumulVar(p) <= node.order.freshness_s)

    for order in problem.orders:
        own = [manager.NodeToIndex(n) for n in order_nodes[order.order_id]]
        if not own:
            continue
        drops = [
            i
            for i, n in zip(own, order_nodes[order.order_id], strict=True)
            if nodes[n - base].kind == "dropoff"
        ]
        for index in own[1:]:
            solver.Add(routing.VehicleVar(index) == routing.VehicleVar(own[0]))
        for index in drops[1:]:
            solver.Add(time.CumulVar(index) == time.CumulVar(drops[0]))
        deadline = door_deadline(order)
        for index in drops:
            # An impossible pair of bounds would fail the whole model, not just this order.
            time.CumulVar(index).SetMin(min(order.earliest_s, deadline))
            if not order.onboard:  # carried food is delivered however late (see soft_due)
                time.CumulVar(index).SetMax(deadline)
        for index, (due, cost_per_s) in zip(
            drops, soft_due(order, problem.objective), strict=False
        ):
            time.SetCumulVarSoftUpperBound(index, due, cost_per_s)
        if order.order_id in onboard_nodes:
            vehicle, carried = onboard_nodes[order.order_id]
            for n in carried:
                routing.VehicleVar(manager.NodeToIndex(n)).SetValue(vehicle)
        else:
            # Every node of the order may be left out, each at the penalty; the same-courier
            # constraints above make it all of them or none.
            for node_number in order_nodes[order.order_id]:
                routing.AddDisjunction([manager.NodeToIndex(node_number)], DROP_PENALTY)

    for v, courier in enumerate(couriers):
        if courier.locked_next is None:
            continue
        kind, ident = courier.locked_next
        target = next(
            (
                i
                for i, n in enumerate(nodes, start=base)
                if n.kind == kind
                and (
                    n.ticket is not None and n.ticket.ticket_id == ident
                    if kind == "pickup"
                    else n.order.order_id == ident
                )
            ),
            None,
        )
        if target is not None:
            routing.NextVar(routing.Start(v)).SetValue(manager.NodeToIndex(target))

    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
    )
    parameters.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )

    # Start from the previous plan, extended with the new orders inserted whole (see
    # construction): OR-Tools alone cannot place half of a multi-kitchen order.
    construction_deadline = began + problem.time_limit_s * CONSTRUCTION_SHARE
    start = greedy_plan(problem, warm_start, deadline=construction_deadline, rebuild=True)
    solution = None
    routes = _routes_of(start, couriers, nodes, base)
    initial = (
        routing.ReadAssignmentFromRoutes(
            [[manager.NodeToIndex(node) for node in route] for route in routes], True
        )
        if routes is not None
        else None
    )
    if on_plan is not None:
        if initial is not None:
            on_plan(start)
        reported = [perf_counter()]

        def report() -> None:
            if perf_counter() - reported[0] >= REPORT_EVERY_S:
                reported[0] = perf_counter()
                live = _LiveSolution(routing)
                on_plan(_plan(routing, manager, live, time, couriers, nodes, base, problem))

        routing.AddAtSolutionCallback(report)
    remaining = problem.time_limit_s - (perf_counter() - began)
    if initial is None:
        # A start the model refuses is a disagreement between the two models (a bug), and a
        # multi-kitchen order is hard to place from scratch: give that search real time.
        if routes is not None:
            logger.warning("solver refused the whole-order start; searching from scratch")
        remaining = max(remaining, problem.time_limit_s * SCRATCH_SEARCH_SHARE)
    parameters.time_limit.FromMilliseconds(max(MIN_SEARCH_MS, int(remaining * 1000)))
    if initial is not None:
        solution = routing.SolveFromAssignmentWithParameters(initial, parameters)
    if solution is None:
        solution = routing.SolveWithParameters(parameters)
    if solution is None:
        return DispatchPlan(
            {c.courier_id: [] for c in couriers},
            [o.order_id for o in problem.orders],
            0,
            found=False,
        )
    return _plan(routing, manager, solution, time, couriers, nodes, base, problem)


def _routes_of(
    plan: DispatchPlan, couriers: list[CourierState], nodes: list[_Node], base: int
) -> list[list[int]] | None:
    """A previous plan as routes of this problem's nodes, or None if it no longer fits."""
    pickup_node = {
        n.ticket.ticket_id: i
        for i, n in enumerate(nodes, start=base)
        if n.kind == "pickup" and n.ticket
    }
    drop_nodes: dict[int, list[int]] = {}
    for i, n in enumerate(nodes, start=base):
        if n.kind == "dropoff":
            drop_nodes.setdefault(n.order.order_id, []).append(i)
    routes = []
    for courier in couriers:
        route: list[int] = []
        for stop in plan.routes.get(courier.courier_id, []):
            if stop.kind == "pickup":
                if stop.ticket_id not in pickup_node:
                    return None
                route.append(pickup_node[stop.ticket_id])
            else:
                if stop.order_id not in drop_nodes:
                    return None
                route += drop_nodes[stop.order_id]
        routes.append(route)
    return routes


def _plan(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    solution: pywrapcp.Assignment,
    time: pywrapcp.RoutingDimension,
    couriers: list[CourierState],
    nodes: list[_Node],
    base: int,
    problem: DispatchProblem,
) -> DispatchPlan:
    routes: dict[int, list[PlannedStop]] = {}
    served: set[int] = set()
    late: list[int] = []
    for v, courier in enumerate(couriers):
        stops: list[PlannedStop] = []
        index = solution.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(index):
            node = nodes[manager.IndexToNode(index) - base]
            eta = solution.Min(time.CumulVar(index))
            if node.kind == "pickup":
                assert node.ticket is not None
                stops.append(
                    PlannedStop(
                        "pickup", node.order.order_id, node.ticket.ticket_id, node.location, eta
                    )
                )
            elif (
                not stops
                or stops[-1].kind != "dropoff"
                or stops[-1].order_id != node.order.order_id
            ):
                stops.append(PlannedStop("dropoff", node.order.order_id, None, node.location, eta))
                if eta > node.order.promised_s:
                    late.append(node.order.order_id)
            served.add(node.order.order_id)
            index = solution.Value(routing.NextVar(index))
        routes[courier.courier_id] = stops
    unassigned = [o.order_id for o in problem.orders if o.order_id not in served]
    return DispatchPlan(routes, unassigned, solution.ObjectiveValue(), late)
