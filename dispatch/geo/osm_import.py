"""Reading an OSM XML extract into an edge list with osmnx, offline."""

from pathlib import Path
from typing import Any

import numpy as np

from dispatch.geo.network import EdgeList
from dispatch.geo.profiles import Profile

KPH_TO_MPS = 1 / 3.6


def edges_from_osm(path: Path, profile: Profile) -> EdgeList:
    """The profile's streets from a local OSM XML file (never the network).

    The file must already hold only the ways of the profile's network: osmnx's
    ``graph_from_xml`` keeps every way it is given.
    """
    import osmnx as ox  # imported here: only a cold build pays for it (about a second)

    graph = ox.graph_from_xml(
        path, bidirectional=profile.network == "walk", simplify=True, retain_all=True
    )
    if profile.uses_legal_speeds:
        graph = ox.add_edge_speeds(graph)

    node_ids = list(graph.nodes)
    index = {node: position for position, node in enumerate(node_ids)}
    node_lat = np.array([graph.nodes[node]["y"] for node in node_ids], dtype=np.float64)
    node_lon = np.array([graph.nodes[node]["x"] for node in node_ids], dtype=np.float64)

    source: list[int] = []
    target: list[int] = []
    length: list[float] = []
    speed: list[float] = []
    names: list[str] = []
    geometry: list[list[tuple[float, float]] | None] = []
    for u, v, data in graph.edges(data=True):
        source.append(index[u])
        target.append(index[v])
        length.append(float(data["length"]))
        speed.append(_speed_mps(profile, data))
        names.append(_first_name(data.get("name")))
        geometry.append(_oriented_polyline(data.get("geometry"), graph.nodes[u], graph.nodes[v]))
    return EdgeList(
        node_lat=node_lat,
        node_lon=node_lon,
        source=np.array(source, dtype=np.int64),
        target=np.array(target, dtype=np.int64),
        length_m=np.array(length, dtype=np.float64),
        speed_mps=np.array(speed, dtype=np.float64),
        names=names,
        geometry=geometry,
    )


def _speed_mps(profile: Profile, data: dict[str, Any]) -> float:
    if not profile.uses_legal_speeds:
        return profile.speed_kph * KPH_TO_MPS
    legal_kph = min(float(data["speed_kph"]), profile.speed_kph)
    return legal_kph * profile.legal_speed_share * KPH_TO_MPS


def _first_name(name: object) -> str:
    if isinstance(name, list):
        return str(name[0]) if name else ""
    return str(name) if isinstance(name, str) else ""


def _oriented_polyline(
    geometry: Any, start: dict[str, Any], end: dict[str, Any]
) -> list[tuple[float, float]] | None:
    """The edge's (lat, lon) points from its source to its target, or None when straight."""
    if geometry is None:
        return None
    points = [(float(lat), float(lon)) for lon, lat in geometry.coords]
    first, last = points[0], points[-1]

    def gap(point: tuple[float, float], node: dict[str, Any]) -> float:
        return float((point[0] - node["y"]) ** 2 + (point[1] - node["x"]) ** 2)

    if gap(first, start) + gap(last, end) > gap(first, end) + gap(last, start):
        points.reverse()
    return points
