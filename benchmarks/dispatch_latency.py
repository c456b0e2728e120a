"""Dispatcher latency on Paris snapshots: how long one plan takes, from map points to rounds.

    python -m benchmarks.dispatch_latency [--sizes 50:30 300:80 1000:150 2000:250] [--runs 7]

Each case is ORDERS:COURIERS. A snapshot holds the demo alliance's ten kitchens, random doors
in the service zone, couriers spread over it on bikes, e-bikes and scooters, a third of the
orders from 2-3 kitchens and a tenth already on board. A run times what the dispatcher does
per cycle: the travel matrices of every profile, then the solver with the dispatcher's own
time budget (`dispatch.planning.problem.time_budget_s`) behind its wall-clock guard
(`planning.guard.solve_within`): cold (no previous plan) and warm (the next cycle: the plan of
90 % of the orders kept, the other 10 % new to it). The default sizes are the growth curve
from 50 to 2,000 orders. Prints one line per case, then the JSON summary as the last line.
"""

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from api.demo.alliance import RESTAURANTS
from benchmarks.matrix import random_points
from benchmarks.orders import _percentile
from dispatch.geo.geography import Geography, load_geography
from dispatch.geo.maps import BUNDLED_MAP_DIR, BUNDLED_MAP_NAME
from dispatch.geo.profiles import DEFAULT_PROFILES
from dispatch.geo.snapping import SnappedPoint
from dispatch.planning.guard import solve_within
from dispatch.planning.problem import time_budget_s
from dispatch.planning.solver import CourierState, DispatchProblem, OrderTask, PickupTask

TIME_CAP_S = 2.0
"""The worker's default CHAUD_DISPATCH_TIME_LIMIT_S."""
PROFILES = ("bike", "ebike", "scooter")
CAPACITY = {"bike": 4, "ebike": 6, "scooter": 8}


def snapshot(
    geography: Geography, orders: int, couriers: int, seed: int
) -> tuple[list[SnappedPoint], DispatchProblem]:
    """A random but plausible Friday-evening snapshot, its points and its problem without
    matrices yet; times in seconds from now."""
    rng = np.random.default_rng(seed)
    snapper = geography.snappers["bike"]
    kitchens = [snapper.snap(r.lat, r.lon) for r in RESTAURANTS]
    doors = random_points(snapper, orders, seed)
    starts = random_points(snapper, couriers, seed + 1)
    points: list[SnappedPoint] = [*kitchens, *doors, *starts]
    courier_base = len(kitchens) + orders
    states = [
        CourierState(
            courier_id=c + 1,
            location=courier_base + c,
            available_s=0,
            shift_end_s=int(rng.integers(90, 240)) * 60,
            capacity=CAPACITY[profile],
            profile=profile,
        )
        for c, profile in enumerate(rng.choice(PROFILES, size=couriers))
    ]
    load = dict.fromkeys(range(1, couriers + 1), 0)
    tasks = []
    for o in range(orders):
        kitchen_count = int(rng.choice([2, 3])) if rng.random() < 1 / 3 else 1
        chosen = rng.choice(len(kitchens), size=kitchen_count, replace=False)
        placed_s = -int(rng.integers(0, 25 * 60))
        pickups = tuple(
            PickupTask(o * 10 + i, int(k), max(0, placed_s + int(rng.integers(8, 25)) * 60))
            for i, k in enumerate(chosen)
        )
        carrier = int(rng.integers(1, couriers + 1))
        on_board = (
            kitchen_count == 1
            and rng.random() < 0.1
            and load[carrier] < states[carrier - 1].capacity
        )
        if on_board:
            load[carrier] += 1
        tasks.append(
            OrderTask(
                order_id=o + 1,
                pickups=() if on_board else pickups,
                dropoff_location=len(kitchens) + o,
                placed_s=placed_s,
                promised_s=max(0, placed_s + 40 * 60),
                freshness_s=25 * 60,
                onboard=pickups if on_board else (),
                courier_id=carrier if on_board else None,
                picked_up_s=-int(rng.integers(0, 5 * 60)) if on_board else None,
            )
        )
    return points, DispatchProblem(
        {}, tasks, states, time_limit_s=time_budget_s(orders, TIME_CAP_S)
    )


