"""Meal Delivery Routing Problem instances (Grubhub's public set) as simulation worlds.

Folder format (tab-separated, one header line; metres and minutes of the day): `orders.txt`,
`restaurants.txt`, `couriers.txt`, `instance_parameters.txt`. Travel time is
ceil(euclidean / metres per minute) minutes. Ready times are known exactly when the order is
placed, so the estimate and the truth agree. Bags: MDRP sets no capacity; we give couriers
BAG_CAPACITY orders at once. Our drop-off and pickup take the full service time (MDRP splits
the pickup service around the ready time), and a courier's whole route ends by the off time,
which is stricter than MDRP's "pick up before the off time".
"""

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from dispatch.simulation import CourierSpec, OrderSpec, TicketSpec, World

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


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def load_mdrp(folder: Path) -> World:
    parameters = _rows(folder / "instance_parameters.txt")[0]
    speed = float(parameters["meters_per_minute"])
    pickup_min = float(parameters["pickup service minutes"])
    dropoff_min = float(parameters["dropoff service minutes"])
    target_min = float(parameters["target click-to-door"])
    max_min = float(parameters["maximum click-to-door"])
    xs: list[float] = []
    ys: list[float] = []

    def place(x: str, y: str) -> int:
        xs.append(float(x))
        ys.append(float(y))
        return len(xs) - 1

    restaurants = {
        r["restaurant"]: place(r["x"], r["y"]) for r in _rows(folder / "restaurants.txt")
    }
    orders = []
    for number, row in enumerate(_rows(folder / "orders.txt"), start=1):
        placed = int(float(row["placement_time"]) * 60)
        ready = int(float(row["ready_time"]) * 60)
        orders.append(
            OrderSpec(
                order_id=number,
                placed_s=placed,
                door=place(row["x"], row["y"]),
                tickets=(TicketSpec(number, restaurants[row["restaurant"]], ready, ready),),
                promised_s=placed + int(target_min * 60),
                freshness_s=NO_FRESHNESS_LIMIT_S,
                hard_max_s=int(max_min * 60),
            )
        )
    couriers = [
        CourierSpec(
            courier_id=number,
            start=place(row["x"], row["y"]),
            on_s=int(float(row["on_time"]) * 60),
            off_s=int(float(row["off_time"]) * 60),
            capacity=BAG_CAPACITY,
        )
        for number, row in enumerate(_rows(folder / "couriers.txt"), start=1)
    ]
    return World(
        name=folder.name,
        travel=EuclideanTravel(np.asarray(xs), np.asarray(ys), speed),
        orders=tuple(orders),
        couriers=tuple(couriers),
        pickup_service_s=int(pickup_min * 60),
        dropoff_service_s=int(dropoff_min * 60),
        pay_per_order=float(parameters["pay per order"]),
        guaranteed_pay_per_hour=float(parameters["guaranteed pay per hour"]),
    )
