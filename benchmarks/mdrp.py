"""Meal Delivery Routing Problem days: our dispatcher beside the greedy baseline, simulated.

    python -m benchmarks.mdrp --instances ../shared/data/mdrplib [--only NAME ...]
        [--time-limit 0.3] [--cycle 60] [--solutions DIR]

`--instances` is a folder of MDRP instance folders (Grubhub format; research data, not
carried in the project). Each day is simulated twice on the same instance: with the real
dispatcher (every cycle, warm-started, click-to-door objective, solver time capped at
`--time-limit`) and with the first-come first-served greedy (every 5 minutes, bundles of up
to 3 orders of one restaurant). Every simulated day is written as the data set's solution
files (`dispatch.sim.mdrp_solution`) and is feasible only if both our checkers pass it: the
simulation's (`dispatch.sim.metrics.check`) and the files' (`dispatch.sim.mdrp_check`).
Prints one line per instance, then the JSON summary as the last line.
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from dispatch.sim.engine import Policy, simulate
from dispatch.sim.mdrp import read_mdrp
from dispatch.sim.mdrp_check import check_solution
from dispatch.sim.mdrp_solution import write_solution
from dispatch.sim.metrics import kpis
from dispatch.sim.policies import DispatcherPolicy, GreedyPolicy

KEYS = (
    "orders",
    "delivered",
    "undeliverable",
    "feasible",
    "ctd_mean",
    "ctd_p90",
    "ctd_share_le_40",
    "ctd_share_gt_90",
    "r2d_p50",
    "r2d_p90",
    "r2p_mean",
    "orders_per_courier_hour",
    "km_per_order",
    "pay_per_order",
    "solver_p50_s",
    "solver_p95_s",
    "seconds",
)


def run_instance(
    folder: Path, time_limit_s: float, cycle_s: int, solutions: Path
) -> dict[str, Any]:
    instance = read_mdrp(folder)
    policies: dict[str, Policy] = {
        "ours": DispatcherPolicy(time_limit_s, objective="click_to_door"),
        "baseline": GreedyPolicy(),
    }
    row: dict[str, Any] = {"name": folder.name}
    for label, policy in policies.items():
        result = simulate(instance.world, policy, cycle_s=cycle_s, plan_on_orders=True)
        figures = kpis(result)
        written = solutions / folder.name / label
        write_solution(instance, result, written)
        problems = check_solution(folder, written)
        row[label] = {key: figures[key] for key in KEYS}
        # Feasible by both checkers: the simulation's rules and the solution files'.
        row[label]["feasible"] = bool(figures["feasible"]) and not problems
        row[label]["solution_problems"] = problems[:5]
    return row


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instances", type=Path, required=True)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--time-limit", type=float, default=0.3)
    parser.add_argument("--cycle", type=int, default=60, help="seconds between plans")
    parser.add_argument(
        "--solutions",
        type=Path,
        default=None,
        help="keep the solution files here (NAME/ours, NAME/baseline); default: a temporary folder",
    )
    args = parser.parse_args(argv)
    if args.cycle % 60:
        parser.error("--cycle must be whole minutes: solution files hold whole minutes")
    folders = sorted(p for p in args.instances.iterdir() if (p / "orders.txt").exists())
    if args.only:
        folders = [f for f in folders if f.name in args.only]
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        solutions = args.solutions or Path(scratch)
        for folder in folders:
            rows.append(run_instance(folder, args.time_limit, args.cycle, solutions))
            _report(rows[-1])
    summary = {"benchmark": "mdrp", "instances": rows}
    print(json.dumps(summary))
    return summary


def _report(row: dict[str, Any]) -> None:
    ours, base = row["ours"], row["baseline"]
    print(
        f"{row['name']}: click-to-door mean {ours['ctd_mean']} vs {base['ctd_mean']} min, "
        f"ready-to-door p90 {ours['r2d_p90']} vs {base['r2d_p90']} min, delivered "
        f"{ours['delivered']}/{ours['orders']} vs {base['delivered']} "
        f"({ours['undeliverable']} ready after every shift), feasible "
        f"{ours['feasible']}/{base['feasible']}, {ours['seconds']} s vs {base['seconds']} s",
        file=sys.stderr,
        flush=True,
    )


if __name__ == "__main__":
    main()
