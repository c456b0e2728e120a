"""What learning kitchens' real pace is worth, in the simulator.

    python -m benchmarks.prep_learning [--scenario scenarios/friday-kitchens.toml]
        [--seeds 1 2 3 4 5] [--policies declared learned_cold learned_warm oracle clairvoyant]
        [--warm-tickets 80] [--time-limit S] [--cache-dir DIR]

The same world and seed (kitchens whose true cooking times differ from what they declared:
the scenario's `[kitchens]`) simulated with the real dispatcher planning on the kitchens'
declared times, on times learned during the evening from an empty history (`learned_cold`)
or from an earlier evening's tickets (`learned_warm`, `--warm-tickets` per kitchen), on the
kitchens' true pace (`oracle`: each kitchen's true median and upper quantile at the ticket's
load, what perfect learning converges to, the ceiling of learning), and on each ticket's
realised time (`clairvoyant`: its luck known beforehand, which no estimate can know). Prints
each run, then the JSON last line: every run's delivered, orders, r2d_p90, ctd_mean,
beyond_freshness, multi_spread_p90 (minutes between the first and last bag of a multi-kitchen
order ready), multi_arrival_spread_p90 (the same, each bag's ready time taken against its
courier's arrival at the counter: 0 when every part is ready together for its courier), and
per policy the mean over the seeds.
"""

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from statistics import mean
from typing import Any

from api.demo.simulation import QUOTE_RULE, demo_alliance
from api.services.geo import geography_for
from api.settings import load_settings
from dispatch.sim.engine import PrepBelief, World, simulate
from dispatch.sim.metrics import check, kpis
from dispatch.sim.policies import DispatcherPolicy
from dispatch.sim.prep_beliefs import DeclaredPrep, LearnedPrep, TruePrep, earlier_evening
from dispatch.sim.scenario import load_scenario, with_changes
from dispatch.sim.world import scenario_world

DEFAULT_SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "friday-kitchens.toml"
POLICIES = ("declared", "learned_cold", "learned_warm", "oracle", "clairvoyant")
FIGURES = (
    "r2d_p90",
    "ctd_mean",
    "beyond_freshness",
    "multi_spread_p90",
    "multi_arrival_spread_p90",
    "delivered",
)


def _belief(policy: str, world: World, warm_tickets: int, seed: int) -> PrepBelief:
    beliefs: dict[str, Callable[[], PrepBelief]] = {
        "declared": DeclaredPrep,
        "learned_cold": LearnedPrep,
        "learned_warm": lambda: LearnedPrep(earlier_evening(world, warm_tickets, seed)),
        "oracle": TruePrep,
        "clairvoyant": lambda: TruePrep(knows_luck=True),
    }
    return beliefs[policy]()


def run(
    world: World, policy: str, seed: int, time_limit_s: float, cycle_s: int, warm_tickets: int
) -> dict[str, Any]:
    belief = _belief(policy, world, warm_tickets, seed)
    dispatcher = DispatcherPolicy(time_limit_s, prep=belief)
    result = simulate(world, dispatcher, cycle_s=cycle_s, plan_on_orders=True)
    figures = kpis(result)
    return {
        "seed": seed,
        "policy": policy,
        "delivered": figures["delivered"],
        "orders": figures["orders"],
        "r2d_p90": figures["r2d_p90"],
        "ctd_mean": figures["ctd_mean"],
        "beyond_freshness": figures["beyond_freshness"],
        "multi_spread_p90": figures["ready_spread_p90"],
        "multi_arrival_spread_p90": figures["arrival_spread_p90"],
        "r2p_mean": figures["r2p_mean"],
        "feasible": not check(result),
        "seconds": figures["seconds"],
    }


def _means(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    by_policy: dict[str, dict[str, float]] = {}
    for policy in dict.fromkeys(r["policy"] for r in runs):
        mine = [r for r in runs if r["policy"] == policy]
        by_policy[policy] = {
            figure: round(mean(float(r[figure] or 0) for r in mine), 2) for figure in FIGURES
        }
    return by_policy


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--policies", nargs="+", choices=POLICIES, default=list(POLICIES))
    parser.add_argument("--warm-tickets", type=int, default=80)
    parser.add_argument("--hours", type=float, default=None)
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--cache-dir", type=Path, default=None, help="Street graph cache.")
    args = parser.parse_args(argv)

    settings = load_settings(cache_dir=args.cache_dir) if args.cache_dir else load_settings()
    geography = geography_for(settings)
    scenario = load_scenario(args.scenario, demo_alliance())
    if scenario.kitchens is None:
        parser.error(f"{args.scenario}: needs a [kitchens] section (their true pace)")
    limit = args.time_limit if args.time_limit is not None else scenario.dispatch.time_limit_s
    runs = []
    for seed in args.seeds:
        world = scenario_world(
            geography, with_changes(scenario, seed=seed, hours=args.hours), QUOTE_RULE
        )
        for policy in args.policies:
            figures = run(world, policy, seed, limit, scenario.dispatch.cycle_s, args.warm_tickets)
            print(json.dumps(figures), flush=True)
            runs.append(figures)
    means = _means(runs)
    summary: dict[str, Any] = {
        "benchmark": "prep_learning",
        "scenario": scenario.name,
        "seeds": args.seeds,
        "time_limit_s": limit,
        "runs": runs,
        "mean": means,
    }
    declared, oracle = means.get("declared"), means.get("oracle")
    for policy in ("learned_cold", "learned_warm"):
        learned = means.get(policy)
        if learned and declared and declared["r2d_p90"]:
            summary[f"{policy}_r2d_p90_vs_declared"] = round(
                learned["r2d_p90"] / declared["r2d_p90"] - 1, 4
            )
        if learned and oracle and oracle["r2d_p90"]:
            summary[f"{policy}_r2d_p90_vs_oracle"] = round(
                learned["r2d_p90"] / oracle["r2d_p90"] - 1, 4
            )
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
