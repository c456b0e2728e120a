"""Delivery rounds: our compiled search first, then OR-Tools' routing model polishes its plan.

Pure: plain data in, plain data out. Times are seconds from a reference moment chosen by the
caller. In OR-Tools' model an order with k kitchens becomes k pickup -> drop-off pairs whose
drop-offs are copies of one door (zero travel between them, visited in a row), all on one
courier and delivered together: a single drop-off node shared by several pairs crashes or
starves OR-Tools' insertion heuristics. Our search (rounds) reads the same rules from
the same arrays (round_problem); tests/test_rounds.py proves the two agree.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from time import perf_counter
from typing import Any, Final

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from dispatch.planning import round_problem, rounds
from dispatch.planning.problem import (
    DROP_PENALTY,
    HARD_MAX_S,
    WAITING_FOOD_COST_PER_S,
    CourierState,
    DispatchPlan,
    DispatchProblem,
    OrderTask,
    PickupTask,
    PlannedStop,
    StopKind,
    Unplaced,
    committed_couriers,
    door_deadline,
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


SEARCH_SHARE: Final = 0.6
"""Of the time limit, what our search takes; OR-Tools polishes its plan in the rest."""
BUILD_SHARE: Final = 0.9
"""A first plan of a large snapshot may take this much of the limit (then no search)."""
MIN_POLISH_S: Final = 0.05
MIN_SEARCH_MS: Final = 20
BUILD_SLICE: Final = 50
"""Orders inserted per call into compiled code while building, between looks at the clock."""
SLICE_ITERATIONS: Final = 20
"""Ruin-and-recreate iterations per call into compiled code, between looks at the clock."""
HOT: Final = 60.0
COLD: Final = 1.0
"""Simulated annealing's temperatures, in the objective's units (about seconds)."""
COOLING_PER_SLICE: Final = 0.98
SEED: Final = 1
"""The search is random but repeatable: one problem, one plan."""

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Node:
    kind: StopKind
    order: OrderTask
    ticket: PickupTask | None
    location: int


PlanListener = Callable[[DispatchPlan], None]
"""Told each better plan as the search finds it (dispatch.planning.guard streams them out)."""
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

    Our compiled search (rounds) plans first, for SEARCH_SHARE of the limit; OR-Tools
    then takes that plan as its start, checks it against its own model and polishes it with
    guided local search for the rest. ``on_plan`` hears of our plan and of better ones as they
    are found, so that a caller that must stop at a deadline (OR-Tools does not always check
    its own time limit, and holds the GIL meanwhile) still has the best plan so far.
    """
    began = perf_counter()
    if not problem.couriers:
        # No one to plan for (and no vehicle's streets to measure a ride on): all wait.
        waiting = [o.order_id for o in problem.orders]
        return DispatchPlan({}, waiting, 0, reasons=dict.fromkeys(waiting, Unplaced.NO_COURIER))
    layout = round_problem.layout(problem)
    state = rounds.empty_rounds(layout.arrays)
    if warm_start is not None:
        rounds.keep(layout.arrays, state, *round_problem.routes_from(layout, warm_start))
    kept = len(problem.orders) - int(state.absent[0])
    limit = problem.time_limit_s * warm_share(kept, len(problem.orders))
    ours = _search(layout, state, began + limit * BUILD_SHARE, began + limit * SEARCH_SHARE)
    ours = round_problem.with_reasons(layout, ours)
    if on_plan is not None:
        on_plan(ours)
    left = limit - (perf_counter() - began)
    if left < MIN_POLISH_S + model_seconds(problem):
        # Too large for OR-Tools' model to be built in the time left: our plan stands (the
        # property tests of tests/test_rounds.py hold it to the same rules).
        return ours
    polished = _polish(layout, ours, began + limit, on_plan)
    return polished if polished is ours else round_problem.with_reasons(layout, polished)


WARM_KEPT_WEIGHT: Final = 0.3
"""An order kept from the previous plan needs this share of a new order's search time."""


