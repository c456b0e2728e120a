"""Li & Lim PDPTW instances: reading them, and an independent checker of solutions.

The checker shares nothing with the solver: it recomputes Euclidean distances in floating
point and rides every route itself (pairing, precedence, capacity, time windows).
"""

import csv
import math
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Task:
    x: float
    y: float
    demand: int
    ready: float
    due: float
    service: float
    pickup: int
    """For a delivery, its pickup's index; 0 otherwise."""
    delivery: int
    """For a pickup, its delivery's index; 0 otherwise."""


@dataclass(frozen=True)
class Instance:
    name: str
    vehicles: int
    capacity: int
    tasks: list[Task]
    """Index 0 is the depot."""

    def distance(self, a: int, b: int) -> float:
        ta, tb = self.tasks[a], self.tasks[b]
        return math.hypot(ta.x - tb.x, ta.y - tb.y)

    @property
    def pairs(self) -> list[tuple[int, int]]:
        return [(i, t.delivery) for i, t in enumerate(self.tasks) if i and t.delivery]


@dataclass(frozen=True)
class BestKnown:
    vehicles: int
    distance: float


def read_instance(path: Path) -> Instance:
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    vehicles, capacity = int(lines[0][0]), int(lines[0][1])
    tasks = [
        Task(
            x=float(f[1]),
            y=float(f[2]),
            demand=int(f[3]),
            ready=float(f[4]),
            due=float(f[5]),
            service=float(f[6]),
            pickup=int(f[7]),
            delivery=int(f[8]),
        )
        for f in lines[1:]
    ]
    return Instance(path.stem, vehicles, capacity, tasks)


def read_best_known(path: Path) -> dict[str, BestKnown]:
    rows = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    return {
        row["instance"]: BestKnown(int(row["vehicles"]), float(row["distance"]))
        for row in csv.DictReader(rows)
    }


@dataclass(frozen=True)
class Check:
    feasible: bool
    vehicles: int
    distance: float
    errors: list[str]


TOLERANCE = 1e-6


def check(instance: Instance, routes: list[list[int]]) -> Check:
    """Ride each route from the depot and back; list every rule it breaks."""
    errors: list[str] = []
    tasks = instance.tasks
    seen: dict[int, int] = {}
    total = 0.0
    used = [r for r in routes if r]
    for number, route in enumerate(used):
        moment, load, here = 0.0, 0, 0
        picked: set[int] = set()
        for node in route:
            if not 0 < node < len(tasks):
                errors.append(f"route {number}: unknown task {node}")
                continue
            if node in seen:
                errors.append(f"task {node} visited twice")
            seen[node] = number
            task = tasks[node]
            travel = instance.distance(here, node)
            total += travel
            moment = max(moment + travel, task.ready)
            if moment > task.due + TOLERANCE:
                errors.append(f"route {number}: task {node} starts at {moment:.3f} > {task.due}")
            load += task.demand
            if load > instance.capacity or load < 0:
                errors.append(f"route {number}: load {load} at task {node}")
            if task.delivery:
                picked.add(node)
            elif task.pickup and task.pickup not in picked:
                errors.append(f"route {number}: delivery {node} before its pickup {task.pickup}")
            moment += task.service
            here = node
        back = instance.distance(here, 0)
        total += back
        if moment + back > tasks[0].due + TOLERANCE:
            errors.append(f"route {number}: back at the depot at {moment + back:.3f}")
    for pickup, delivery in instance.pairs:
        if pickup not in seen or delivery not in seen:
            errors.append(f"pair {pickup}-{delivery} not served")
        elif seen[pickup] != seen[delivery]:
            errors.append(f"pair {pickup}-{delivery} split over two routes")
    if len(used) > instance.vehicles:
        errors.append(f"{len(used)} routes for {instance.vehicles} vehicles")
    return Check(not errors, len(used), total, errors)
