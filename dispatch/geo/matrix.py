"""Many-to-many travel times and distances, and street routes between snapped points.

Each point becomes a node of its own, wired into the street it was snapped to: in from the
edge's start (and from its end on a two-way street), out to the edge's end (and to its start),
and to the other points on the same street. One Dijkstra per origin on that augmented graph
(scipy's csgraph, in C) gives exact door-to-door times, including two points on one block.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from dispatch.geo.network import StreetNetwork
from dispatch.geo.paths import path_lengths
from dispatch.geo.projection import FloatArray, IntArray
from dispatch.geo.snapping import SnappedPoint

UNREACHABLE_S = 10**7
"""A ride no plan can afford (about four months)."""


@dataclass(frozen=True)
class TravelMatrix:
    """``durations_s[i, j]`` and ``distances_m[i, j]`` from origin i to destination j."""

    durations_s: FloatArray
    distances_m: FloatArray

    def whole_seconds(self) -> NDArray[np.int64]:
        """Durations rounded to seconds, as the solver takes them; unreachable is UNREACHABLE_S."""
        return np.rint(np.nan_to_num(self.durations_s, posinf=UNREACHABLE_S)).astype(np.int64)


@dataclass(frozen=True)
class Leg:
    """The street path from one point to the next, as (lat, lon) points."""

    polyline: list[tuple[float, float]]
    duration_s: float
    distance_m: float


@dataclass(frozen=True)
class AugmentedGraph:
    """The network plus one node per point; per edge, the street piece it runs along."""

    graph: csr_matrix
    keys: IntArray
    length_m: FloatArray
    street_edge: IntArray
    start: FloatArray
    end: FloatArray
    point_node: IntArray
    node_count: int

    def edge_index(self, source: IntArray, target: IntArray) -> IntArray:
        keys = np.asarray(source, dtype=np.int64) * self.node_count + target
        return np.searchsorted(self.keys, keys)


def augment(network: StreetNetwork, points: Sequence[SnappedPoint]) -> AugmentedGraph:
    """Wire each point into the network as a node of its own."""
    n, k = network.node_count, len(points)
    edge = np.array([p.edge for p in points], dtype=np.int64)
    t = np.array([p.fraction for p in points], dtype=np.float64)
    node = n + np.arange(k, dtype=np.int64)
    reverse = network.reverse_edge[edge]
    u, v = network.edge_source[edge], network.indices[edge]
    two_way = reverse >= 0
    rev = np.where(two_way, reverse, 0)

    parts: list[tuple[IntArray, IntArray, IntArray, FloatArray, FloatArray]] = [
        # (source, target, street edge, start fraction, end fraction)
        (
            network.edge_source,
            network.indices,
            np.arange(network.edge_count),
            np.zeros(network.edge_count),
            np.ones(network.edge_count),
        ),
        (u, node, edge, np.zeros(k), t),
        (node, v, edge, t, np.ones(k)),
        (v[two_way], node[two_way], rev[two_way], np.zeros(k)[two_way], 1 - t[two_way]),
        (node[two_way], u[two_way], rev[two_way], 1 - t[two_way], np.ones(k)[two_way]),
    ]
    parts += _same_street_links(network, points, node)

    source = np.concatenate([p[0] for p in parts])
    target = np.concatenate([p[1] for p in parts])
    street = np.concatenate([p[2] for p in parts])
    start = np.concatenate([p[3] for p in parts])
    end = np.concatenate([p[4] for p in parts])
    share = end - start
    travel = network.travel_s[street] * share
    length = network.length_m[street] * share

    size = n + k
    order = np.lexsort((target, source))
    source, target = source[order], target[order]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(source, minlength=size))])
    graph = csr_matrix((travel[order], target, indptr), shape=(size, size))
    return AugmentedGraph(
        graph=graph,
        keys=source * size + target,
        length_m=length[order],
        street_edge=street[order],
        start=start[order],
        end=end[order],
        point_node=node,
        node_count=size,
    )


def _same_street_links(
    network: StreetNetwork, points: Sequence[SnappedPoint], node: IntArray
) -> list[tuple[IntArray, IntArray, IntArray, FloatArray, FloatArray]]:
    """Links between consecutive points on one street, so neighbours need no detour."""
    street, along, street_reverse = _street_positions(network, points)
    order = np.lexsort((along, street))
    same = street[order][1:] == street[order][:-1]
    a, b = order[:-1][same], order[1:][same]
    forward = (node[a], node[b], street[a], along[a], along[b])
    back = street_reverse[a] >= 0
    a2, b2 = a[back], b[back]
    backward = (node[b2], node[a2], street_reverse[a2], 1 - along[b2], 1 - along[a2])
    return [forward, backward]


def _access(
    network: StreetNetwork, points: Sequence[SnappedPoint]
) -> tuple[FloatArray, FloatArray]:
    offset = np.array([p.offset_m for p in points], dtype=np.float64)
    return offset / network.access_speed_mps, offset


Method = Literal["auto", "augmented", "composed"]


def travel_matrix(
    network: StreetNetwork,
    origins: Sequence[SnappedPoint],
    destinations: Sequence[SnappedPoint] | None = None,
    *,
    method: Method = "auto",
) -> TravelMatrix:
    """Door-to-door times (s) and distances (m) along the fastest street route.

    The last metres between the street and the door count at walking speed; a point to
    itself is 0. Two exact methods, chosen by their cost: Dijkstra from every point on the
    augmented graph (few points on a large map), or Dijkstra from the street nodes next to the
    origins, combined with each point's offsets along its street (many points on a small map).
    """
    targets = list(origins) if destinations is None else list(destinations)
    if method == "auto" and network.has_node_table:
        method = "composed"
    if method == "auto":
        street_sources = min(2 * len(origins), network.node_count)
        augmented_cost = len(origins) * (network.node_count + len(origins) + len(targets))
        method = "composed" if street_sources * network.node_count < augmented_cost else "augmented"
    if method == "augmented":
        ride_s, ride_m = _ride_augmented(network, origins, targets)
    else:
        ride_s, ride_m = _ride_composed(network, origins, targets)

    origin_s, origin_m = _access(network, origins)
    target_s, target_m = _access(network, targets)
    durations = ride_s + origin_s[:, None] + target_s[None, :]
    distances = ride_m + origin_m[:, None] + target_m[None, :]
    identical = _same_place(origins, targets)
    durations[identical] = 0.0
    distances[identical] = 0.0
    return TravelMatrix(durations_s=durations, distances_m=distances)


def _same_place(
    origins: Sequence[SnappedPoint], targets: Sequence[SnappedPoint]
) -> NDArray[np.bool_]:
    a = np.array([(p.lat, p.lon) for p in origins], dtype=np.float64).reshape(-1, 2)
    b = np.array([(p.lat, p.lon) for p in targets], dtype=np.float64).reshape(-1, 2)
    return np.asarray((a[:, None, 0] == b[None, :, 0]) & (a[:, None, 1] == b[None, :, 1]))


def _ride_augmented(
    network: StreetNetwork, origins: Sequence[SnappedPoint], targets: Sequence[SnappedPoint]
) -> tuple[FloatArray, FloatArray]:
    graph = augment(network, [*origins, *targets])
    origin_nodes = graph.point_node[: len(origins)]
    target_nodes = graph.point_node[len(origins) :]
    if network.uniform_speed_mps is not None:
        times = dijkstra(graph.graph, indices=origin_nodes)[:, target_nodes]
        return times, times * network.uniform_speed_mps
    times, predecessors = dijkstra(graph.graph, indices=origin_nodes, return_predecessors=True)
    lengths = path_lengths(graph.length_m, graph.edge_index, predecessors)
    return times[:, target_nodes], lengths[:, target_nodes]


@dataclass(frozen=True)
class _Ends:
    """Where each point can leave (or join) the street graph, and at what cost."""

    node: IntArray
    cost_s: FloatArray
    cost_m: FloatArray


def _exits(network: StreetNetwork, points: Sequence[SnappedPoint]) -> tuple[_Ends, _Ends]:
    """Leaving a point: ahead to the edge's end, or back to its start on a two-way street."""
    edge, t, reverse = _positions(network, points)
    ahead = _Ends(
        network.indices[edge], (1 - t) * network.travel_s[edge], (1 - t) * network.length_m[edge]
    )
    back = _two_way(network, network.edge_source[edge], t, reverse)
    return ahead, back


