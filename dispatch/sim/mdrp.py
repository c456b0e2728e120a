"""Meal Delivery Routing Problem instances (Grubhub's public set) as simulation worlds.

Folder format (tab-separated, one header line; metres and minutes of the day): `orders.txt`,
`restaurants.txt`, `couriers.txt`, `instance_parameters.txt`. Travel time is
ceil(euclidean / metres per minute) minutes. Ready times are known exactly when the order is
placed, so the estimate and the truth agree. Bags: MDRP sets no capacity; we give couriers
BAG_CAPACITY orders at once. The rest are MDRP's rules (World.split_service,
World.pickups_by_off_time): the bag changes hands halfway through each service, bags of one
counter visit share one service, and pickups happen before the courier's off time while
drop-offs may end later.
"""

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from dispatch.sim.engine import CourierSpec, OrderSpec, TicketSpec, World

BAG_CAPACITY = 4
NO_FRESHNESS_LIMIT_S = 24 * 3600


@dataclass(frozen=True)
class EuclideanTravel:
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    metres_per_minute: float

    def seconds(self, profile: str, places: Sequence[int]) -> NDArray[np.int64]:
        index = np.asarray(places, dtype=np.int64)
        dx = self.x[index][:, None] - self.x[index][None, :]
        dy = self.y[index][:, None] - self.y[index][None, :]
        minutes = np.ceil(np.hypot(dx, dy) / self.metres_per_minute)
        return (minutes * 60).astype(np.int64)

    def ride(self, profile: str, a: int, b: int) -> int:
        distance = math.hypot(self.x[a] - self.x[b], self.y[a] - self.y[b])
        return math.ceil(distance / self.metres_per_minute) * 60

    def metres(self, profile: str, a: int, b: int) -> float:
        return float(math.hypot(self.x[a] - self.x[b], self.y[a] - self.y[b]))


def read_table(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@dataclass(frozen=True)
class MdrpInstance:
    """An MDRP folder as a world, with the instance's own names to write solutions in."""

    folder: Path
    world: World
    place_names: tuple[str, ...]
    """Place index -> the restaurant, order or courier whose place it is ("r1", "o7", "c3")."""
    order_names: dict[int, str]
    courier_names: dict[int, str]

    @property
    def travel(self) -> EuclideanTravel:
        assert isinstance(self.world.travel, EuclideanTravel)
        return self.world.travel


def load_mdrp(folder: Path) -> World:
    return read_mdrp(folder).world


def read_mdrp(folder: Path) -> MdrpInstance:
    parameters = read_table(folder / "instance_parameters.txt")[0]
    speed = float(parameters["meters_per_minute"])
    pickup_min = float(parameters["pickup service minutes"])
    dropoff_min = float(parameters["dropoff service minutes"])
    target_min = float(parameters["target click-to-door"])
    max_min = float(parameters["maximum click-to-door"])
    xs: list[float] = []
    ys: list[float] = []
    names: list[str] = []

    def place(name: str, x: str, y: str) -> int:
        xs.append(float(x))
        ys.append(float(y))
        names.append(name)
        return len(xs) - 1

    restaurants = {
        r["restaurant"]: place(r["restaurant"], r["x"], r["y"])
        for r in read_table(folder / "restaurants.txt")
    }
    orders = []
    order_names: dict[int, str] = {}
    for number, row in enumerate(read_table(folder / "orders.txt"), start=1):
        placed = int(float(row["placement_time"]) * 60)
        ready = int(float(row["ready_time"]) * 60)
        order_names[number] = row["order"]
        orders.append(
            OrderSpec(
                order_id=number,
                placed_s=placed,
                door=place(row["order"], row["x"], row["y"]),
                tickets=(TicketSpec(number, restaurants[row["restaurant"]], ready, ready),),
                promised_s=placed + int(target_min * 60),
                freshness_s=NO_FRESHNESS_LIMIT_S,
                hard_max_s=int(max_min * 60),
            )
        )
    couriers = []
    courier_names: dict[int, str] = {}
    for number, row in enumerate(read_table(folder / "couriers.txt"), start=1):
        courier_names[number] = row["courier"]
        couriers.append(
            CourierSpec(
                courier_id=number,
                start=place(row["courier"], row["x"], row["y"]),
                on_s=int(float(row["on_time"]) * 60),
                off_s=int(float(row["off_time"]) * 60),
                capacity=BAG_CAPACITY,
            )
        )
    world = World(
        name=folder.name,
        travel=EuclideanTravel(np.asarray(xs), np.asarray(ys), speed),
        orders=tuple(orders),
        couriers=tuple(couriers),
        pickup_service_s=int(pickup_min * 60),
        dropoff_service_s=int(dropoff_min * 60),
        pay_per_order=float(parameters["pay per order"]),
        guaranteed_pay_per_hour=float(parameters["guaranteed pay per hour"]),
        split_service=True,
        pickups_by_off_time=True,
    )
    return MdrpInstance(folder, world, tuple(names), order_names, courier_names)
