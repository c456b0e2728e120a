"""Our own check of MDRP solution files: the data set's rules, read back from the files alone.

It trusts nothing from the simulation that wrote them. Rules (times in minutes of the day,
travel = ceil(euclidean / metres per minute)):

- an order is in at most one assignment, and a delivered order in exactly one, with its courier;
- an assignment is made no earlier than its orders are placed, picked up no earlier than they
  are ready and than it was made, and no later than the courier's off time;
- an assignment's orders come from one restaurant, where the courier is at the pickup time;
- its drop-offs follow its order, one drop-off service apart;
- a courier's rides chain from its own on-duty place, each leaving no earlier than it arrived
  (nor before the shift), and it is at each door when that order is dropped off.
"""

import bisect
import math
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from dispatch.sim.mdrp import read_table
from dispatch.sim.mdrp_solution import ASSIGNMENTS, COURIERS, NOT_DELIVERED, ORDERS


@dataclass
class _Timeline:
    """Where a courier is: stays (place, arrived, left) in order."""

    places: list[str] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)
    left: list[float] = field(default_factory=list)

    def at(self, place: str, moment: float) -> bool:
        """Arrived strictly before the moment, not left before it."""
        i = bisect.bisect_left(self.arrived, moment) - 1
        return i >= 0 and self.places[i] == place and moment <= self.left[i]


def _rows(path: Path) -> list[list[str]]:
    lines = path.read_text().splitlines()[1:]
    return [line.split() for line in lines if line.strip()]


def check_solution(instance: Path, solution: Path) -> list[str]:
    """Every broken rule, one line each; empty when the solution is feasible."""
    parameters = read_table(instance / "instance_parameters.txt")[0]
    speed = float(parameters["meters_per_minute"])
    dropoff_service = float(parameters["dropoff service minutes"])
    where: dict[str, tuple[float, float]] = {}
    orders = {r["order"]: r for r in read_table(instance / "orders.txt")}
    couriers = {r["courier"]: r for r in read_table(instance / "couriers.txt")}
    for table in (
        orders,
        couriers,
        {r["restaurant"]: r for r in read_table(instance / "restaurants.txt")},
    ):
        for name, row in table.items():
            where[name] = (float(row["x"]), float(row["y"]))

    def travel(a: str, b: str) -> float:
        (ax, ay), (bx, by) = where[a], where[b]
        return float(math.ceil(math.hypot(ax - bx, ay - by) / speed))

    problems: list[str] = []
    timelines: dict[str, _Timeline] = {}
    for ride in _rows(solution / COURIERS):
        name, departed, origin, destination = ride[0], float(ride[1]), ride[2], ride[3]
        if name not in couriers:
            problems.append(f"rides of unknown courier {name}")
            continue
        line = timelines.setdefault(
            name, _Timeline([name], [float(couriers[name]["on_time"])], [math.inf])
        )
        if origin != line.places[-1]:
            problems.append(f"courier {name}: rides from {origin} but is at {line.places[-1]}")
        if departed < line.arrived[-1]:
            problems.append(f"courier {name}: leaves {origin} at {departed} before arriving")
        if destination not in where:
            problems.append(f"courier {name}: rides to unknown place {destination}")
            continue
        line.left[-1] = departed
        line.places.append(destination)
        line.arrived.append(departed + travel(origin, destination))
        line.left.append(math.inf)

    served: dict[str, str] = {}
    for visit in _rows(solution / ASSIGNMENTS):
        assigned, picked, courier, bundle = float(visit[0]), float(visit[1]), visit[2], visit[3:]
        if courier not in couriers:
            problems.append(f"assignment to unknown courier {courier}")
            continue
        if picked > float(couriers[courier]["off_time"]):
            problems.append(f"courier {courier}: picks up at {picked}, after its off time")
        if picked < assigned:
            problems.append(
                f"courier {courier}: picks up at {picked}, before assigned at {assigned}"
            )
        kitchens = {orders[o]["restaurant"] for o in bundle if o in orders}
        if len(kitchens) != 1 or len(bundle) != len(set(bundle)):
            problems.append(f"assignment {bundle}: not orders of one restaurant")
            continue
        (kitchen,) = kitchens
        line = timelines.get(courier, _Timeline())
        if not line.at(kitchen, picked):
            problems.append(f"courier {courier}: not at {kitchen} at {picked}")
        for o in bundle:
            if o in served:
                problems.append(f"order {o}: in more than one assignment")
            served[o] = courier
            if assigned < float(orders[o]["placement_time"]):
                problems.append(f"order {o}: assigned at {assigned}, before it was placed")
            if picked < float(orders[o]["ready_time"]):
                problems.append(f"order {o}: picked up at {picked}, before it was ready")

    dropped: dict[str, float] = {}
    for line_of_order in _rows(solution / ORDERS):
        o, dropoff, courier = line_of_order[0], line_of_order[7], line_of_order[8]
        if dropoff == NOT_DELIVERED:
            continue
        dropped[o] = float(dropoff)
        if served.get(o) != courier:
            problems.append(f"order {o}: delivered by {courier} without being assigned to it")
        elif not timelines[courier].at(o, float(dropoff)):
            problems.append(f"courier {courier}: not at the door of {o} at {dropoff}")
    for visit in _rows(solution / ASSIGNMENTS):
        bundle = visit[3:]
        times = [dropped[o] for o in bundle if o in dropped]
        if any(b < a + dropoff_service for a, b in pairwise(times)):
            problems.append(f"assignment {bundle}: drop-offs out of order or too close")
    return problems