def warm_share(kept: int, orders: int) -> float:
    """The share of the time limit a re-plan takes when ``kept`` orders keep their place."""
    if orders == 0:
        return 1.0
    return (orders - kept + WARM_KEPT_WEIGHT * kept) / orders


MODEL_SECONDS_PER_CELL: Final = 6e-8
MODEL_SECONDS_PER_NODE: Final = 1.5e-4
"""Building OR-Tools' model, measured here: each profile's matrix crosses into C++ cell by
cell (1,000 orders, three profiles: 1.6 s of its 2 s)."""


def model_seconds(problem: DispatchProblem) -> float:
    """About how long OR-Tools' model of this problem takes to build."""
    nodes = len(problem.couriers) + 1
    for order in problem.orders:
        nodes += len(order.pickups) + round_problem.door_copies(order, problem.objective)
    profiles = len({c.profile for c in problem.couriers})
    return nodes * nodes * profiles * MODEL_SECONDS_PER_CELL + nodes * MODEL_SECONDS_PER_NODE


def _search(
    layout: round_problem.Layout, state: rounds.Rounds, build_by: float, deadline: float
) -> DispatchPlan:
    """Our plan: from ``state`` (the previous plan's routes kept where they still hold),
    every other order inserted whole (until ``build_by``), then ruin and recreate under
    simulated annealing until ``deadline``."""
    arrays = layout.arrays
    rounds.seed(SEED)
    pending = rounds.take_absent(arrays, state)
    for at in range(0, len(pending), BUILD_SLICE):
        # The first slice goes in whatever the clock says: a process starved of the processor
        # until past its build time (a loaded machine) would otherwise plan nothing at all.
        if at and perf_counter() >= build_by:
            # Out of time: the rest wait for the next cycle (the guard still gets a plan).
            rounds.leave_absent(state, pending[at:])
            break
        rounds.insert(arrays, state, pending[at : at + BUILD_SLICE])
    best = rounds.copy_rounds(state)
    trial = rounds.copy_rounds(state)
    began = perf_counter()
    span = max(1e-3, deadline - began)
    while (now := perf_counter()) < deadline:
        done = (now - began) / span
        hot = HOT * (COLD / HOT) ** done
        rounds.anneal(arrays, state, best, trial, SLICE_ITERATIONS, hot, hot * COOLING_PER_SLICE)
    return round_problem.plan_of(layout, best)


def _polish(
    layout: round_problem.Layout,
    ours: DispatchPlan,
    finish_by: float,
    on_plan: PlanListener | None,
) -> DispatchPlan:
    """OR-Tools, started from our plan: its result, never worse than the start."""
    model = OrToolsModel(layout)
    initial = model.read(ours)
    if initial is None:
        # Our search and this model read the same rules: a refusal is a bug to fix.
        logger.warning("OR-Tools refused our plan: the two models disagree")
        return ours
    polished = model.search(initial, finish_by - perf_counter(), on_plan)
    if polished is None or polished.objective > ours.objective:
        return ours
    return polished


