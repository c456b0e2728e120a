"""Zones of a city: one dispatcher each, and the rules that keep them from colliding.

A city too busy for one solve splits into zones (polygons, configured or suggested from where
the kitchens are). Each zone's dispatcher plans only its own orders on its own couriers:

- an order belongs to the zone of its kitchens (`order_zone`), decided once, so a cart whose
  kitchens lie in two zones is planned by exactly one;
- a courier works in the zone it starts its shift in, and changes zone only with nothing
  planned: lent to a zone whose orders wait for a courier (`to_borrow`), and home again once
  that zone has nothing waiting (`goes_home`).

The worker and the simulator both read these rules here. Places are (lat, lon).
"""

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from math import cos, radians
from typing import Final

import numpy as np
import shapely
from scipy.cluster.vq import kmeans2

from dispatch.planning.problem import Unplaced

LatLon = tuple[float, float]

WHOLE_CITY: Final = "city"
"""The one zone of a city that is not split."""

CURED_BY_A_COURIER: Final = frozenset(
    {
        Unplaced.NO_COURIER,
        Unplaced.COURIERS_BUSY,
        Unplaced.OUTSIDE_EVERY_SHIFT,
        Unplaced.PAST_HARD_MAXIMUM,
    }
)
"""Why an order may wait that one more courier nearby would end (bags too small or kitchens
too far apart for the food to stay hot are not: another courier changes nothing)."""

LEND_RESERVE: Final = 1
"""Idle couriers a zone keeps for itself before it lends one."""


class ZoneError(ValueError):
    """A zone file that cannot be used, with the reason."""


@dataclass(frozen=True)
class Zone:
    name: str
    outline: tuple[LatLon, ...]
    """The polygon's corners, (lat, lon); empty for the whole city."""


class ZoneMap:
    """Which zone a place lies in: the first polygon holding it, else the nearest one, so every
    place has exactly one zone."""

    def __init__(self, zones: Sequence[Zone]) -> None:
        names = [z.name for z in zones]
        if not zones:
            raise ZoneError("a zone map needs at least one zone")
        if len(set(names)) != len(names) or not all(n.strip() for n in names):
            raise ZoneError(f"zone names must be distinct and not blank: {names}")
        if len(zones) > 1 and any(len(z.outline) < 3 for z in zones):
            raise ZoneError("every zone of a split city needs a polygon of 3 corners or more")
        self.zones = tuple(zones)
        self._shapes = [
            shapely.Polygon([(lon, lat) for lat, lon in z.outline]) if z.outline else None
            for z in zones
        ]
        for zone, shape in zip(zones, self._shapes, strict=True):
            if shape is not None and not shape.is_valid:
                raise ZoneError(f"zone {zone.name!r}: its polygon crosses itself")

    @classmethod
    def whole_city(cls) -> "ZoneMap":
        return cls([Zone(WHOLE_CITY, ())])

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(z.name for z in self.zones)

    def zone_of(self, lat: float, lon: float) -> str:
        if len(self.zones) == 1:
            return self.zones[0].name
        point = shapely.Point(lon, lat)
        distances = []
        for zone, shape in zip(self.zones, self._shapes, strict=True):
            assert shape is not None
            if shape.covers(point):
                return zone.name
            distances.append(shape.distance(point))
        return self.zones[int(np.argmin(distances))].name

    def to_geojson(self) -> str:
        features = [
            {
                "type": "Feature",
                "properties": {"name": z.name},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[lon, lat] for lat, lon in (*z.outline, z.outline[0])]],
                },
            }
            for z in self.zones
            if z.outline
        ]
        return json.dumps({"type": "FeatureCollection", "features": features}, indent=1)

    @classmethod
    def from_geojson(cls, text: str) -> "ZoneMap":
        """A FeatureCollection of Polygons, each with a `name` property."""
        try:
            features = json.loads(text)["features"]
            zones = [
                Zone(
                    str(f["properties"]["name"]),
                    tuple((float(lat), float(lon)) for lon, lat in f["geometry"]["coordinates"][0]),
                )
                for f in features
            ]
        except (ValueError, KeyError, TypeError, IndexError) as error:
            raise ZoneError(
                "expected a GeoJSON FeatureCollection of Polygons with a 'name' property each: "
                f"{error!r}"
            ) from error
        return cls([Zone(z.name, _open_ring(z.outline)) for z in zones])


def _open_ring(outline: tuple[LatLon, ...]) -> tuple[LatLon, ...]:
    return outline[:-1] if len(outline) > 1 and outline[0] == outline[-1] else outline


