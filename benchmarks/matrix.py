"""Travel-matrix benchmark: our engine beside networkx Dijkstra per origin, same run.

    python -m benchmarks.matrix [--sizes 50 200 1000] [--repeat 5]

Prints one line per case, then the JSON summary as the last line.
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.nx_reference import reference_matrix
from dispatch.geo.maps import BUNDLED_MAP_DIR, BUNDLED_MAP_NAME
from dispatch.geo.matrix import travel_matrix
from dispatch.geo.network import EdgeList, StreetNetwork
from dispatch.geo.network_store import load_network
from dispatch.geo.profiles import DEFAULT_PROFILES
from dispatch.geo.projection import LocalProjection
from dispatch.geo.snapping import SnapError, SnappedPoint, Snapper

BASELINE_ORIGINS_MAX = 1000
GRID_BASELINE_ORIGINS = 50


def _timed(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time over runs, and the last result."""
    times = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def random_points(snapper: Snapper, count: int, seed: int) -> list[SnappedPoint]:
    """Uniform random locations in the network's bounding box that can be delivered to."""
    network = snapper.network
    rng = np.random.default_rng(seed)
    points: list[SnappedPoint] = []
    while len(points) < count:
        lat = rng.uniform(network.node_lat.min(), network.node_lat.max())
        lon = rng.uniform(network.node_lon.min(), network.node_lon.max())
        try:
            points.append(snapper.snap(lat, lon))
        except SnapError:
            continue
    return points


def grid_city(side: int = 100, block_m: float = 100.0, speed_kph: float = 15.0) -> StreetNetwork:
    """A side x side grid of two-way streets, every fourth avenue one-way: 10,000 nodes."""
    projection = LocalProjection(48.86, 2.36)
    ids = np.arange(side * side).reshape(side, side)
    ys, xs = np.divmod(np.arange(side * side), side)
    lat, lon = projection.to_latlon(xs * block_m, ys * block_m)
    east = (ids[:, :-1].ravel(), ids[:, 1:].ravel())
    north = (ids[:-1, :].ravel(), ids[1:, :].ravel())
    one_way_rows = np.repeat(np.arange(side) % 4 == 0, side - 1)
    source = np.concatenate([east[0], east[1][~one_way_rows], north[0], north[1]])
    target = np.concatenate([east[1], east[0][~one_way_rows], north[1], north[0]])
    count = len(source)
    edges = EdgeList(
        node_lat=lat,
        node_lon=lon,
        source=source,
        target=target,
        length_m=np.full(count, block_m),
        speed_mps=np.full(count, speed_kph / 3.6),
        names=[""] * count,
        geometry=[None] * count,
    )
    return StreetNetwork.from_edges("grid-bike", edges, access_speed_mps=4.5 / 3.6)


def run_case(
    graph: str,
    network: StreetNetwork,
    points: Sequence[SnappedPoint],
    repeat: int,
    baseline_origins: int,
) -> dict[str, Any]:
    network.__dict__.pop("node_table", None)  # the first call pays for the node table
    started = time.perf_counter()
    travel_matrix(network, points)
    first_call = time.perf_counter() - started
    seconds, ours = _timed(lambda: travel_matrix(network, points), repeat)
    origins = list(points[:baseline_origins])
    started = time.perf_counter()
    reference, _ = reference_matrix(network, origins, points, with_distances=False)
    measured = time.perf_counter() - started
    baseline_seconds = measured * len(points) / len(origins)
    diff = float(np.max(np.abs(ours.durations_s[: len(origins)] - reference)))
    case = {
        "graph": graph,
        "nodes": network.node_count,
        "edges": network.edge_count,
        "n": len(points),
        "seconds": round(seconds, 4),
        "first_call_seconds": round(first_call, 4),
        "baseline_seconds": round(baseline_seconds, 3),
        "baseline_origins_measured": len(origins),
        "baseline_extrapolated": len(origins) < len(points),
        "speedup": round(baseline_seconds / seconds, 1),
        "max_abs_diff_s": diff,
    }
    print(json.dumps(case), flush=True)
    return case


SERVICE_PROBE = """
import json, sys
from pathlib import Path
from dispatch.geo.geography import load_geography
from dispatch.geo.maps import BUNDLED_MAP_DIR, BUNDLED_MAP_NAME
from dispatch.geo.profiles import DEFAULT_PROFILES
geography = load_geography(BUNDLED_MAP_DIR, BUNDLED_MAP_NAME, Path(sys.argv[1]), DEFAULT_PROFILES)
import numpy as np
rng = np.random.default_rng(3)
points = []
while len(points) < 1000:
    try:
        points.append(geography.locate(rng.uniform(48.858, 48.869), rng.uniform(2.352, 2.380)))
    except ValueError:
        pass
for profile in DEFAULT_PROFILES:
    snapped = geography.snap(profile, [p.lat for p in points], [p.lon for p in points])
    geography.matrix(profile, snapped)
# VmHWM is this process's own peak; ru_maxrss would include the parent's from before exec.
status = Path("/proc/self/status").read_text()
peak_kb = int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1])
print(json.dumps({"peak_rss_mb": peak_kb / 1024}))
"""


def service_memory_mb(cache_dir: Path) -> float:
    """Peak memory of a process holding every Paris profile, answering N=1000 matrices."""
    output = subprocess.run(
        [sys.executable, "-c", SERVICE_PROBE, str(cache_dir)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(json.loads(output.strip().splitlines()[-1])["peak_rss_mb"])


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 1000])
    parser.add_argument("--grid-sizes", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder)
        profile = DEFAULT_PROFILES["bike"]
        started = time.perf_counter()
        network = load_network(BUNDLED_MAP_DIR, BUNDLED_MAP_NAME, profile, cache)
        cold = time.perf_counter() - started
        warm, _ = _timed(
            lambda: load_network(BUNDLED_MAP_DIR, BUNDLED_MAP_NAME, profile, cache), 20
        )
        snapper = Snapper(network)
        cases = []
        for size in args.sizes:
            points = random_points(snapper, size, seed=size)
            cases.append(run_case("paris-bike", network, points, args.repeat, BASELINE_ORIGINS_MAX))
        grid = grid_city()
        grid_snapper = Snapper(grid)
        for size in args.grid_sizes:
            points = random_points(grid_snapper, size, seed=size)
            cases.append(
                run_case("grid-10k", grid, points, max(1, args.repeat // 2), GRID_BASELINE_ORIGINS)
            )
        snap_seconds, _ = _timed(lambda: random_points(snapper, 1000, seed=9), 3)
        for other in DEFAULT_PROFILES.values():
            load_network(BUNDLED_MAP_DIR, BUNDLED_MAP_NAME, other, cache)
        service_mb = service_memory_mb(cache)

    summary = {
        "cases": cases,
        "cold_build_seconds": round(cold, 3),
        "warm_load_seconds": round(warm, 4),
        "snap_1000_seconds": round(snap_seconds, 4),
        "peak_rss_mb": round(service_mb, 1),
        "benchmark_process_peak_rss_mb": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        ),
        "notes": (
            "seconds: median of runs of dispatch.geo.matrix.travel_matrix on snapped points, "
            "after the first call (first_call_seconds) has built the street-node time table "
            "that networks up to 3,000 nodes keep per process; "
            "baseline: networkx single-source Dijkstra per origin exit, composed per pair in "
            "Python (grid: measured on 50 origins, scaled to n); peak_rss_mb: a separate process "
            "holding all four Paris profiles and answering an N=1000 matrix on each; cold build "
            "includes importing osmnx and parsing the OSM XML."
        ),
    }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