class OrToolsModel:
    """The rules as OR-Tools' routing model: nodes, dimensions and constraints."""

    def __init__(self, layout: round_problem.Layout) -> None:
        """The layout's problem (its orders carry their ride limits), bounded by the layout's
        arrays: the same capacities, shift ends, last pickups and door windows our search
        reads."""
        self.layout, self.problem, self.arrays = layout, layout.problem, layout.arrays
        self.couriers = list(self.problem.couriers)
        self.vehicle_of = {c.courier_id: v for v, c in enumerate(self.couriers)}
        self.committed = committed_couriers(self.problem)
        self._lay_out_nodes()
        self.manager = pywrapcp.RoutingIndexManager(
            len(self.locations),
            len(self.couriers),
            list(range(len(self.couriers))),
            [self.end_node] * len(self.couriers),
        )
        self.routing = pywrapcp.RoutingModel(self.manager)
        self.solver = self.routing.solver()
        transits = self._register_rides()
        self._add_time(transits)
        self._add_bags()
        self._add_pairs()
        for order in self.problem.orders:
            self._add_order(order)
        self._lock_next_stops()

    def _lay_out_nodes(self) -> None:
        """Node numbers: couriers' starts, the open end, then per order a pickup and a door
        copy per ticket to collect, a door copy per bag on board, and empty copies."""
        by_courier = self.vehicle_of
        self.nodes: list[_Node] = []
        self.end_node = len(self.couriers)
        self.base = self.end_node + 1
        self.pairs: list[tuple[int, int]] = []
        self.order_nodes: dict[int, list[int]] = {}
        self.onboard_nodes: dict[int, tuple[int, list[int]]] = {}
        base, nodes = self.base, self.nodes
        for order in self.problem.orders:
            own: list[int] = []
            for ticket in order.pickups:
                pickup, dropoff = base + len(nodes), base + len(nodes) + 1
                nodes += [
                    _Node("pickup", order, ticket, ticket.location),
                    _Node("dropoff", order, ticket, order.dropoff_location),
                ]
                self.pairs.append((pickup, dropoff))
                own += [pickup, dropoff]
            carried: list[int] = []
            for ticket in order.onboard:
                carried.append(base + len(nodes))
                nodes.append(_Node("dropoff", order, ticket, order.dropoff_location))
            # OR-Tools takes one soft bound per node: an order with more bounds than door copies
            # gets empty copies to hold the others (with its courier when one carries it).
            copies = len(order.pickups) + len(order.onboard)
            for _ in range(len(soft_due(order, self.problem.objective)) - copies):
                (carried if order.onboard else own).append(base + len(nodes))
                nodes.append(_Node("dropoff", order, None, order.dropoff_location))
            if carried:
                assert order.courier_id is not None, "on-board food needs its courier"
                self.onboard_nodes[order.order_id] = (by_courier[order.courier_id], carried)
            self.order_nodes[order.order_id] = own + carried
        # Starts, then the open end (anywhere), then the nodes.
        self.locations = [c.location for c in self.couriers] + [0] + [n.location for n in nodes]

    def _register_rides(self) -> dict[str, int]:
        """Per profile, the ride plus the service of the stop left, as a transit callback."""
        problem, nodes, base, end_node = self.problem, self.nodes, self.base, self.end_node
        locations = self.locations
        service = np.zeros(len(locations), dtype=np.int64)
        for i, node in enumerate(nodes, start=base):
            service[i] = (
                problem.pickup_service_s if node.kind == "pickup" else problem.dropoff_service_s
            )
        counter_visits: dict[int, list[int]] = {}
        for i, node in enumerate(nodes, start=base):
            if node.kind == "pickup":
                counter_visits.setdefault(node.location, []).append(i)
        transit_by_profile: dict[str, int] = {}
        for profile in {c.profile for c in self.couriers}:
            travel = np.asarray(problem.travel_s[profile], dtype=np.int64)
            matrix = travel[np.ix_(locations, locations)] + service[:, None]
            matrix[:, end_node] = 0  # routes end wherever the last drop-off is
            matrix[end_node, :] = 0
            # Bags collected at one counter in a row are one visit: one service, after the last.
            for group in counter_visits.values():
                if len(group) > 1:
                    matrix[np.ix_(group, group)] = 0
            # Drop-off copies of one order are one door: no ride and one service between them.
            for own in self.order_nodes.values():
                drops = [n for n in own if nodes[n - base].kind == "dropoff"]
                for a in drops:
                    for b in drops:
                        if a != b:
                            matrix[a, b] = 0
            transit_by_profile[profile] = self.routing.RegisterTransitMatrix(matrix.tolist())
        for v, courier in enumerate(self.couriers):
            self.routing.SetArcCostEvaluatorOfVehicle(transit_by_profile[courier.profile], v)
        return transit_by_profile

    def _add_time(self, transit_by_profile: dict[str, int]) -> None:
        """The time dimension: couriers leave when available and end by their shift end."""
        problem, couriers, routing = self.problem, self.couriers, self.routing
        # Every bound set below must fit in the horizon: one that does not fails the whole model.
        self.horizon = (
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
            [transit_by_profile[c.profile] for c in couriers],
            self.horizon,
            self.horizon,
            False,
            "time",
        )
        self.time = routing.GetDimensionOrDie("time")
        for v, courier in enumerate(couriers):
            start = routing.Start(v)
            self.time.CumulVar(start).SetRange(courier.available_s, courier.available_s)
            # A courier still busy at its shift end (a last drop-off) goes home after it.
            self.time.CumulVar(routing.End(v)).SetMax(int(self.arrays.shift_end[v]))
            routing.AddVariableMinimizedByFinalizer(self.time.CumulVar(routing.End(v)))

    def _add_bags(self) -> None:
        """The bags dimension: loaded at pickups, unloaded at doors, food on board at the
        start, never over capacity."""
        bags = [0] * len(self.locations)
        for i, node in enumerate(self.nodes, start=self.base):
            if node.ticket is None:
                continue  # an empty door copy (see _lay_out_nodes)
            # A drop-off unloads its ticket's bags; on-board ones are in the start load below.
            bags[i] = node.ticket.bags if node.kind == "pickup" else -node.ticket.bags
        demand = self.routing.RegisterUnaryTransitVector(bags)
        capacities = [int(c) for c in self.arrays.capacity]
        self.routing.AddDimensionWithVehicleCapacity(demand, 0, capacities, False, "bags")
        load = self.routing.GetDimensionOrDie("bags")
        for v in range(len(self.couriers)):
            load.CumulVar(self.routing.Start(v)).SetValue(int(self.arrays.on_board[v]))

    def _add_pairs(self) -> None:
        """Each bag: collected when ready, before its door, by the door's courier, within
        the ride limit and the courier's last pickup; none new for a closing shift."""
        routing, solver, time, nodes = self.routing, self.solver, self.time, self.nodes
        closing = [v for v, c in enumerate(self.couriers) if not c.takes_new_orders]
        committed = self.committed
        # Per courier, when its pickups must have started (index 0: the pickup is not performed).
        pickup_bounds = [self.horizon] + [int(b) for b in self.arrays.last_pickup]
        bound_pickups = bool(self.couriers) and int(self.arrays.last_pickup.min()) < rounds.NEVER
        for pickup, dropoff in self.pairs:
            p, d = self.manager.NodeToIndex(pickup), self.manager.NodeToIndex(dropoff)
            routing.AddPickupAndDelivery(p, d)
            node = nodes[pickup - self.base]
            owner = committed.get(node.order.order_id)
            for v in closing:
                if self.couriers[v].courier_id != owner:
                    routing.VehicleVar(p).RemoveValue(v)
            solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
            solver.Add(time.CumulVar(p) <= time.CumulVar(d))
            assert node.ticket is not None
            time.CumulVar(p).SetMin(node.ticket.ready_s)
            if node.ticket.cooking:
                time.SetCumulVarSoftUpperBound(
                    p, max(0, node.ticket.ready_s), WAITING_FOOD_COST_PER_S
                )
            if bound_pickups:
                shift_of_courier = solver.Element(pickup_bounds, (routing.VehicleVar(p) + 1).Var())
                solver.Add(time.CumulVar(p) <= shift_of_courier)
            solver.Add(time.CumulVar(d) - time.CumulVar(p) <= node.order.freshness_s)

    def _add_order(self, order: OrderTask) -> None:
        """One courier for all of an order, its door copies as one visit within the door's
        window and soft bounds; food on board stays on its courier, the rest may be dropped."""
        routing, solver, time, manager = self.routing, self.solver, self.time, self.manager
        numbers = self.order_nodes[order.order_id]
        own = [manager.NodeToIndex(n) for n in numbers]
        if not own:
            return
        drops = [
            i
            for i, n in zip(own, numbers, strict=True)
            if self.nodes[n - self.base].kind == "dropoff"
        ]
        for index in own[1:]:
            solver.Add(routing.VehicleVar(index) == routing.VehicleVar(own[0]))
        for index in drops[1:]:
            solver.Add(time.CumulVar(index) == time.CumulVar(drops[0]))
        for a, b in pairwise(drops):
            # The copies are one door, visited once: none of them in between (with no
            # service, bags could otherwise be dropped and collected again at a counter
            # where the door is, to carry more than the courier can).
            active = routing.ActiveVar(a)
            solver.Add(active * routing.NextVar(a) == active * b)
        door = self.layout.door_of_order[order.order_id]
        earliest, deadline = int(self.arrays.earliest[door]), int(self.arrays.deadline[door])
        for index in drops:
            time.CumulVar(index).SetMin(earliest)
            if deadline < rounds.NEVER:  # carried food is delivered however late
                time.CumulVar(index).SetMax(deadline)
        for index, (due, cost_per_s) in zip(
            drops, soft_due(order, self.problem.objective), strict=False
        ):
            time.SetCumulVarSoftUpperBound(index, due, cost_per_s)
        if order.order_id in self.onboard_nodes:
            vehicle, carried = self.onboard_nodes[order.order_id]
            for n in carried:
                routing.VehicleVar(manager.NodeToIndex(n)).SetValue(vehicle)
        else:
            owner = self.committed.get(order.order_id)
            if owner is not None:
                # Pinned by the operator, or its courier rides to it: that courier or nobody.
                for index in own:  # (-1: left out)
                    routing.VehicleVar(index).SetValues([-1, self.vehicle_of[owner]])
            # Every node of the order may be left out, each at the penalty; the same-courier
            # constraints above make it all of them or none.
            for number in numbers:
                routing.AddDisjunction([manager.NodeToIndex(number)], DROP_PENALTY)

    def _lock_next_stops(self) -> None:
        """A courier riding to a stop goes there first."""
        for v, courier in enumerate(self.couriers):
            if courier.locked_next is None:
                continue
            kind, ident = courier.locked_next
            target = next(
                (
                    i
                    for i, n in enumerate(self.nodes, start=self.base)
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
                self.routing.NextVar(self.routing.Start(v)).SetValue(
                    self.manager.NodeToIndex(target)
                )

    def read(self, plan: DispatchPlan) -> pywrapcp.Assignment | None:
        """The plan as an assignment of this model, or None if it breaks one of its rules."""
        routes = _routes_of(plan, self.couriers, self.nodes, self.base)
        if routes is None:
            return None
        indices = [[self.manager.NodeToIndex(node) for node in route] for route in routes]
        assignment: pywrapcp.Assignment | None = self.routing.ReadAssignmentFromRoutes(
            indices, True
        )
        return assignment

    def search(
        self,
        initial: pywrapcp.Assignment | None,
        seconds: float,
        on_plan: PlanListener | None = None,
        *,
        solution_limit: int | None = None,
    ) -> DispatchPlan | None:
        """Guided local search from ``initial`` (OR-Tools' own first plan when None)."""
        parameters = pywrapcp.DefaultRoutingSearchParameters()
        parameters.first_solution_strategy = (
            routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
        )
        parameters.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        )
        parameters.time_limit.FromMilliseconds(max(MIN_SEARCH_MS, int(seconds * 1000)))
        if solution_limit is not None:
            parameters.solution_limit = solution_limit
        if on_plan is not None:
            reported = [perf_counter()]

            def report() -> None:
                if perf_counter() - reported[0] >= REPORT_EVERY_S:
                    reported[0] = perf_counter()
                    on_plan(self.plan(_LiveSolution(self.routing)))

            self.routing.AddAtSolutionCallback(report)
        if initial is not None:
            solution = self.routing.SolveFromAssignmentWithParameters(initial, parameters)
        else:
            solution = self.routing.SolveWithParameters(parameters)
        return None if solution is None else self.plan(solution)

    def plan(self, solution: Any) -> DispatchPlan:
        return _plan(
            self.routing,
            self.manager,
            solution,
            self.time,
            self.couriers,
            self.nodes,
            self.base,
            self.problem,
        )


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
