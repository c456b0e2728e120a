"""A city in zones against one global solve, on a scaled Paris evening.

    python -m benchmarks.zones [--scale 3] [--zones 3] [--hours 3] [--seed 1]
        [--time-limit 0.5] [--cycle 60] [--cache-dir DIR]

The Friday dinner (120 orders an hour, 24 couriers) times `--scale` in demand and couriers,
simulated twice on the same world: one dispatcher planning the whole city every cycle, and
`--zones` dispatchers (zones suggested around clusters of the kitchens, `chaud zones suggest`)
each planning its own orders on its own couriers, lending idle couriers by the worker's rule.
Quality is the simulated service (click-to-door, ready-to-door, delivered); time is the
planning time per cycle: the global solve's, and for zones the slowest zone's (zones plan in
processes of their own, side by side) and their sum (the CPU they take). JSON last line.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from api.demo.simulation import QUOTE_RULE, demo_alliance
from api.services.geo import geography_for
from api.settings import load_settings
from dispatch.planning.zones import suggest_zones
from dispatch.sim.engine import SimulationResult, simulate
from dispatch.sim.metrics import check, kpis
from dispatch.sim.policies import DispatcherPolicy, ZonedDispatcherPolicy
from dispatch.sim.scenario import demo_scenario
from dispatch.sim.world import scenario_world

FRIDAY_ORDERS_PER_HOUR = 120
FRIDAY_COURIERS = 24
KPIS = ("orders", "delivered", "ctd_mean", "ctd_p90", "r2d_p50", "r2d_p90", "r2d_max")


def _times(seconds: list[float]) -> dict[str, float]:
    values = np.array(seconds or [0.0])
    return {
        "p50_s": round(float(np.percentile(values, 50)), 3),
        "p95_s": round(float(np.percentile(values, 95)), 3),
        "max_s": round(float(values.max()), 3),
        "total_s": round(float(values.sum()), 1),
    }


def _service(result: SimulationResult) -> dict[str, Any]:
    figures = kpis(result)
    problems = check(result)
    return {key: figures.get(key) for key in KPIS} | {"feasible": not problems}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=3.0)
    parser.add_argument("--zones", type=int, default=3)
    parser.add_argument("--hours", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--cycle", type=int, default=None)
    parser.add_argument("--cache-dir", type=Path, default=None, help="Street graph cache.")
    args = parser.parse_args(argv)

    settings = load_settings(cache_dir=args.cache_dir) if args.cache_dir else load_settings()
    geography = geography_for(settings)
    alliance = demo_alliance()
    scenario = demo_scenario(
        alliance,
        orders_per_hour=FRIDAY_ORDERS_PER_HOUR * args.scale,
        couriers=round(FRIDAY_COURIERS * args.scale),
        hours=args.hours,
        seed=args.seed,
    )
    world = scenario_world(geography, scenario, QUOTE_RULE)
    limit = args.time_limit if args.time_limit is not None else scenario.dispatch.time_limit_s
    cycle = args.cycle if args.cycle is not None else scenario.dispatch.cycle_s
    zones = suggest_zones(
        [(r.lat, r.lon) for r in scenario.restaurants], args.zones, geography.bounds()
    )
    print(f"{world.name}: {len(world.orders)} orders, {len(world.couriers)} couriers", flush=True)

    whole = DispatcherPolicy(limit, scenario.dispatch.objective)
    global_run = simulate(world, whole, cycle_s=cycle, plan_on_orders=True)
    one = _service(global_run) | {"plan": _times(global_run.solve_seconds)}
    print(f"one solve: {json.dumps(one)}", flush=True)

    zoned = ZonedDispatcherPolicy(zones, limit, scenario.dispatch.objective)
    zoned_run = simulate(world, zoned, cycle_s=cycle, plan_on_orders=True)
    held = {
        name: sum(1 for r in scenario.restaurants if zones.zone_of(r.lat, r.lon) == name)
        for name in zones.names
    }
    split = _service(zoned_run) | {
        "plan_slowest_zone": _times([max(c.values()) for c in zoned.zone_seconds if c]),
        "plan_all_zones": _times([sum(c.values()) for c in zoned.zone_seconds if c]),
        "kitchens_per_zone": held,
        "orders_per_zone": {
            name: sum(1 for z in zoned.order_zone.values() if z == name) for name in zones.names
        },
        "couriers_lent": zoned.lent,
    }
    print(f"zones: {json.dumps(split)}", flush=True)
    summary = {
        "benchmark": "zones",
        "world": world.name,
        "scale": args.scale,
        "zones": args.zones,
        "time_limit_s": limit,
        "cycle_s": cycle,
        "one_solve": one,
        "zoned": split,
        "ctd_mean_lost_min": _difference(split["ctd_mean"], one["ctd_mean"]),
        "r2d_p90_lost_min": _difference(split["r2d_p90"], one["r2d_p90"]),
        "plan_p95_saved_s": round(one["plan"]["p95_s"] - split["plan_slowest_zone"]["p95_s"], 3),
    }
    print(json.dumps(summary))
    return summary


def _difference(zoned: object, whole: object) -> float | None:
    if not isinstance(zoned, int | float) or not isinstance(whole, int | float):
        return None
    return round(float(zoned) - float(whole), 2)


if __name__ == "__main__":
    main(sys.argv[1:])
