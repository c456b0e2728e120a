"""A scenario on a street map as a simulation world."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dispatch.geo.drawing import MapStop, draw_round
from dispatch.geo.geography import Geography
from dispatch.geo.matrix import UNREACHABLE_S
from dispatch.geo.snapping import SnapError, SnappedPoint
from dispatch.planning.problem import quickest_collection_s
from dispatch.sim.engine import (
    CourierSpec,
    OrderSpec,
    SimulationResult,
    TicketSpec,
    TruePace,
    World,
    untold_start_s,
)
from dispatch.sim.scenario import Demand, KitchenTruth, Scenario, ScenarioError, Spike


@dataclass(frozen=True)
class QuoteRule:
    """How the platform's quote judges a multi-kitchen cart: collected by the quickest route on
    this profile, with this service at each counter; a cart that cannot arrive hot is refused."""

    profile: str
    pickup_service_s: int


@dataclass(frozen=True)
class NetworkTravel:
    """Street-network rides between a fixed set of places, computed once per profile."""

    seconds_by_profile: dict[str, NDArray[np.int64]]
    metres_by_profile: dict[str, NDArray[np.float64]]
    points_by_profile: dict[str, list[SnappedPoint]]
    """Each place snapped to each profile's streets, to draw the rides."""

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


def _arrivals(rng: np.random.Generator, demand: Demand, hours: float) -> list[int]:
    """Order moments over the period, following the hourly profile (a dinner peak if none)."""
    moments: list[int] = []
    t = 0.0
    peak = demand.orders_per_hour / 3600
    end = hours * 3600
    profile = demand.hourly_profile
    busiest = max(profile) if profile else 1.0
    while True:
        t += rng.exponential(1 / peak)
        if t >= end:
            return moments
        # Thinning a Poisson process at the peak rate gives the profile's rate at each moment.
        if profile is not None:
            share = profile[int(t // 3600)] / busiest
        else:
            share = 0.6 + 0.4 * math.sin(math.pi * t / end)
        if rng.random() <= share:
            moments.append(int(t))


def _spike(rng: np.random.Generator, spike: Spike | None, hours: float) -> list[int]:
    """The rush's extra order moments (none without one)."""
    if spike is None:
        return []
    start = spike.start_minute * 60
    end = min(start + spike.minutes * 60, hours * 3600)
    count = int(rng.poisson(spike.orders_per_hour * max(0.0, end - start) / 3600))
    return sorted(int(m) for m in rng.uniform(start, end, size=count))


def _slots(
    rng: np.random.Generator, demand: Demand, moments: list[int], hours: float
) -> list[int | None]:
    """Each order's delivery slot within the service period, or None for as soon as possible
    (also when the period ends before the earliest slot it could book)."""
    low, high = demand.scheduled_ahead_minutes
    slots: list[int | None] = []
    for placed in moments:
        latest = min(high, int(hours * 60 - placed / 60))
        booked = rng.random() < demand.scheduled_share and latest >= low
        slots.append(placed + int(rng.integers(low, latest + 1)) * 60 if booked else None)
    return slots


def _true_paces(truth: KitchenTruth | None, kitchens: int, seed: int) -> tuple[TruePace, ...]:
    """Each kitchen's true pace, drawn from a stream of its own (the rest of the world is the
    same with or without it)."""
    if truth is None:
        return ()
    rng = np.random.default_rng([seed, 11])
    return tuple(
        TruePace(
            factor=float(np.clip(rng.normal(truth.optimism, truth.optimism_spread), 0.6, 3.0)),
            per_open_ticket=truth.per_open_ticket * float(rng.uniform(0.5, 1.5)),
            noise=truth.noise,
        )
        for _ in range(kitchens)
    )


def scenario_world(geography: Geography, scenario: Scenario, quote: QuoteRule) -> World:
    """A scenario on the map: its restaurants, its demand drawn with its seed (carts the
    quote would refuse cut to their first kitchen), its couriers starting at random kitchens,
    and kitchens firing when the dispatcher says."""
    rng = np.random.default_rng(scenario.seed)
    restaurants = scenario.restaurants
    demand = scenario.demand
    try:
        kitchens = [geography.locate(r.lat, r.lon) for r in restaurants]
    except SnapError as error:
        raise ScenarioError(f"restaurants: {error}") from error
    moments = sorted(
        _arrivals(rng, demand, scenario.hours) + _spike(rng, demand.spike, scenario.hours)
    )
    doors = _random_doors(geography, len(moments), rng)
    team = [shift for shift in scenario.couriers for _ in range(shift.count)]
    starts = [int(rng.integers(0, len(kitchens))) for _ in team]
    points = [*kitchens, *doors]
    seconds: dict[str, NDArray[np.int64]] = {}
    metres: dict[str, NDArray[np.float64]] = {}
    snapped_by_profile: dict[str, list[SnappedPoint]] = {}
    for profile in sorted({shift.vehicle for shift in team}):
        snapped = geography.snap(profile, [p.lat for p in points], [p.lon for p in points])
        snapped_by_profile[profile] = snapped
        matrix = geography.matrix(profile, snapped)
        seconds[profile] = matrix.whole_seconds()
        metres[profile] = np.nan_to_num(matrix.distances_m, posinf=UNREACHABLE_S)
    if quote.profile not in seconds:
        snapped = geography.snap(quote.profile, [p.lat for p in points], [p.lon for p in points])
        quote_seconds = geography.matrix(quote.profile, snapped).whole_seconds()
    else:
        quote_seconds = seconds[quote.profile]
    # Slots from a stream of their own: a world without scheduled orders stays as it was.
    slots = _slots(np.random.default_rng([scenario.seed, 7]), demand, moments, scenario.hours)
    paces = _true_paces(scenario.kitchens, len(kitchens), scenario.seed)
    lucks = np.random.default_rng([scenario.seed, 13])
    orders = []
    carts_refused = 0
    ticket_id = 0
    spread_s = demand.kitchen_spread_minutes * 60
    for number, placed in enumerate(moments, start=1):
        multi = rng.random() < demand.multi_restaurant_share and len(restaurants) > 1
        count = min(int(rng.choice([2, 3])), len(restaurants)) if multi else 1
        chosen = [int(k) for k in rng.choice(len(restaurants), size=count, replace=False)]
        carts = {
            k: [
                restaurants[k].dishes[int(i)]
                for i in rng.choice(
                    len(restaurants[k].dishes),
                    size=min(2, len(restaurants[k].dishes)),
                    replace=False,
                )
            ]
            for k in chosen
        }
        door = len(kitchens) + number - 1
        fragile = min(d.freshness_minutes for dishes in carts.values() for d in dishes) * 60
        if len(chosen) > 1 and (
            quickest_collection_s(quote_seconds, chosen, door, quote.pickup_service_s) > fragile
        ):
            # The quote refuses a cart that cannot arrive hot together: this customer orders
            # from the first kitchen only.
            carts_refused += 1
            chosen = chosen[:1]
        slot = slots[number - 1]
        tickets = []
        freshness = []
        for k in chosen:
            restaurant = restaurants[k]
            dishes = carts[k]
            prep = max(restaurant.prep_minutes, *(d.prep_minutes for d in dishes)) * 60
            # Scheduled or not, the estimate is the kitchen's own start plus its cooking time.
            estimate = untold_start_s(placed, slot, prep) + prep
            actual = max(placed + 120, int(estimate + rng.normal(0, spread_s)))
            ticket_id += 1
            luck = float(lucks.standard_normal()) if paces else 0.0
            tickets.append(TicketSpec(ticket_id, k, estimate, actual, prep_s=prep, luck=luck))
            freshness.append(min(d.freshness_minutes for d in dishes) * 60)
        orders.append(
            OrderSpec(
                order_id=number,
                placed_s=placed,
                door=door,
                tickets=tuple(tickets),
                promised_s=placed + demand.promise_minutes * 60 if slot is None else slot,
                freshness_s=min(freshness),
                slot_s=slot,
            )
        )
    default_end = scenario.hours + 1
    team_specs = tuple(
        CourierSpec(
            courier_id=n + 1,
            start=starts[n],
            on_s=int(shift.start_hour * 3600),
            off_s=int((shift.end_hour if shift.end_hour is not None else default_end) * 3600),
            capacity=shift.bag_capacity,
            profile=shift.vehicle,
        )
        for n, shift in enumerate(team)
    )
    return World(
        name=scenario.name,
        travel=NetworkTravel(seconds, metres, snapped_by_profile),
        orders=tuple(orders),
        couriers=team_specs,
        fire_for_courier=True,
        carts_refused=carts_refused,
        points=tuple((p.lat, p.lon) for p in points),
        paces=paces,
    )


@dataclass(frozen=True)
class StreetDrawer:
    """A courier's day on the bundled map: each ride along its streets, the OSM attribution."""

    geography: Geography

    def draw(self, result: SimulationResult, courier_id: int) -> bytes:
        travel = result.world.travel
        assert isinstance(travel, NetworkTravel)
        courier = result.state.couriers[courier_id]
        profile = courier.spec.profile
        points = travel.points_by_profile[profile]
        legs = [
            leg.polyline
            for _, a, b in courier.legs
            for leg in self.geography.route(profile, [points[a], points[b]])
        ]
        stops = [
            MapStop(points[courier.spec.start].lat, points[courier.spec.start].lon, "S", "start")
        ]
        for number, ((kind, *_), place) in enumerate(
            zip(courier.log, courier.visited, strict=True), start=1
        ):
            stops.append(
                MapStop(
                    points[place].lat,
                    points[place].lon,
                    str(number),
                    "pickup" if kind == "pickup" else "dropoff",
                )
            )
        title = (
            f"{result.policy}: courier {courier_id} ({profile}), {courier.delivered} orders, "
            f"{courier.metres / 1000:.1f} km"
        )
        return draw_round(
            self.geography.networks[profile], legs, stops, title=title, width_px=900, height_px=700
        )
