"""The classic pickup-and-delivery problem with time windows, vehicles first then distance.

Used to measure our OR-Tools modelling on the public Li & Lim set. Pure: plain data in,
routes out. Three phases share the time limit:

1. a first plan with every pair served and a large fixed cost per vehicle;
2. route elimination: drop the route with the fewest tasks, make every pair optional at a
   large penalty and let guided local search re-insert them on one vehicle fewer; repeat
   while that succeeds;
3. the rest of the time polishes distance on the final fleet.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from time import perf_counter
from typing import Final

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

SCALE: Final = 1000
"""Times and distances are solved as integers in thousandths; rides are rounded up, so a
plan feasible for the solver is feasible in exact arithmetic."""
VEHICLE_COST_IN_LONGEST_RIDES: Final = 4
"""A vehicle costs this many of the longest ride: enough to empty small routes, small enough
to leave guided local search's penalties (scaled by the objective) meaningful."""
FIRST_SHARE: Final = 0.2
ELIMINATION_SLICE_SHARE: Final = 0.12
POLISH_SHARE: Final = 0.25


@dataclass(frozen=True)
class PdptwProblem:
    x: Sequence[float]
    y: Sequence[float]
    demand: Sequence[int]
    ready: Sequence[float]
    due: Sequence[float]
    service: Sequence[float]
    pairs: Sequence[tuple[int, int]]
    vehicles: int
    capacity: int
    """Node 0 is the depot where every route starts and ends."""


def _ride_matrix(problem: PdptwProblem) -> list[list[int]]:
    n = len(problem.x)
    return [
        [
            math.ceil(math.hypot(problem.x[i] - problem.x[j], problem.y[i] - problem.y[j]) * SCALE)
            for j in range(n)
        ]
        for i in range(n)
    ]


class _Model:
    def __init__(
        self,
        problem: PdptwProblem,
        rides: list[list[int]],
        vehicles: int,
        *,
        optional: bool,
        vehicle_cost: int,
    ) -> None:
        n = len(problem.x)
        self.manager = pywrapcp.RoutingIndexManager(n, vehicles, 0)
        self.routing = routing = pywrapcp.RoutingModel(self.manager)
        cost = routing.RegisterTransitMatrix(rides)
        routing.SetArcCostEvaluatorOfAllVehicles(cost)
        routing.SetFixedCostOfAllVehicles(vehicle_cost)
        longest = max(max(row) for row in rides)
        service = [round(s * SCALE) for s in problem.service]
        timed = routing.RegisterTransitMatrix(
            [[rides[i][j] + service[i] for j in range(n)] for i in range(n)]
        )
        horizon = round(problem.due[0] * SCALE)
        routing.AddDimension(timed, horizon, horizon, False, "time")
        time = routing.GetDimensionOrDie("time")
        for node in range(n):
            index = self.manager.NodeToIndex(node) if node else None
            if index is not None:
                time.CumulVar(index).SetRange(
                    math.ceil(problem.ready[node] * SCALE), math.floor(problem.due[node] * SCALE)
                )
        for vehicle in range(vehicles):
            time.CumulVar(routing.End(vehicle)).SetMax(horizon)
        demand = routing.RegisterUnaryTransitVector(list(problem.demand))
        routing.AddDimensionWithVehicleCapacity(
            demand, 0, [problem.capacity] * vehicles, True, "load"
        )
        solver = routing.solver()
        for pickup, delivery in problem.pairs:
            p, d = self.manager.NodeToIndex(pickup), self.manager.NodeToIndex(delivery)
            routing.AddPickupAndDelivery(p, d)
            solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
            solver.Add(time.CumulVar(p) <= time.CumulVar(d))
            if optional:
                # Worth more than any detour that serving the pair takes, and no more: guided
                # local search scales its penalties with the objective, which huge constants
                # would swamp.
                routing.AddDisjunction([p, d], 4 * longest + 1, 2)

    def search(
        self,
        seconds: float,
        start: list[list[int]] | None = None,
    ) -> list[list[int]] | None:
        parameters = pywrapcp.DefaultRoutingSearchParameters()
        parameters.first_solution_strategy = (
            routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
        )
        parameters.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        )
        parameters.time_limit.FromMilliseconds(max(50, int(seconds * 1000)))
        solution = None
        if start is not None:
            initial = self.routing.ReadAssignmentFromRoutes(
                [[self.manager.NodeToIndex(n) for n in route] for route in start], True
            )
            if initial is not None:
                solution = self.routing.SolveFromAssignmentWithParameters(initial, parameters)
        if solution is None:
            solution = self.routing.SolveWithParameters(parameters)
        if solution is None:
            return None
        routes = []
        for vehicle in range(self.routing.vehicles()):
            route = []
            index = solution.Value(self.routing.NextVar(self.routing.Start(vehicle)))
            while not self.routing.IsEnd(index):
                route.append(self.manager.IndexToNode(index))
                index = solution.Value(self.routing.NextVar(index))
            routes.append(route)
        return routes


def solve_pdptw(problem: PdptwProblem, time_limit_s: float) -> list[list[int]]:
    """Routes of task indices (depot excluded); empty routes are unused vehicles."""
    began = perf_counter()

    def left() -> float:
        return time_limit_s - (perf_counter() - began)

    rides = _ride_matrix(problem)
    tasks = 2 * len(problem.pairs)
    vehicle_cost = VEHICLE_COST_IN_LONGEST_RIDES * max(max(row) for row in rides)
    first = _Model(
        problem, rides, problem.vehicles, optional=False, vehicle_cost=vehicle_cost
    ).search(time_limit_s * FIRST_SHARE)
    if first is None:
        return []
    routes = [r for r in first if r]
    polish = time_limit_s * POLISH_SHARE
    # Try emptying each route in turn, smallest first; after a success, start over.
    tried: set[int] = set()
    while len(routes) > 1 and left() > polish:
        order = sorted(range(len(routes)), key=lambda v: len(routes[v]))
        candidates = [v for v in order if v not in tried]
        if not candidates:
            break
        removed = candidates[0]
        tried.add(removed)
        start = [r for v, r in enumerate(routes) if v != removed]
        model = _Model(problem, rides, len(start), optional=True, vehicle_cost=0)
        fewer = model.search(min(left() - polish, time_limit_s * ELIMINATION_SLICE_SHARE), start)
        if fewer is not None and sum(len(r) for r in fewer) == tasks:
            routes = [r for r in fewer if r]
            tried = set()
    if left() > 0.1:
        polished = _Model(problem, rides, len(routes), optional=False, vehicle_cost=0).search(
            left(), routes
        )
        if polished is not None:
            routes = [r for r in polished if r]
    return routes
