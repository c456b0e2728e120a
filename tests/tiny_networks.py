"""Tiny hand-made street networks whose travel times can be worked out on paper."""

import numpy as np

from dispatch.geo.network import EdgeList, StreetNetwork
from dispatch.geo.projection import LocalProjection

ORIGIN = LocalProjection(48.86, 2.36)
SPEED_MPS = 5.0  # 18 km/h: 100 m take 20 s


def _network(
    corners_xy: list[tuple[float, float]], streets: list[tuple[int, int]], name: str
) -> StreetNetwork:
    lat, lon = ORIGIN.to_latlon([c[0] for c in corners_xy], [c[1] for c in corners_xy])
    source = np.array([s[0] for s in streets])
    target = np.array([s[1] for s in streets])
    length = np.hypot(
        np.array([corners_xy[a][0] - corners_xy[b][0] for a, b in streets]),
        np.array([corners_xy[a][1] - corners_xy[b][1] for a, b in streets]),
    )
    edges = EdgeList(
        node_lat=lat,
        node_lon=lon,
        source=source,
        target=target,
        length_m=length,
        speed_mps=np.full(len(streets), SPEED_MPS),
        names=[f"Rue {name} {a}-{b}" if a < b else f"Rue {name} {b}-{a}" for a, b in streets],
        geometry=[None] * len(streets),
    )
    return StreetNetwork.from_edges(name, edges, access_speed_mps=1.25)


def one_way_block() -> StreetNetwork:
    """A 100 m square block, one-way all round: 0 -> 1 -> 2 -> 3 -> 0 (counter-clockwise)."""
    corners = [(0.0, 0.0), (100.0, 0.0), (100.0, 100.0), (0.0, 100.0)]
    return _network(corners, [(0, 1), (1, 2), (2, 3), (3, 0)], "sens-unique")


def two_way_street() -> StreetNetwork:
    """One 200 m street, two-way, with a 100 m one-way spur 1 -> 2 -> 0 closing a loop."""
    corners = [(0.0, 0.0), (200.0, 0.0), (100.0, 100.0)]
    return _network(corners, [(0, 1), (1, 0), (1, 2), (2, 0)], "double-sens")


def empty_square() -> StreetNetwork:
    """A 1 km square block, two-way all round, with nothing inside."""
    corners = [(0.0, 0.0), (1000.0, 0.0), (1000.0, 1000.0), (0.0, 1000.0)]
    ring = [(0, 1), (1, 2), (2, 3), (3, 0)]
    return _network(corners, ring + [(b, a) for a, b in ring], "carree")


def lat_lon(x: float, y: float) -> tuple[float, float]:
    lat, lon = ORIGIN.to_latlon(x, y)
    return float(lat), float(lon)