def _entries(network: StreetNetwork, points: Sequence[SnappedPoint]) -> tuple[_Ends, _Ends]:
    """Reaching a point: from the edge's start, or from its end on a two-way street."""
    edge, t, reverse = _positions(network, points)
    start = _Ends(network.edge_source[edge], t * network.travel_s[edge], t * network.length_m[edge])
    end = _two_way(network, network.indices[edge], 1 - t, reverse)
    return start, end


def _positions(
    network: StreetNetwork, points: Sequence[SnappedPoint]
) -> tuple[IntArray, FloatArray, IntArray]:
    edge = np.array([p.edge for p in points], dtype=np.int64)
    t = np.array([p.fraction for p in points], dtype=np.float64)
    return edge, t, network.reverse_edge[edge]


def _two_way(network: StreetNetwork, node: IntArray, share: FloatArray, reverse: IntArray) -> _Ends:
    exists = reverse >= 0
    rev = np.where(exists, reverse, 0)
    return _Ends(
        node,
        np.where(exists, share * network.travel_s[rev], np.inf),
        np.where(exists, share * network.length_m[rev], np.inf),
    )


def _ride_composed(
    network: StreetNetwork, origins: Sequence[SnappedPoint], targets: Sequence[SnappedPoint]
) -> tuple[FloatArray, FloatArray]:
    exits = _exits(network, origins)
    entries = _entries(network, targets)
    sources = np.unique(np.concatenate([end.node[np.isfinite(end.cost_s)] for end in exits]))
    times, lengths = _street_node_rows(network, sources)
    uniform = network.uniform_speed_mps

    # First the best way out of each origin to every street node, then into each target.
    node_s = np.full((len(origins), network.node_count), np.inf)
    node_m = None if lengths is None else np.full_like(node_s, np.inf)
    for out in exits:
        # Exits that do not exist (one-way streets) cost inf, whatever row they read.
        rows = np.minimum(np.searchsorted(sources, out.node), len(sources) - 1)
        _keep_best(
            node_s,
            node_m,
            times[rows] + out.cost_s[:, None],
            None if lengths is None else lengths[rows] + out.cost_m[:, None],
        )
    ride_s = np.full((len(origins), len(targets)), np.inf)
    ride_m = None if node_m is None else np.full_like(ride_s, np.inf)
    for into in entries:
        _keep_best(
            ride_s,
            ride_m,
            node_s[:, into.node] + into.cost_s[None, :],
            None if node_m is None else node_m[:, into.node] + into.cost_m[None, :],
        )
    _ride_along_one_street(network, origins, targets, ride_s, ride_m)
    if ride_m is None:
        assert uniform is not None
        ride_m = ride_s * uniform
    return ride_s, ride_m


