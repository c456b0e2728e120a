"""How well a kitchen's real pace is learned, on synthetic ticket histories with known truth.

    python -m benchmarks.prep_estimation [--kitchens 40] [--seed 1]
        [--history 0 5 10 20 50 100 200] [--test-tickets 50]

Each synthetic kitchen has a true pace (`dispatch.sim.engine.TruePace`: optimistic by a factor
drawn around 1.25, slower with load, a log-normal noise per ticket) and tickets of declared
times from 6 to 20 minutes started at loads from 0 to 10. For each history size the kitchen's
pace is fitted on that many closed tickets (`dispatch.planning.prep.fit_pace`) and asked about
the next `--test-tickets`: the error of its median against what each ticket really took, next
to the error of the declared time, and how often the real time stayed within its upper
quantile. JSON last line: mae_declared_min, mae_learned_min and upper_coverage over every
history size from `MIN_TICKETS` up, and the same per history size.
"""

import argparse
import json
import sys
from statistics import mean
from typing import Any

import numpy as np

from dispatch.planning.prep import MIN_TICKETS, UPPER_QUANTILE, Pace, PrepSample, fit_pace
from dispatch.sim.engine import TruePace

DECLARED_MINUTES = np.arange(6, 21)
MAX_LOAD = 10


def _kitchen(rng: np.random.Generator) -> TruePace:
    return TruePace(
        factor=float(np.clip(rng.normal(1.25, 0.2), 0.6, 3.0)),
        per_open_ticket=float(rng.uniform(0.0, 0.1)),
        noise=float(rng.uniform(0.08, 0.25)),
    )


def _tickets(rng: np.random.Generator, truth: TruePace, count: int) -> list[PrepSample]:
    samples = []
    for _ in range(count):
        declared = int(rng.choice(DECLARED_MINUTES)) * 60
        load = int(rng.integers(0, MAX_LOAD + 1))
        samples.append(PrepSample(declared, load, truth.real_s(declared, load, rng.normal())))
    # One ticket in fifty is bumped long after it was ready: the history has outliers.
    return [
        PrepSample(s.declared_s, s.load, s.real_s * 4) if rng.random() < 0.02 else s
        for s in samples
    ]


def _errors(pace: Pace, tests: list[PrepSample]) -> tuple[list[float], list[float], list[bool]]:
    declared, learned, covered = [], [], []
    for ticket in tests:
        estimate = pace.estimate(ticket.declared_s, ticket.load)
        declared.append(abs(ticket.declared_s - ticket.real_s) / 60)
        learned.append(abs(estimate.median_s - ticket.real_s) / 60)
        covered.append(ticket.real_s <= estimate.upper_s)
    return declared, learned, covered


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kitchens", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--history", type=int, nargs="+", default=[0, 5, 10, 20, 50, 100, 200])
    parser.add_argument("--test-tickets", type=int, default=50)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    longest = max(args.history)
    rows: dict[int, tuple[list[float], list[float], list[bool]]] = {
        n: ([], [], []) for n in args.history
    }
    for _ in range(args.kitchens):
        truth = _kitchen(rng)
        history = _tickets(rng, truth, longest + args.test_tickets)
        for n in args.history:
            # The tests are clean tickets: an outlier is a bump, not what the kitchen cooks.
            tests = _tickets(rng, truth, args.test_tickets)
            tests = [PrepSample(t.declared_s, t.load, t.real_s) for t in tests]
            declared, learned, covered = _errors(fit_pace(history[:n]), tests)
            rows[n][0].extend(declared)
            rows[n][1].extend(learned)
            rows[n][2].extend(covered)
    per_history = {
        str(n): {
            "mae_declared_min": round(mean(d), 3),
            "mae_learned_min": round(mean(m), 3),
            "upper_coverage": round(mean(c), 3),
        }
        for n, (d, m, c) in rows.items()
    }
    for n, figures in per_history.items():
        print(f"history {n:>4}: {json.dumps(figures)}", flush=True)
    learned_rows = [rows[n] for n in args.history if n >= MIN_TICKETS]
    summary: dict[str, Any] = {
        "benchmark": "prep_estimation",
        "kitchens": args.kitchens,
        "upper_quantile": UPPER_QUANTILE,
        "mae_declared_min": round(mean(v for r in learned_rows for v in r[0]), 3),
        "mae_learned_min": round(mean(v for r in learned_rows for v in r[1]), 3),
        "upper_coverage": round(mean(v for r in learned_rows for v in r[2]), 3),
        "by_history": per_history,
    }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
