"""The map a service runs on: each profile's network, snapping, street names."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import shapely
from numpy.typing import NDArray

from dispatch.geo.doors import DoorFinder, osm_doors
from dispatch.geo.matrix import Leg, TravelMatrix, route, travel_matrix
from dispatch.geo.network import StreetNetwork
from dispatch.geo.network_store import load_network
from dispatch.geo.profiles import Profile
from dispatch.geo.snapping import DEFAULT_MAX_SNAP_M, SnappedPoint, Snapper
from dispatch.geo.streets import StreetIndex

PRIMARY_PROFILE = "bike"
SNAP_CACHE_SIZE = 50_000


@dataclass(frozen=True)
class Geography:
    """Snapping and travel times per vehicle profile, over one service zone.

    A location is accepted (``locate``) against the primary profile's streets; once accepted,
    every profile reaches it, walking the last metres if its own streets are farther away.
    """

    networks: Mapping[str, StreetNetwork]
    snappers: Mapping[str, Snapper]
    streets: StreetIndex
    doors: DoorFinder = field(default_factory=DoorFinder)
    """The map's known house numbers, and the door of any number on its streets."""

    def bounds(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """((south, west), (north, east)) of every street of the map."""
        lats = np.concatenate([n.node_lat for n in self.networks.values()])
        lons = np.concatenate([n.node_lon for n in self.networks.values()])
        return (float(lats.min()), float(lons.min())), (float(lats.max()), float(lons.max()))

    def locate(self, lat: float, lon: float) -> SnappedPoint:
        """Check a customer-facing location: inside the zone and near a usable street."""
        return self._cached_snap(PRIMARY_PROFILE, float(lat), float(lon))

    def snap(self, profile: str, lat: Sequence[float], lon: Sequence[float]) -> list[SnappedPoint]:
        return [
            self._cached_snap(profile, float(a), float(b)) for a, b in zip(lat, lon, strict=True)
        ]

    @cached_property
    def _cached_snap(self) -> Callable[[str, float, float], SnappedPoint]:
        """Snapping with memory: kitchens, relay points and regular addresses come back."""

        @lru_cache(maxsize=SNAP_CACHE_SIZE)
        def snap(profile: str, lat: float, lon: float) -> SnappedPoint:
            return self.snappers[profile].snap(lat, lon)

        return snap

    def matrix(
        self,
        profile: str,
        origins: Sequence[SnappedPoint],
        destinations: Sequence[SnappedPoint] | None = None,
    ) -> TravelMatrix:
        return travel_matrix(self.networks[profile], origins, destinations)

    def ride_seconds(
        self, profile: str, lat: Sequence[float], lon: Sequence[float]
    ) -> NDArray[np.int64]:
        """Whole-second rides between these places on the profile's streets."""
        return self.matrix(profile, self.snap(profile, lat, lon)).whole_seconds()

    def route(self, profile: str, stops: Sequence[SnappedPoint]) -> list[Leg]:
        return route(self.networks[profile], stops)


def load_geography(
    map_dir: Path,
    map_name: str,
    cache_dir: Path,
    profiles: Mapping[str, Profile],
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> Geography:
    networks = {
        name: load_network(map_dir, map_name, profile, cache_dir)
        for name, profile in profiles.items()
    }
    primary = Snapper(networks[PRIMARY_PROFILE], max_snap_m=max_snap_m)
    zone_lonlat = shapely.Polygon([(lon, lat) for lat, lon in primary.zone_latlon])
    snappers = {
        name: primary
        if name == PRIMARY_PROFILE
        else Snapper(network, max_snap_m=float("inf"), zone=zone_lonlat)
        for name, network in networks.items()
    }
    walk = networks.get("walk", networks[PRIMARY_PROFILE])
    pbf = map_dir / f"{map_name}.osm.pbf"  # the original extract, when the map ships it
    doors = DoorFinder(osm_doors(pbf) if pbf.exists() else ())
    return Geography(networks=networks, snappers=snappers, streets=StreetIndex(walk), doors=doors)
