"""The classic pickup-and-delivery problem with time windows, vehicles first then distance.

Used to measure our search on the public Li & Lim set. Pure: plain data in, routes out. Three
phases share the time limit:

1. fleet minimisation in our compiled search (dispatch.planning.ruin_recreate): a first plan by
   cheapest insertion, then one route emptied at a time while its requests can be placed;
2. simulated annealing on distance over ruin and recreate, the fleet fixed (ANNEAL_SHARE);
3. OR-Tools' guided local search polishes that plan, started from it (POLISH_SHARE).
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from time import perf_counter
from typing import Final

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from dispatch.planning import ruin_recreate as rr

SCALE: Final = 1000
"""Times and distances are solved as integers in thousandths; rides are rounded up, so a
plan feasible for the solver is feasible in exact arithmetic."""
VEHICLE_COST_IN_LONGEST_RIDES: Final = 4
"""A vehicle costs this many of the longest ride: enough to empty small routes, small enough
to leave guided local search's penalties (scaled by the objective) meaningful."""
POLISH_SHARE: Final = 0.1
ANNEAL_SHARE: Final = 0.4
"""Of the time: OR-Tools' polish last, the distance search before it, the fleet search first."""
MIN_POLISH_S: Final = 0.05
SLICE_ITERATIONS: Final = 200
"""Ruin-and-recreate iterations per call into compiled code, between looks at the clock."""
HOT: Final = 100.0
COLD: Final = 1.0
"""SISR's temperatures, in units of distance."""


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


def solve_pdptw(problem: PdptwProblem, time_limit_s: float, seed: int = 1) -> list[list[int]]:
    """Routes of task indices (depot excluded); empty routes are unused vehicles.

    Our compiled search (dispatch.planning.ruin_recreate) finds the fleet and the distance; OR-Tools
    checks the plan and polishes it with guided local search for the last POLISH_SHARE of
    the time, from that plan: what it returns is never worse than what it was given.
    """
    began = perf_counter()

    def left() -> float:
        return time_limit_s - (perf_counter() - began)

    rides = _ride_matrix(problem)
    instance = _instance(problem, rides)
    rr.seed(seed)
    pickups = [p for p, _ in problem.pairs]
    state = rr.empty_state(instance, problem.vehicles, pickups)
    rr.build(instance, state, problem.vehicles)
    polish = time_limit_s * POLISH_SHARE
    best = _fewer_routes(instance, state, lambda: left() - polish - time_limit_s * ANNEAL_SHARE)
    best = _shorter(instance, best, lambda: left() - polish)
    routes = rr.routes_of(best)
    if best.absent[0] or left() <= MIN_POLISH_S:
        return routes
    polished = _Model(problem, rides, len(routes), optional=False, vehicle_cost=0).search(
        left(), routes
    )
    return [r for r in polished if r] if polished is not None else routes


def _instance(problem: PdptwProblem, rides: list[list[int]]) -> rr.Instance:
    """The problem in the search's integers, rounded the way the OR-Tools model rounds it."""
    return rr.instance_of(
        np.asarray(rides, dtype=np.int64),
        np.asarray([math.ceil(r * SCALE) for r in problem.ready], dtype=np.int64),
        np.asarray([math.floor(d * SCALE) for d in problem.due], dtype=np.int64),
        np.asarray([round(s * SCALE) for s in problem.service], dtype=np.int64),
        np.asarray(problem.demand, dtype=np.int64),
        list(problem.pairs),
        problem.capacity,
    )


def _fewer_routes(instance: rr.Instance, state: rr.State, left: Callable[[], float]) -> rr.State:
    """The plan with the fewest routes found while ``left()`` is positive: each time every
    request is served again, one more route is emptied."""
    best = rr.copy_state(state)
    if state.absent[0]:
        return best
    absences = np.zeros(len(state.where), dtype=np.int64)
    current, trial = rr.copy_state(state), rr.copy_state(state)
    allowed = int((state.length > 0).sum()) - 1
    rr.drop_route(instance, current, absences)
    while left() > 0 and allowed > 0:
        if rr.minimise_fleet(instance, current, trial, absences, SLICE_ITERATIONS, allowed):
            best = rr.copy_state(current)
            allowed -= 1
            if allowed > 0:
                rr.drop_route(instance, current, absences)
    return best


def _shorter(instance: rr.Instance, state: rr.State, left: Callable[[], float]) -> rr.State:
    """Simulated annealing on distance with the fleet fixed, cooling on the clock."""
    current, best, trial = rr.copy_state(state), rr.copy_state(state), rr.copy_state(state)
    routes = int((state.length > 0).sum())
    total = left()
    hot, cold = HOT * SCALE, COLD * SCALE
    while (remaining := left()) > 0:
        done = 1 - remaining / total if total > 0 else 1.0
        step_hot = hot * (cold / hot) ** done
        step_cold = hot * (cold / hot) ** min(1.0, done + 0.02)
        rr.anneal(instance, current, best, trial, SLICE_ITERATIONS, step_hot, step_cold, routes)
    return best