def _keep_best(
    best_s: FloatArray, best_m: FloatArray | None, new_s: FloatArray, new_m: FloatArray | None
) -> None:
    """Keep, in place, the faster of two options, with its length when lengths are tracked."""
    if best_m is None or new_m is None:
        np.minimum(best_s, new_s, out=best_s)
        return
    better = new_s < best_s
    best_s[better] = new_s[better]
    best_m[better] = new_m[better]


def _street_node_rows(
    network: StreetNetwork, sources: IntArray
) -> tuple[FloatArray, FloatArray | None]:
    """Times (and lengths, unless speed is uniform) from these street nodes to all others."""
    if network.has_node_table:
        all_times, all_lengths = network.node_table
        return all_times[sources], None if all_lengths is None else all_lengths[sources]
    if network.uniform_speed_mps is not None:
        return dijkstra(network.travel_graph, indices=sources), None
    times, predecessors = dijkstra(network.travel_graph, indices=sources, return_predecessors=True)
    return times, path_lengths(network.length_m, network.edge_index, predecessors)


def _ride_along_one_street(
    network: StreetNetwork,
    origins: Sequence[SnappedPoint],
    targets: Sequence[SnappedPoint],
    ride_s: FloatArray,
    ride_m: FloatArray | None,
) -> None:
    """Improve, in place, the pairs on one street that can ride straight along it."""
    street_o, along_o, street_rev_o = _street_positions(network, origins)
    street_t, along_t, _ = _street_positions(network, targets)
    i, j = np.nonzero(street_o[:, None] == street_t[None, :])
    gap = along_t[j] - along_o[i]
    street, reverse = street_o[i], street_rev_o[i]
    forward = gap >= 0
    backward = ~forward & (reverse >= 0)
    for mask, edge, share in ((forward, street, gap), (backward, reverse, -gap)):
        pi, pj, edge, share = i[mask], j[mask], edge[mask], share[mask]
        candidate = share * network.travel_s[edge]
        better = candidate < ride_s[pi, pj]
        ride_s[pi[better], pj[better]] = candidate[better]
        if ride_m is not None:
            ride_m[pi[better], pj[better]] = (share * network.length_m[edge])[better]


