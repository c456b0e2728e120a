"""Putting a (lat, lon) on the street network, or saying plainly why it cannot be."""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely
from scipy.spatial import cKDTree

from dispatch.geo.network import StreetNetwork
from dispatch.geo.projection import FloatArray, IntArray

DEFAULT_MAX_SNAP_M = 150.0
PIECE_M = 25.0
"""Long segments are cut into pieces this long, so a piece's midpoint is near its line."""


class SnapError(ValueError):
    """A location that cannot be served; ``reason`` is a sentence for the person who gave it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OutsideServiceZoneError(SnapError):
    pass


class TooFarFromStreetError(SnapError):
    pass


@dataclass(frozen=True)
class SnappedPoint:
    """A location and where it meets the street: ``fraction`` of the way along ``edge``."""

    lat: float
    lon: float
    edge: int
    fraction: float
    offset_m: float
    street_lat: float
    street_lon: float
    street: str


class Snapper:
    """Nearest-street look-ups on one network, within its service zone."""

    def __init__(
        self,
        network: StreetNetwork,
        *,
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
        zone: shapely.Polygon | None = None,
    ) -> None:
        self.network = network
        self.max_snap_m = max_snap_m
        projection = network.projection
        node_x, node_y = projection.to_xy(network.node_lat, network.node_lon)
        # Default zone: the hull of the streets themselves; an operator may pass a tighter one.
        self.zone_xy = (
            shapely.MultiPoint(np.column_stack([node_x, node_y])).convex_hull
            if zone is None
            else shapely.transform(
                zone, lambda lonlat: np.column_stack(projection.to_xy(lonlat[:, 1], lonlat[:, 0]))
            )
        )
        shapely.prepare(self.zone_xy)
        self._build_pieces()

    def _build_pieces(self) -> None:
        network = self.network
        x, y = network.projection.to_xy(network.geom_lat, network.geom_lon)
        fraction = network.edge_geometry_fraction
        offsets = network.geom_offsets
        starts = np.arange(len(x) - 1)
        is_segment = np.ones(len(starts), dtype=bool)
        is_segment[offsets[1:-1] - 1] = False  # no segment across two edges
        starts = starts[is_segment]
        edge = np.repeat(np.arange(network.edge_count), np.diff(offsets) - 1)
        ax, ay, bx, by = x[starts], y[starts], x[starts + 1], y[starts + 1]
        fa, fb = fraction[starts], fraction[starts + 1]

        # Cut each segment into pieces no longer than PIECE_M.
        count = np.maximum(1, np.ceil(np.hypot(bx - ax, by - ay) / PIECE_M)).astype(np.int64)
        seg = np.repeat(np.arange(len(ax)), count)
        step = np.arange(len(seg)) - np.repeat(np.cumsum(count) - count, count)
        t0, t1 = step / count[seg], (step + 1) / count[seg]
        self._ax = ax[seg] + (bx - ax)[seg] * t0
        self._ay = ay[seg] + (by - ay)[seg] * t0
        self._bx = ax[seg] + (bx - ax)[seg] * t1
        self._by = ay[seg] + (by - ay)[seg] * t1
        self._fa = fa[seg] + (fb - fa)[seg] * t0
        self._fb = fa[seg] + (fb - fa)[seg] * t1
        self._edge = edge[seg]
        half = np.hypot(self._bx - self._ax, self._by - self._ay) / 2
        self._half_max = float(half.max()) if len(half) else 0.0
        self._tree = cKDTree(
            np.column_stack([(self._ax + self._bx) / 2, (self._ay + self._by) / 2])
        )

    @cached_property
    def zone_latlon(self) -> list[tuple[float, float]]:
        """The service zone's outline as (lat, lon) points, for maps."""
        x, y = np.asarray(self.zone_xy.exterior.coords).T
        lat, lon = self.network.projection.to_latlon(x, y)
        return [(float(a), float(b)) for a, b in zip(lat, lon, strict=True)]

    def snap(self, lat: float, lon: float) -> SnappedPoint:
        """The nearest usable street position, or SnapError saying why there is none."""
        return self.snap_many([lat], [lon])[0]

    def snap_many(
        self, lat: Sequence[float] | FloatArray, lon: Sequence[float] | FloatArray
    ) -> list[SnappedPoint]:
        """Snap several points at once; raises on the first point that cannot be served."""
        lat_a, lon_a = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
        x, y = self.network.projection.to_xy(lat_a, lon_a)
        outside = ~shapely.intersects_xy(self.zone_xy, x, y)
        if outside.any():
            first = int(np.argmax(outside))
            beyond = float(self.zone_xy.exterior.distance(shapely.Point(x[first], y[first])))
            raise OutsideServiceZoneError(
                f"({lat_a[first]:.6f}, {lon_a[first]:.6f}) is outside the service zone, "
                f"{_metres(beyond)} beyond its edge"
            )
        nearest_mid, _ = self._tree.query(np.column_stack([x, y]), k=1)
        results: list[SnappedPoint] = []
        for i in range(len(x)):
            # Every piece that can be nearer than the nearest midpoint lies within this radius.
            candidates = np.asarray(
                self._tree.query_ball_point([x[i], y[i]], r=nearest_mid[i] + self._half_max),
                dtype=np.int64,
            )
            results.append(self._closest(candidates, float(x[i]), float(y[i]), lat_a[i], lon_a[i]))
        return results

    def _closest(
        self, pieces: IntArray, x: float, y: float, lat: float, lon: float
    ) -> SnappedPoint:
        ax, ay, bx, by = self._ax[pieces], self._ay[pieces], self._bx[pieces], self._by[pieces]
        dx, dy = bx - ax, by - ay
        squared = dx * dx + dy * dy
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(squared > 0, ((x - ax) * dx + (y - ay) * dy) / squared, 0.0)
        t = np.clip(t, 0.0, 1.0)
        px, py = ax + t * dx, ay + t * dy
        distance = np.hypot(px - x, py - y)
        best = int(np.argmin(distance))
        offset = float(distance[best])
        if offset > self.max_snap_m:
            raise TooFarFromStreetError(
                f"({lat:.6f}, {lon:.6f}) is {_metres(offset)} from the nearest street a courier "
                f"can use; the limit is {_metres(self.max_snap_m)}"
            )
        piece = int(pieces[best])
        fraction = float(self._fa[piece] + (self._fb[piece] - self._fa[piece]) * t[best])
        street_lat, street_lon = self.network.projection.to_latlon(px[best], py[best])
        edge = int(self._edge[piece])
        return SnappedPoint(
            lat=float(lat),
            lon=float(lon),
            edge=edge,
            fraction=min(max(fraction, 0.0), 1.0),
            offset_m=offset,
            street_lat=float(street_lat),
            street_lon=float(street_lon),
            street=self.network.edge_name(edge),
        )


def _metres(distance: float) -> str:
    return f"{distance / 1000:.1f} km" if distance >= 1000 else f"{distance:.0f} m"
