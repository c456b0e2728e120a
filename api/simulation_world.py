"""The demo alliance on the bundled Paris map as a simulation world (a Friday dinner, say)."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from api.demo.alliance import COURIERS, RESTAURANTS
from dispatch.geography import Geography
from dispatch.matrix import UNREACHABLE_S
from dispatch.simulation import CourierSpec, OrderSpec, TicketSpec, World
from dispatch.snapping import SnapError, SnappedPoint

PROFILES = ("bike", "ebike", "scooter")
PROMISE_S = 40 * 60
KITCHEN_SPREAD_S = 3 * 60
"""Standard deviation of a kitchen's real cooking time around its estimate."""


@dataclass(frozen=True)
class NetworkTravel:
    """Street-network rides between a fixed set of places, computed once per profile."""

    seconds_by_profile: dict[str, NDArray[np.int64]]
    metres_by_profile: dict[str, NDArray[np.float64]]

    def seconds(self, profile: str, places: Sequence[int]) -> NDArray[np.int64]:
        index = np.asarray(places, dtype=np.int64)
        return self.seconds_by_profile[profile][np.ix_(index, index)]

    def ride(self, profile: str, a: int, b: int) -> int:
        return int(self.seconds_by_profile[profile][a, b])

    def metres(self, profile: str, a: int, b: int) -> float:
        return float(self.metres_by_profile[profile][a, b])


def _random_doors(geography: Geography, count: int, rng: np.random.Generator) -> list[SnappedPoint]:
    network = geography.networks["bike"]
    doors: list[SnappedPoint] = []
    while len(doors) < count:
        lat = rng.uniform(network.node_lat.min(), network.node_lat.max())
        lon = rng.uniform(network.node_lon.min(), network.node_lon.max())
        try:
            doors.append(geography.locate(lat, lon))
        except SnapError:
            continue
    return doors


def _arrivals(rng: np.random.Generator, per_hour: float, hours: float) -> list[int]:
    """Order moments over the period, busiest in its middle (a dinner peak)."""
    moments: list[int] = []
    t = 0.0
    peak = per_hour / 3600
    end = hours * 3600
    while True:
        t += rng.exponential(1 / peak)
        if t >= end:
            return moments
        # Thinning: the rate rises from 60 % at the edges to 100 % mid-period.
        if rng.random() <= 0.6 + 0.4 * math.sin(math.pi * t / end):
            moments.append(int(t))


def paris_demo_world(
    geography: Geography,
    *,
    orders_per_hour: float = 120,
    couriers: int = 12,
    hours: float = 3.0,
    multi_share: float = 1 / 3,
    seed: int = 1,
) -> World:
    rng = np.random.default_rng(seed)
    kitchens = [geography.locate(r.lat, r.lon) for r in RESTAURANTS]
    moments = _arrivals(rng, orders_per_hour * 1.25, hours)  # thinning keeps about 80 %
    doors = _random_doors(geography, len(moments), rng)
    team = [COURIERS[i % len(COURIERS)] for i in range(couriers)]
    starts = [int(rng.integers(0, len(kitchens))) for _ in team]
    points = [*kitchens, *doors]
    seconds: dict[str, NDArray[np.int64]] = {}
    metres: dict[str, NDArray[np.float64]] = {}
    for profile in PROFILES:
        snapped = geography.snap(profile, [p.lat for p in points], [p.lon for p in points])
        matrix = geography.matrix(profile, snapped)
        seconds[profile] = matrix.whole_seconds()
        metres[profile] = np.nan_to_num(matrix.distances_m, posinf=UNREACHABLE_S)
    orders = []
    ticket_id = 0
    for number, placed in enumerate(moments, start=1):
        count = int(rng.choice([2, 3])) if rng.random() < multi_share else 1
        chosen = rng.choice(len(RESTAURANTS), size=count, replace=False)
        tickets = []
        freshness = []
        for k in chosen:
            restaurant = RESTAURANTS[int(k)]
            dishes = [
                restaurant.dishes[int(i)]
                for i in rng.choice(
                    len(restaurant.dishes), size=min(2, len(restaurant.dishes)), replace=False
                )
            ]
            prep = max(restaurant.default_prep_minutes, *(d.prep_minutes for d in dishes)) * 60
            estimate = placed + prep
            actual = max(placed + 120, int(estimate + rng.normal(0, KITCHEN_SPREAD_S)))
            ticket_id += 1
            tickets.append(TicketSpec(ticket_id, int(k), estimate, actual, prep_s=prep))
            freshness.append(min(d.freshness_minutes for d in dishes) * 60)
        orders.append(
            OrderSpec(
                order_id=number,
                placed_s=placed,
                door=len(kitchens) + number - 1,
                tickets=tuple(tickets),
                promised_s=placed + PROMISE_S,
                freshness_s=min(freshness),
            )
        )
    team_specs = tuple(
        CourierSpec(
            courier_id=n + 1,
            start=starts[n],
            on_s=0,
            off_s=int((hours + 1) * 3600),
            capacity=courier.bag_capacity,
            profile=courier.vehicle.value,
        )
        for n, courier in enumerate(team)
    )
    return World(
        name=f"paris-demo-{orders_per_hour:g}oph-{couriers}c-seed{seed}",
        travel=NetworkTravel(seconds, metres),
        orders=tuple(orders),
        couriers=team_specs,
        fire_for_courier=True,
    )