def _street_positions(
    network: StreetNetwork, points: Sequence[SnappedPoint]
) -> tuple[IntArray, FloatArray, IntArray]:
    """Each point's street (both directions of a two-way street are one: the lower edge id),
    its position along that street, and the street's opposite direction (or -1)."""
    edge, t, reverse = _positions(network, points)
    flip = (reverse >= 0) & (reverse < edge)
    return np.where(flip, reverse, edge), np.where(flip, 1 - t, t), np.where(flip, edge, reverse)


def route(network: StreetNetwork, stops: Sequence[SnappedPoint]) -> list[Leg]:
    """The street legs between consecutive stops, door to door."""
    if len(stops) < 2:
        return []
    graph = augment(network, stops)
    times, predecessors = dijkstra(
        graph.graph, indices=graph.point_node[:-1], return_predecessors=True
    )
    legs: list[Leg] = []
    for i in range(len(stops) - 1):
        a, b = stops[i], stops[i + 1]
        target = int(graph.point_node[i + 1])
        hops = _hops(predecessors[i], int(graph.point_node[i]), target)
        polyline: list[tuple[float, float]] = [(a.lat, a.lon)]
        length = a.offset_m + b.offset_m
        if hops:
            index = graph.edge_index(np.array([h[0] for h in hops]), np.array([h[1] for h in hops]))
            for position in index.tolist():
                piece = network.edge_polyline(
                    int(graph.street_edge[position]),
                    float(graph.start[position]),
                    float(graph.end[position]),
                )
                polyline += piece[1:] if polyline and piece[0] == polyline[-1] else piece
                length += float(graph.length_m[position])
        polyline.append((b.lat, b.lon))
        access = (a.offset_m + b.offset_m) / network.access_speed_mps
        same_point = int(graph.point_node[i]) == target
        legs.append(
            Leg(
                polyline=polyline,
                duration_s=0.0 if same_point else float(times[i, target]) + access,
                distance_m=0.0 if same_point else length,
            )
        )
    return legs


def _hops(predecessors: IntArray, source: int, target: int) -> list[tuple[int, int]]:
    hops: list[tuple[int, int]] = []
    node = target
    while node != source:
        parent = int(predecessors[node])
        if parent < 0:
            raise ValueError(f"no route from node {source} to node {target}")
        hops.append((parent, node))
        node = parent
    hops.reverse()
    return hops
