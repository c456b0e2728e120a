"""A slow, plainly written reference for travel matrices: networkx Dijkstra per origin.

It shares nothing with dispatch.geo.matrix but the network arrays and the snapped points: each
origin leaves its street by either end that its direction allows, each destination is
reached by either end, and two points on one street may ride straight along it.
"""

from collections.abc import Sequence
from itertools import pairwise

import networkx as nx
import numpy as np

from dispatch.geo.network import StreetNetwork
from dispatch.geo.snapping import SnappedPoint

Exit = tuple[int, float, float]  # street node, seconds, metres from/to the point


def street_graph(network: StreetNetwork) -> "nx.DiGraph[int]":
    graph: nx.DiGraph[int] = nx.DiGraph()
    graph.add_nodes_from(range(network.node_count))
    for edge in range(network.edge_count):
        graph.add_edge(
            int(network.edge_source[edge]),
            int(network.indices[edge]),
            weight=float(network.travel_s[edge]),
            length=float(network.length_m[edge]),
            edge=edge,
        )
    return graph


def _exits(network: StreetNetwork, point: SnappedPoint) -> list[Exit]:
    e, t = point.edge, point.fraction
    exits = [
        (int(network.indices[e]), (1 - t) * network.travel_s[e], (1 - t) * network.length_m[e])
    ]
    r = int(network.reverse_edge[e])
    if r >= 0:
        exits.append(
            (int(network.edge_source[e]), t * network.travel_s[r], t * network.length_m[r])
        )
    return exits


def _entries(network: StreetNetwork, point: SnappedPoint) -> list[Exit]:
    e, t = point.edge, point.fraction
    entries = [(int(network.edge_source[e]), t * network.travel_s[e], t * network.length_m[e])]
    r = int(network.reverse_edge[e])
    if r >= 0:
        entries.append(
            (int(network.indices[e]), (1 - t) * network.travel_s[r], (1 - t) * network.length_m[r])
        )
    return entries


def _straight(network: StreetNetwork, a: SnappedPoint, b: SnappedPoint) -> tuple[float, float]:
    """Riding from a to b along the one street they share, if the direction allows."""
    best = (np.inf, np.inf)
    e, t = a.edge, a.fraction
    r = int(network.reverse_edge[e])
    # Positions of b along e (and along r), where b lies on this street at all.
    along_e = b.fraction if b.edge == e else (1 - b.fraction if b.edge == r and r >= 0 else None)
    if along_e is None:
        return best
    if along_e >= t:
        best = min(best, ((along_e - t) * network.travel_s[e], (along_e - t) * network.length_m[e]))
    if r >= 0 and along_e <= t:
        share = t - along_e
        best = min(best, (share * network.travel_s[r], share * network.length_m[r]))
    return (float(best[0]), float(best[1]))


def reference_matrix(
    network: StreetNetwork,
    origins: Sequence[SnappedPoint],
    destinations: Sequence[SnappedPoint],
    *,
    with_distances: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Door-to-door seconds and metres (metres along the fastest route)."""
    graph = street_graph(network)
    speed = network.access_speed_mps
    durations = np.zeros((len(origins), len(destinations)))
    distances = np.zeros((len(origins), len(destinations)))
    entries = [_entries(network, b) for b in destinations]
    for i, a in enumerate(origins):
        trees = []
        for node, cost_s, cost_m in _exits(network, a):
            if with_distances:
                times, paths = nx.single_source_dijkstra(graph, node, weight="weight")
                metres = {
                    target: sum(graph.edges[u, v]["length"] for u, v in pairwise(path))
                    for target, path in paths.items()
                }
            else:
                times = nx.single_source_dijkstra_path_length(graph, node, weight="weight")
                metres = {}
            trees.append((cost_s, cost_m, times, metres))
        for j, b in enumerate(destinations):
            if (a.lat, a.lon) == (b.lat, b.lon):
                continue
            best = _straight(network, a, b)
            for cost_s, cost_m, times, metres in trees:
                for node, in_s, in_m in entries[j]:
                    total = cost_s + times[node] + in_s
                    if total < best[0]:
                        best = (total, cost_m + metres.get(node, np.nan) + in_m)
            durations[i, j] = best[0] + (a.offset_m + b.offset_m) / speed
            distances[i, j] = best[1] + a.offset_m + b.offset_m
    return durations, distances
