"""A street network as compact arrays: CSR adjacency, travel times, lengths, geometry, names."""

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from dispatch.geo.paths import path_lengths
from dispatch.geo.projection import FloatArray, IntArray, LocalProjection

FORMAT_VERSION: Final = 1
NODE_TABLE_MAX_NODES: Final = 3000


@dataclass(frozen=True)
class EdgeList:
    """Directed street segments as parallel arrays, before any cleaning.

    ``geometry[i]`` is the (lat, lon) polyline of edge i from its source to its target,
    endpoints included; straight edges may pass None.
    """

    node_lat: FloatArray
    node_lon: FloatArray
    source: IntArray
    target: IntArray
    length_m: FloatArray
    speed_mps: FloatArray
    names: list[str]
    geometry: list[list[tuple[float, float]] | None]


@dataclass(frozen=True, eq=False)
class StreetNetwork:
    """One vehicle profile's street graph, kept to its largest strongly connected part.

    Edges are stored in CSR order (sorted by source, then target); parallel edges are merged
    keeping the fastest. ``geom_offsets[e]:geom_offsets[e+1]`` indexes edge e's polyline in
    ``geom_lat``/``geom_lon``.
    """

    profile: str
    node_lat: FloatArray
    node_lon: FloatArray
    indptr: IntArray
    indices: IntArray
    travel_s: FloatArray
    length_m: FloatArray
    name_id: IntArray
    names: NDArray[np.str_]
    geom_offsets: IntArray
    geom_lat: FloatArray
    geom_lon: FloatArray
    uniform_speed_mps: float | None
    access_speed_mps: float
    source_sha256: str = ""

    # --- sizes and derived views -------------------------------------------------------

    @property
    def node_count(self) -> int:
        return int(self.node_lat.shape[0])

    @property
    def edge_count(self) -> int:
        return int(self.indices.shape[0])

    @cached_property
    def edge_source(self) -> IntArray:
        return np.repeat(np.arange(self.node_count, dtype=np.int64), np.diff(self.indptr))

    @cached_property
    def edge_keys(self) -> IntArray:
        """``source * n + target`` per edge, sorted (CSR order), for vectorised look-ups."""
        return self.edge_source * self.node_count + self.indices

    def edge_index(self, source: IntArray, target: IntArray) -> IntArray:
        """Index of edge source->target for each pair, or -1 where there is none."""
        keys = np.asarray(source, dtype=np.int64) * self.node_count + np.asarray(target)
        position = np.searchsorted(self.edge_keys, keys)
        position = np.minimum(position, self.edge_count - 1)
        found = self.edge_keys[position] == keys
        return np.where(found, position, -1)

    @cached_property
    def reverse_edge(self) -> IntArray:
        """For each edge u->v, the edge v->u, or -1 on a one-way street."""
        return self.edge_index(self.indices, self.edge_source)

    @cached_property
    def projection(self) -> LocalProjection:
        return LocalProjection(float(np.mean(self.node_lat)), float(np.mean(self.node_lon)))

    @cached_property
    def node_table(self) -> tuple[FloatArray, FloatArray | None]:
        """Fastest times between all street nodes, and the lengths of those routes.

        Only for networks up to NODE_TABLE_MAX_NODES: computed once per process (about 50 ms
        for the bundled Paris bike network), then every matrix skips its Dijkstra runs.
        """
        if self.uniform_speed_mps is not None:
            return dijkstra(self.travel_graph), None
        times, predecessors = dijkstra(self.travel_graph, return_predecessors=True)
        return times, path_lengths(self.length_m, self.edge_index, predecessors)

    @property
    def has_node_table(self) -> bool:
        return self.node_count <= NODE_TABLE_MAX_NODES

    @cached_property
    def travel_graph(self) -> csr_matrix:
        return csr_matrix(
            (self.travel_s, self.indices, self.indptr), shape=(self.node_count, self.node_count)
        )

    @cached_property
    def edge_geometry_fraction(self) -> FloatArray:
        """For each geometry point, its position along its edge as a share of the length."""
        x, y = self.projection.to_xy(self.geom_lat, self.geom_lon)
        step = np.hypot(np.diff(x), np.diff(y))
        step = np.concatenate([[0.0], step])
        starts = self.geom_offsets[:-1]
        # No distance is carried from the end of one edge to the start of the next.
        step[starts] = 0.0
        cumulative = np.cumsum(step)
        edge_of_point = np.repeat(np.arange(self.edge_count), np.diff(self.geom_offsets))
        base = cumulative[starts][edge_of_point]
        total = cumulative[self.geom_offsets[1:] - 1][edge_of_point] - base
        with np.errstate(invalid="ignore", divide="ignore"):
            fraction = np.where(total > 0, (cumulative - base) / total, 0.0)
        return np.asarray(fraction, dtype=np.float64)

    def edge_polyline(
        self, edge: int, start: float = 0.0, end: float = 1.0
    ) -> list[tuple[float, float]]:
        """Edge's (lat, lon) polyline between two fractions of its length, in its direction."""
        lo, hi = int(self.geom_offsets[edge]), int(self.geom_offsets[edge + 1])
        fraction = self.edge_geometry_fraction[lo:hi]
        lat, lon = self.geom_lat[lo:hi], self.geom_lon[lo:hi]
        inside = (fraction > start) & (fraction < end)
        points = [(float(np.interp(start, fraction, lat)), float(np.interp(start, fraction, lon)))]
        points += [(float(a), float(b)) for a, b in zip(lat[inside], lon[inside], strict=True)]
        points.append((float(np.interp(end, fraction, lat)), float(np.interp(end, fraction, lon))))
        return points

    def edge_name(self, edge: int) -> str:
        name_id = int(self.name_id[edge])
        return str(self.names[name_id]) if name_id >= 0 else ""

    # --- building --------------------------------------------------------------------------

    @classmethod
    def from_edges(
        cls,
        profile: str,
        edges: EdgeList,
        *,
        access_speed_mps: float,
        source_sha256: str = "",
    ) -> "StreetNetwork":
        """Clean an edge list (self-loops, parallel edges, unreachable parts) into a network."""
        source, target = edges.source, edges.target
        travel = edges.length_m / edges.speed_mps
        usable = (source != target) & np.isfinite(travel)
        order = np.lexsort((travel, target, source))
        order = order[usable[order]]
        # Keep the fastest of parallel edges: the first of each (source, target) run.
        pair = source[order] * (len(edges.node_lat) + 1) + target[order]
        first = np.concatenate([[True], pair[1:] != pair[:-1]])
        kept = order[first]

        nodes = _largest_strong_component(len(edges.node_lat), source[kept], target[kept])
        inside = nodes[source[kept]] & nodes[target[kept]]
        kept = kept[inside]
        new_id = np.cumsum(nodes) - 1

        new_source, new_target = new_id[source[kept]], new_id[target[kept]]
        node_count = int(nodes.sum())
        indptr = np.concatenate(
            [[0], np.cumsum(np.bincount(new_source, minlength=node_count))]
        ).astype(np.int64)

        node_lat, node_lon = edges.node_lat[nodes], edges.node_lon[nodes]
        name_table: dict[str, int] = {}
        name_id = np.full(len(kept), -1, dtype=np.int64)
        geom_lat: list[float] = []
        geom_lon: list[float] = []
        offsets = [0]
        for position, edge in enumerate(kept.tolist()):
            name = edges.names[edge]
            if name:
                name_id[position] = name_table.setdefault(name, len(name_table))
            polyline = edges.geometry[edge] or [
                (float(edges.node_lat[source[edge]]), float(edges.node_lon[source[edge]])),
                (float(edges.node_lat[target[edge]]), float(edges.node_lon[target[edge]])),
            ]
            geom_lat += [point[0] for point in polyline]
            geom_lon += [point[1] for point in polyline]
            offsets.append(len(geom_lat))

        speeds = edges.speed_mps[kept]
        uniform = float(speeds[0]) if len(speeds) and np.allclose(speeds, speeds[0]) else None
        return cls(
            profile=profile,
            node_lat=node_lat,
            node_lon=node_lon,
            indptr=indptr,
            indices=new_target.astype(np.int64),
            travel_s=travel[kept],
            length_m=edges.length_m[kept],
            name_id=name_id,
            names=np.array(list(name_table), dtype=np.str_),
            geom_offsets=np.array(offsets, dtype=np.int64),
            geom_lat=np.array(geom_lat, dtype=np.float64),
            geom_lon=np.array(geom_lon, dtype=np.float64),
            uniform_speed_mps=uniform,
            access_speed_mps=access_speed_mps,
            source_sha256=source_sha256,
        )

    # --- storage ---------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write to ``path`` (an .npz) atomically, so a crash never leaves half a cache."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.npz")
        np.savez(
            partial,
            format_version=np.int64(FORMAT_VERSION),
            profile=np.str_(self.profile),
            source_sha256=np.str_(self.source_sha256),
            uniform_speed_mps=np.float64(self.uniform_speed_mps or 0.0),
            access_speed_mps=np.float64(self.access_speed_mps),
            **{name: getattr(self, name) for name in _ARRAYS},
        )
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> "StreetNetwork":
        with np.load(path, allow_pickle=False) as data:
            if int(data["format_version"]) != FORMAT_VERSION:
                raise ValueError(f"{path}: cache format {int(data['format_version'])}")
            uniform = float(data["uniform_speed_mps"])
            return cls(
                profile=str(data["profile"]),
                source_sha256=str(data["source_sha256"]),
                uniform_speed_mps=uniform or None,
                access_speed_mps=float(data["access_speed_mps"]),
                **{name: data[name] for name in _ARRAYS},
            )


_ARRAYS: Final = (
    "node_lat",
    "node_lon",
    "indptr",
    "indices",
    "travel_s",
    "length_m",
    "name_id",
    "names",
    "geom_offsets",
    "geom_lat",
    "geom_lon",
)


def _largest_strong_component(
    node_count: int, source: IntArray, target: IntArray
) -> NDArray[np.bool_]:
    graph = csr_matrix((np.ones(len(source)), (source, target)), shape=(node_count, node_count))
    _, labels = connected_components(graph, directed=True, connection="strong")
    largest = np.bincount(labels).argmax()
    return np.asarray(labels == largest)
