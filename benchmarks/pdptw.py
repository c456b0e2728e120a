"""Li & Lim PDPTW benchmark: vehicles first, then distance; every plan checked independently.

    python -m benchmarks.pdptw --instances ../shared/data/lilim [--time-limit 2 10 30]
        [--best-known FILE] [--only lc101 lr201]

`--instances` is any folder of Li & Lim files; best-known results are read from
`--best-known`, or from a `bks.csv` in that folder when present. Every instance is solved once
per time limit given (10 s by default), one solver thread, and so is each peer solver that is
installed (benchmarks/peers.py; `--no-peers` skips them). Prints one line per instance, limit
and solver, then the JSON summary as the last line: one run per limit, each with its
instances and summary, and the peers' beside them.
"""

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import peers
from benchmarks.lilim import BestKnown, Instance, check, read_best_known, read_instance
from dispatch.planning.pdptw import PdptwProblem, solve_pdptw


def problem_of(instance: Instance) -> PdptwProblem:
    tasks = instance.tasks
    return PdptwProblem(
        x=[t.x for t in tasks],
        y=[t.y for t in tasks],
        demand=[t.demand for t in tasks],
        ready=[t.ready for t in tasks],
        due=[t.due for t in tasks],
        service=[t.service for t in tasks],
        pairs=instance.pairs,
        vehicles=instance.vehicles,
        capacity=instance.capacity,
    )


Solver = Callable[[Instance, float], list[list[int]]]


def ours(instance: Instance, time_limit_s: float) -> list[list[int]]:
    return solve_pdptw(problem_of(instance), time_limit_s)


def run_instance(
    instance: Instance, best: BestKnown | None, time_limit_s: float, solver: Solver = ours
) -> dict[str, Any]:
    began = time.perf_counter()
    routes = solver(instance, time_limit_s)
    seconds = time.perf_counter() - began
    result = check(instance, routes)
    row: dict[str, Any] = {
        "name": instance.name,
        "vehicles": result.vehicles,
        "distance": round(result.distance, 2),
        "bks_vehicles": best.vehicles if best else None,
        "bks_distance": best.distance if best else None,
        "feasible": result.feasible,
        "seconds": round(seconds, 2),
    }
    if best is not None and result.feasible and result.vehicles == best.vehicles:
        row["gap_pct"] = round(100 * (result.distance - best.distance) / best.distance, 2)
    if result.errors:
        row["errors"] = result.errors[:5]
    return row


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    known = [r for r in rows if r["bks_vehicles"] is not None]
    at_bks = [r for r in known if r["feasible"] and r["vehicles"] <= r["bks_vehicles"]]
    gaps = [r["gap_pct"] for r in at_bks if "gap_pct" in r]
    return {
        "count": len(rows),
        "share_at_bks_vehicles": round(len(at_bks) / len(known), 3) if known else None,
        "mean_gap_pct": round(statistics.mean(gaps), 2) if gaps else None,
        "all_feasible": all(r["feasible"] for r in rows),
        "extra_vehicles": sum(
            max(0, r["vehicles"] - r["bks_vehicles"]) for r in known if r["feasible"]
        ),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instances", type=Path, required=True)
    parser.add_argument("--time-limit", type=float, nargs="+", default=[10.0])
    parser.add_argument("--best-known", type=Path, default=None)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument(
        "--no-peers", action="store_true", help="Skip the peer solvers (benchmarks/peers.py)."
    )
    args = parser.parse_args(argv)
    solvers: dict[str, Solver] = {"ours": ours}
    if not args.no_peers and peers.vroom_available():
        solvers["vroom"] = peers.vroom_routes
    best_file = args.best_known or (args.instances / "bks.csv")
    best = read_best_known(best_file) if best_file.exists() else {}
    files = sorted(args.instances.glob("*.txt"))
    if args.only:
        files = [f for f in files if f.stem in args.only]
    runs = []
    for limit in args.time_limit:
        rows: dict[str, list[dict[str, Any]]] = {name: [] for name in solvers}
        for path in files:
            instance = read_instance(path)
            for name, solver in solvers.items():
                row = run_instance(instance, best.get(instance.name), limit, solver)
                rows[name].append(row)
                print(
                    f"{row['name']} at {limit:g} s, {name}: {row['vehicles']} vehicles (best "
                    f"known {row['bks_vehicles']}), distance {row['distance']} (best known "
                    f"{row['bks_distance']}), {'feasible' if row['feasible'] else 'INFEASIBLE'}, "
                    f"{row['seconds']} s",
                    flush=True,
                )
        run: dict[str, Any] = {
            "time_limit_s": limit,
            "instances": rows["ours"],
            "summary": summary(rows["ours"]),
        }
        if not args.no_peers:
            run["peers"] = {
                name: {"instances": found, "summary": summary(found)}
                for name, found in rows.items()
                if name != "ours"
            } | {"pyvrp": {"not_applicable": peers.PYVRP_NOT_APPLICABLE}}
            if "vroom" not in solvers:
                run["peers"]["vroom"] = {"not_installed": "pip install -e '.[bench]'"}
        runs.append(run)
    print(json.dumps({"benchmark": "pdptw", "runs": runs}))


if __name__ == "__main__":
    main()