def suggest_zones(kitchens: Sequence[LatLon], count: int, bounds: tuple[LatLon, LatLon]) -> ZoneMap:
    """`count` zones around clusters of kitchens: the cells of the clusters' centres within the
    map's bounds ((south, west), (north, east)), named zone-1... from west to east."""
    if count < 1:
        raise ZoneError("a city needs at least one zone")
    if count == 1:
        return ZoneMap.whole_city()
    if len(set(kitchens)) < count:
        raise ZoneError(f"{count} zones need {count} kitchens at distinct places at least")
    (south, west), (north, east) = bounds
    squash = cos(radians((south + north) / 2))  # a degree of longitude is shorter than one of lat
    points = np.array([(lat, lon * squash) for lat, lon in kitchens])
    centres, _ = kmeans2(points, count, minit="++", seed=1)
    sites = sorted((lat, x / squash) for lat, x in centres)
    frame = shapely.box(west, south, east, north)
    cells = shapely.voronoi_polygons(
        shapely.MultiPoint([(lon, lat) for lat, lon in sites]), extend_to=frame
    )
    zones = []
    for cell in cells.geoms:
        clipped = cell.intersection(frame)
        site = next(s for s in sites if clipped.covers(shapely.Point(s[1], s[0])))
        ring = tuple((lat, lon) for lon, lat in clipped.exterior.coords)
        zones.append((site[1], _open_ring(ring)))
    zones.sort()
    return ZoneMap([Zone(f"zone-{n}", ring) for n, (_, ring) in enumerate(zones, start=1)])


def order_zone(kitchen_zones: Sequence[str]) -> str:
    """The zone that plans an order: where most of its kitchens lie; on a tie, the first
    kitchen's (the cart's order)."""
    if not kitchen_zones:
        raise ValueError("an order has at least one kitchen")
    counts = Counter(kitchen_zones)
    most = max(counts.values())
    return next(z for z in kitchen_zones if counts[z] == most)


@dataclass(frozen=True)
class IdleCourier:
    """A courier on shift with nothing planned, in some zone."""

    courier_id: int
    zone: str
    place: LatLon


def to_borrow(
    zone: str,
    waiting_kitchens: Sequence[LatLon],
    idle: Iterable[IdleCourier],
    reserve: int = LEND_RESERVE,
) -> list[int]:
    """The couriers a zone borrows now: one for each of its orders waiting for a courier (at the
    order's first kitchen), the nearest idle courier of another zone that keeps `reserve` idle
    couriers at home, and none while a courier of its own is idle (it would take the order)."""
    idle = list(idle)
    if any(c.zone == zone for c in idle):
        return []
    spare = Counter(c.zone for c in idle)
    chosen: list[int] = []
    for lat, lon in waiting_kitchens:
        candidates = [
            c
            for c in idle
            if c.zone != zone and spare[c.zone] > reserve and c.courier_id not in chosen
        ]
        if not candidates:
            break
        squash = cos(radians(lat))
        nearest = min(
            candidates,
            key=lambda c: (
                (c.place[0] - lat) ** 2 + ((c.place[1] - lon) * squash) ** 2,
                c.courier_id,
            ),
        )
        chosen.append(nearest.courier_id)
        spare[nearest.zone] -= 1
    return chosen


def goes_home(zone: str, home: str, idle: bool, waiting: int) -> bool:
    """A lent courier returns to its home zone once it has nothing planned and the zone that
    borrowed it has no order waiting for a courier."""
    return zone != home and idle and waiting == 0


def lending_moves(
    zone: str,
    waiting_kitchens: Sequence[LatLon],
    idle: Sequence[tuple[IdleCourier, str]],
    reserve: int = LEND_RESERVE,
) -> dict[int, tuple[str, str]]:
    """What a zone's dispatcher does after its plan, courier id -> (from zone, to zone): borrow
    for its orders waiting for a courier (at each one's first kitchen), or send its lent idle
    couriers home when none waits. `idle`: every idle courier, each with its home zone."""
    source = {courier.courier_id: courier.zone for courier, _ in idle}
    moves = {
        courier_id: (source[courier_id], zone)
        for courier_id in to_borrow(zone, waiting_kitchens, [c for c, _ in idle], reserve)
    }
    for courier, home in idle:
        if courier.zone == zone and goes_home(zone, home, True, len(waiting_kitchens)):
            moves[courier.courier_id] = (zone, home)
    return moves