def matrices(
    geography: Geography, points: list[SnappedPoint], profiles: set[str]
) -> dict[str, NDArray[np.int64]]:
    lats, lons = [p.lat for p in points], [p.lon for p in points]
    return {profile: geography.ride_seconds(profile, lats, lons) for profile in profiles}


def run_case(geography: Geography, orders: int, couriers: int, runs: int) -> dict[str, Any]:
    """Cold: the whole snapshot planned from nothing (a restart). Warm: the next cycle, the
    plan of 90 % of the orders kept and the other 10 % new to it (the steady state)."""
    cold, cold_solve, cold_unassigned = [], [], []
    warm, warm_unassigned = [], []
    # The dispatcher is a long-lived process: a first, untimed plan warms its caches.
    for run in range(-1, runs):
        points, problem = snapshot(geography, orders, couriers, seed=1000 * orders + run)
        began = time.perf_counter()
        travel = matrices(geography, points, {c.profile for c in problem.couriers})
        problem = replace(problem, travel_s=travel)
        solve_began = time.perf_counter()
        plan = solve_within(problem)
        ended = time.perf_counter()
        earlier = replace(problem, orders=problem.orders[: int(0.9 * orders)])
        previous = solve_within(earlier)
        warm_began = time.perf_counter()
        travel = matrices(geography, points, {c.profile for c in problem.couriers})
        next_plan = solve_within(replace(problem, travel_s=travel), warm_start=previous)
        warm_ended = time.perf_counter()
        if run < 0:
            continue
        cold.append(ended - began)
        cold_solve.append(ended - solve_began)
        cold_unassigned.append(len(plan.unassigned))
        warm.append(warm_ended - warm_began)
        warm_unassigned.append(len(next_plan.unassigned))
    return {
        "orders": orders,
        "couriers": couriers,
        "runs": runs,
        "time_budget_s": round(time_budget_s(orders, TIME_CAP_S), 3),
        "p50_s": round(statistics.median(cold), 3),
        "p95_s": round(_percentile(cold, 0.95), 3),
        "solve_p50_s": round(statistics.median(cold_solve), 3),
        "unassigned": max(cold_unassigned),
        "unassigned_mean": round(statistics.mean(cold_unassigned), 2),
        "warm_p50_s": round(statistics.median(warm), 3),
        "warm_p95_s": round(_percentile(warm, 0.95), 3),
        "warm_unassigned": max(warm_unassigned),
        "warm_unassigned_mean": round(statistics.mean(warm_unassigned), 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes",
        nargs="+",
        default=["50:30", "100:40", "300:80", "500:100", "1000:150", "2000:250"],
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        geography = load_geography(
            BUNDLED_MAP_DIR,
            BUNDLED_MAP_NAME,
            args.cache_dir or Path(scratch),
            {p: DEFAULT_PROFILES[p] for p in (*PROFILES, "walk")},
        )
        cases = []
        for size in args.sizes:
            orders, couriers = (int(x) for x in size.split(":"))
            case = run_case(geography, orders, couriers, args.runs)
            cases.append(case)
            print(
                f"{orders} orders / {couriers} couriers: p50 {case['p50_s']} s, "
                f"p95 {case['p95_s']} s (budget {case['time_budget_s']} s), "
                f"unassigned max {case['unassigned']}; next cycle (warm, 10 % new): "
                f"p95 {case['warm_p95_s']} s, unassigned max {case['warm_unassigned']}",
                flush=True,
            )
    by_size = {(c["orders"], c["couriers"]): c for c in cases}

    def met(size: tuple[int, int], check: Any) -> bool | None:
        return bool(check(by_size[size])) if size in by_size else None

    targets = {
        "300:80 cold p95 <= 2 s, 0 unassigned": met(
            (300, 80), lambda c: c["p95_s"] <= 2.0 and c["unassigned"] == 0
        ),
        "300:80 warm p95 <= 1 s": met((300, 80), lambda c: c["warm_p95_s"] <= 1.0),
        "1000:150 p95 <= 5 s, 0 unassigned": met(
            (1000, 150), lambda c: c["p95_s"] <= 5.0 and c["unassigned"] == 0
        ),
    }
    print(json.dumps({"benchmark": "dispatch_latency", "cases": cases, "targets_met": targets}))


if __name__ == "__main__":
    main()
