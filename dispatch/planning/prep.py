"""A kitchen's real pace, learned from its tickets: how long a ticket really takes to cook.

Kitchens declare a preparation time per dish once; in service they drift (slower with twelve
tickets open, faster on a quiet night, and nearly always optimistic). The model is small and
explainable, one per kitchen:

    log(real / declared) = a + b * load

where `declared` is the ticket's declared time (its slowest dish), `load` the kitchen's other
tickets cooking when it started, `exp(a)` the kitchen's pace on a quiet night and `b` how much
each open ticket slows it. It is fitted twice by quantile regression (a linear programme,
solved by HiGHS through scipy): the median, for plans and quotes, and the upper quantile
(`UPPER_QUANTILE`), for cooking a bag early enough that it is rarely late. Quantile regression
keeps an outlier ticket (a forgotten bump) from moving the estimate much.

While a kitchen has few tickets the fit is shrunk towards what it declared (a credibility
weight): with n tickets each line is n / (n + PRIOR_TICKETS) of the fitted one and the rest of
the declared one (real = declared; for the upper quantile, declared times
`DECLARED_UPPER_RATIO`); under `MIN_TICKETS` the declared figures are used as they are.
The fit reads the kitchen's `WINDOW` last tickets, so it follows a kitchen that changes; it
is refitted as tickets close, no nightly batch.

The hour of the evening enters through the load (the rush is the open tickets); a term of its
own needs more than one evening's tickets to be told apart from the load.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_array, hstack, identity

UPPER_QUANTILE: Final = 0.9
DECLARED_UPPER_RATIO: Final = 1.3
"""A kitchen with no history: its ticket is done within 1.3 times the declared time, 9 in 10."""
MIN_TICKETS: Final = 5
PRIOR_TICKETS: Final = 6
WINDOW: Final = 200
RATIO_BOUNDS: Final = (0.25, 4.0)
"""A ticket's real/declared ratio is clipped to these: a bump forgotten for an hour is read as
four times late, not forty."""
SLOPE_BOUNDS: Final = (-0.02, 0.15)
"""Per open ticket: a kitchen is not much faster with more tickets open, nor more than 15 %
slower with each."""


@dataclass(frozen=True)
class PrepSample:
    """One closed ticket: what it declared, the kitchen's load when it started, what it took."""

    declared_s: int
    load: int
    real_s: int


@dataclass(frozen=True)
class PrepEstimate:
    median_s: int
    upper_s: int


@dataclass(frozen=True)
class Pace:
    """A kitchen's learned pace: the log-ratio lines for the median and the upper quantile."""

    median: tuple[float, float] = (0.0, 0.0)
    upper: tuple[float, float] = (math.log(DECLARED_UPPER_RATIO), 0.0)
    tickets: int = 0
    """How many closed tickets it was fitted on (0: the declared figures)."""

    def estimate(self, declared_s: int, load: int) -> PrepEstimate:
        """The ticket's cooking time at this load: median and upper quantile, in seconds."""
        median = declared_s * self.factor(load)
        upper = declared_s * math.exp(self.upper[0] + self.upper[1] * load)
        return PrepEstimate(round(median), round(max(upper, median)))

    def factor(self, load: int) -> float:
        """Real over declared, at the median, at this load: what the kitchen sees."""
        return math.exp(self.median[0] + self.median[1] * load)

    @property
    def per_open_ticket(self) -> float:
        """How much slower, at the median, each other ticket cooking makes a ticket."""
        return math.exp(self.median[1]) - 1


DECLARED: Final = Pace()


def fit_pace(samples: Sequence[PrepSample]) -> Pace:
    """The pace of a kitchen from its closed tickets (the last WINDOW of them are read)."""
    recent = [s for s in samples if s.declared_s > 0 and s.real_s > 0][-WINDOW:]
    if len(recent) < MIN_TICKETS:
        return DECLARED
    low, high = RATIO_BOUNDS
    ratios = np.clip([s.real_s / s.declared_s for s in recent], low, high)
    y = np.log(ratios)
    x = np.array([s.load for s in recent], dtype=np.float64)
    weight = len(recent) / (len(recent) + PRIOR_TICKETS)
    median = _shrunk(_quantile_line(x, y, 0.5), DECLARED.median, weight)
    upper = _shrunk(_quantile_line(x, y, UPPER_QUANTILE), DECLARED.upper, weight)
    return Pace(median, upper, len(recent))


def _shrunk(
    fitted: tuple[float, float], prior: tuple[float, float], weight: float
) -> tuple[float, float]:
    return (
        weight * fitted[0] + (1 - weight) * prior[0],
        weight * fitted[1] + (1 - weight) * prior[1],
    )


def _quantile_line(x: np.ndarray, y: np.ndarray, q: float) -> tuple[float, float]:
    """(a, b) minimising the quantile loss of y - (a + b x): the linear programme
    min q·sum(u) + (1-q)·sum(v) with a + b·x + u - v = y, u, v >= 0."""
    n = len(y)
    columns = csr_array(np.column_stack([np.ones(n), x]))
    a_eq = hstack([columns, identity(n, format="csr"), -identity(n, format="csr")], format="csr")
    cost = np.concatenate([[0.0, 0.0], np.full(n, q), np.full(n, 1 - q)])
    bounds = [(None, None), SLOPE_BOUNDS] + [(0, None)] * (2 * n)
    result = linprog(cost, A_eq=a_eq, b_eq=y, bounds=bounds, method="highs")
    if not result.success:  # pragma: no cover - a feasible LP (u, v absorb any residual)
        raise RuntimeError(f"quantile fit failed: {result.message}")
    return float(result.x[0]), float(result.x[1])
