"""Peer solvers on the Li & Lim instances, run beside ours by benchmarks.pdptw: a comparison,
never a dependency of the product (they come with the `bench` extra).

- VROOM (pyvroom) solves pickup-and-delivery pairs as shipments: it runs on every instance,
  one thread, with the same time limit, and its routes go through the same independent
  checker (benchmarks/lilim.py) as ours.
- PyVRP (0.14) has no pickup-and-delivery pairs between clients: its pickups and deliveries
  go to or from a depot (its README's list of problem variants), so it cannot state these
  instances; it is reported as not applicable rather than run on something else.
"""

import math
from datetime import timedelta
from importlib.util import find_spec
from typing import Final

from benchmarks.lilim import Instance

SCALE: Final = 1000
"""VROOM takes whole numbers: Li & Lim's real distances and times in thousandths, rounded up
so that a route VROOM finds on time is on time for the checker too."""
VEHICLE_COST: Final = 10**9
"""More than any route's length in thousandths: fewer vehicles first, then distance."""
PYVRP_NOT_APPLICABLE: Final = (
    "PyVRP 0.14 has no pickup-and-delivery pairs between clients (only to or from a depot)"
)


def vroom_available() -> bool:
    return find_spec("vroom") is not None


def _scaled(value: float) -> int:
    return math.ceil(round(value * SCALE, 6))


def vroom_routes(instance: Instance, time_limit_s: float) -> list[list[int]]:
    """VROOM's routes for the instance (task indices, depot left out), within the limit."""
    import vroom  # the `bench` extra; vroom_available() says whether it is installed

    tasks = instance.tasks
    count = len(tasks)
    problem = vroom.Input()
    problem.set_durations_matrix(
        "car",
        [[_scaled(instance.distance(a, b)) for b in range(count)] for a in range(count)],
    )
    depot_due = _scaled(tasks[0].due)
    for number in range(1, instance.vehicles + 1):
        problem.add_vehicle(
            vroom.Vehicle(
                id=number,
                start=0,
                end=0,
                capacity=vroom.Amount([instance.capacity]),
                time_window=vroom.TimeWindow(0, depot_due),
                costs=vroom.VehicleCosts(fixed=VEHICLE_COST, per_hour=3600),
            )
        )

    def step(index: int) -> "vroom.ShipmentStep":
        task = tasks[index]
        return vroom.ShipmentStep(
            id=index,
            location=index,
            default_service=_scaled(task.service),
            time_windows=[vroom.TimeWindow(_scaled(task.ready), _scaled(task.due))],
        )

    for pickup, delivery in instance.pairs:
        problem.add_shipment(
            step(pickup), step(delivery), amount=vroom.Amount([tasks[pickup].demand])
        )
    solution = problem.solve(
        exploration_level=5, nb_threads=1, timeout=timedelta(seconds=time_limit_s)
    )
    routes: dict[int, list[int]] = {}
    for vehicle, kind, job in zip(
        solution.routes["vehicle_id"], solution.routes["type"], solution.routes["id"], strict=True
    ):
        if kind in ("pickup", "delivery"):
            routes.setdefault(int(vehicle), []).append(int(job))
    return [routes[v] for v in sorted(routes)]
