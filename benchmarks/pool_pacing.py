"""What pacing for the courier pool is worth on a rush, in the simulator.

    python -m benchmarks.pool_pacing [--scenario scenarios/friday-spike.toml] [--seeds 1 2 3]
        [--time-limit S] [--cache-dir DIR]
    python -m benchmarks.pool_pacing --calibrate [--scenario ...]

The same world and seed (a steady evening with a rush on top: the scenario's `demand.spike`)
simulated with the real dispatcher, each order as soon as possible promised what the quote
says when it is placed: at the kitchens' pace alone (`kitchens`, the quote before pacing), or
with the courier pool's delay on top (`pool`, dispatch.planning.promise). Prints each run,
then the JSON last line: per run the orders, delivered, the promises broken (delivered more
than 10 minutes late, or never) in all and among the orders placed during the rush, the
quoted minutes (promise less placement) on average during the rush, the click-to-door mean.

`--calibrate` measures what the team can carry: the same world without its rush, at a
demand far above the team (`--saturate` orders an hour), the orders delivered an hour over
the middle of the period. The scenario's rush is sized from that figure.
"""

import argparse
import json
import sys
from pathlib import Path
from statistics import mean
from typing import Any

from api.demo.simulation import QUOTE_RULE, demo_alliance
from api.services.geo import geography_for
from api.settings import load_settings
from dispatch.sim.engine import World, simulate
from dispatch.sim.metrics import broken_promises, check, kpis
from dispatch.sim.policies import DispatcherPolicy
from dispatch.sim.prep_beliefs import DeclaredPrep
from dispatch.sim.promises import QuotedPromise
from dispatch.sim.scenario import Scenario, load_scenario, with_changes
from dispatch.sim.world import scenario_world

DEFAULT_SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "friday-spike.toml"
QUOTES = {"kitchens": False, "pool": True}
"""Each quote policy: whether it adds the courier pool's delay."""


def run(world: World, quote: str, seed: int, scenario: Scenario, limit: float) -> dict[str, Any]:
    prep = DeclaredPrep()
    promiser = QuotedPromise(prep, paces_couriers=QUOTES[quote])
    dispatcher = DispatcherPolicy(limit, prep=prep)
    result = simulate(
        world, dispatcher, cycle_s=scenario.dispatch.cycle_s, plan_on_orders=True, promiser=promiser
    )
    figures = kpis(result)
    spike = scenario.demand.spike
    rush = (
        (0, 0)
        if spike is None
        else (spike.start_minute * 60, (spike.start_minute + spike.minutes) * 60)
    )
    in_rush = [
        o
        for o in result.state.released.values()
        if o.slot_s is None and rush[0] <= o.placed_s < rush[1]
    ]
    return {
        "seed": seed,
        "quote": quote,
        "orders": figures["orders"],
        "delivered": figures["delivered"],
        "broken_promises": broken_promises(result),
        "rush_orders": len(in_rush),
        "rush_broken_promises": broken_promises(result, rush),
        "rush_quoted_min_mean": round(mean((o.promised_s - o.placed_s) / 60 for o in in_rush), 1)
        if in_rush
        else None,
        "pool_delay_max_min": round(max(promiser.delays_s, default=0) / 60, 1),
        "ctd_mean": figures["ctd_mean"],
        "feasible": not check(result),
        "seconds": figures["seconds"],
    }


def calibrate(scenario: Scenario, world: World, limit: float) -> dict[str, Any]:
    """Orders an hour the team delivers under a demand it cannot carry, over the middle hour."""
    dispatcher = DispatcherPolicy(limit, prep=DeclaredPrep())
    result = simulate(world, dispatcher, cycle_s=scenario.dispatch.cycle_s, plan_on_orders=True)
    low, high = world_window(scenario)
    delivered = sum(low <= moment < high for moment in result.state.delivered_s.values())
    return {
        "benchmark": "pool_pacing_calibration",
        "scenario": scenario.name,
        "couriers": len(world.couriers),
        "orders": len(world.orders),
        "window_h": [low / 3600, high / 3600],
        "team_capacity_per_hour": round(delivered / ((high - low) / 3600), 1),
    }


def world_window(scenario: Scenario) -> tuple[int, int]:
    """The middle of the period: past the first half hour's ramp, before the demand stops."""
    return 1800, int(scenario.hours * 3600)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--quotes", nargs="+", choices=list(QUOTES), default=list(QUOTES))
    parser.add_argument("--hours", type=float, default=None)
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--saturate", type=float, default=150.0, help="Orders an hour.")
    parser.add_argument("--cache-dir", type=Path, default=None, help="Street graph cache.")
    args = parser.parse_args(argv)

    settings = load_settings(cache_dir=args.cache_dir) if args.cache_dir else load_settings()
    geography = geography_for(settings)
    scenario = load_scenario(args.scenario, demo_alliance())
    limit = args.time_limit if args.time_limit is not None else scenario.dispatch.time_limit_s
    if args.calibrate:
        flat = scenario.model_copy(
            update={"demand": scenario.demand.model_copy(update={"spike": None})}
        )
        flat = with_changes(flat, orders_per_hour=args.saturate, hours=args.hours)
        summary = calibrate(flat, scenario_world(geography, flat, QUOTE_RULE), limit)
        print(json.dumps(summary))
        return summary
    runs = []
    for seed in args.seeds:
        changed = with_changes(scenario, seed=seed, hours=args.hours)
        world = scenario_world(geography, changed, QUOTE_RULE)
        for quote in args.quotes:
            figures = run(world, quote, seed, changed, limit)
            print(json.dumps(figures), flush=True)
            runs.append(figures)
    totals = {
        quote: {
            key: sum(r[key] for r in runs if r["quote"] == quote)
            for key in ("orders", "broken_promises", "rush_orders", "rush_broken_promises")
        }
        for quote in args.quotes
    }
    summary = {
        "benchmark": "pool_pacing",
        "scenario": scenario.name,
        "seeds": args.seeds,
        "time_limit_s": limit,
        "runs": runs,
        "totals": totals,
    }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
