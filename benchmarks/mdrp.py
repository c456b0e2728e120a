"""Meal Delivery Routing Problem days: our dispatcher beside the greedy baseline, simulated.

    python -m benchmarks.mdrp --instances ../shared/data/mdrplib [--only NAME ...]
        [--time-limit 0.3] [--cycle 60]

`--instances` is a folder of MDRP instance folders (Grubhub format; research data, not
carried in the project). Each day is simulated twice on the same instance: with the real
dispatcher (every cycle, warm-started, click-to-door objective, solver time capped at
`--time-limit`) and with the first-come first-served greedy (every 5 minutes, bundles of up
to 3 orders of one restaurant). Every simulated day is checked by `dispatch.simulation.check`.
Prints one line per instance, then the JSON summary as the last line.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from dispatch.mdrp import load_mdrp
from dispatch.simulation import DispatcherPolicy, GreedyPolicy, Policy, kpis, simulate

KEYS = (
    "orders",
    "delivered",
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


def run_instance(folder: Path, time_limit_s: float, cycle_s: int) -> dict[str, Any]:
    world = load_mdrp(folder)
    policies: dict[str, Policy] = {
        "ours": DispatcherPolicy(time_limit_s, objective="click_to_door"),
        "baseline": GreedyPolicy(),
    }
    row: dict[str, Any] = {"name": folder.name}
    for label, policy in policies.items():
        figures = kpis(simulate(world, policy, cycle_s=cycle_s))
        row[label] = {key: figures[key] for key in KEYS}
    return row


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instances", type=Path, required=True)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--time-limit", type=float, default=0.3)
    parser.add_argument("--cycle", type=int, default=60, help="seconds between plans")
    args = parser.parse_args(argv)
    folders = sorted(p for p in args.instances.iterdir() if (p / "orders.txt").exists())
    if args.only:
        folders = [f for f in folders if f.name in args.only]
    rows = []
    for folder in folders:
        row = run_instance(folder, args.time_limit, args.cycle)
        rows.append(row)
        ours, base = row["ours"], row["baseline"]
        print(
            f"{row['name']}: click-to-door mean {ours['ctd_mean']} vs {base['ctd_mean']} min, "
            f"ready-to-door p90 {ours['r2d_p90']} vs {base['r2d_p90']} min, delivered "
            f"{ours['delivered']}/{ours['orders']} vs {base['delivered']}, feasible "
            f"{ours['feasible']}/{base['feasible']}, {ours['seconds']} s",
            file=sys.stderr,
            flush=True,
        )
    summary = {"benchmark": "mdrp", "instances": rows}
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
