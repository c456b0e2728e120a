"""The smallest team that serves an evening: a search over team sizes, each one simulated.

A size *serves* when every order is delivered and the ready-to-door p90 stays within the
target. More couriers almost always serve at least as well, so the sizes are bisected; a
simulated evening is not perfectly monotone in its team, so the answer is stated as what was
measured: the size found serves and the size just below it (unless it is the lowest size
asked for) was simulated and does not.
"""

from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_R2D_P90_MIN = 15.0


@dataclass(frozen=True)
class Trial:
    """One simulated evening with `couriers` couriers."""

    couriers: int
    orders: int
    delivered: int
    r2d_p90_min: float | None
    ctd_mean_min: float | None

    def serves(self, r2d_p90_target_min: float) -> bool:
        """Every order delivered and ready-to-door p90 within the target."""
        return (
            self.delivered == self.orders
            and self.r2d_p90_min is not None
            and self.r2d_p90_min <= r2d_p90_target_min
        )


@dataclass(frozen=True)
class FleetAnswer:
    """The smallest serving size found (None when even `high` does not serve), every trial."""

    smallest: int | None
    trials: tuple[Trial, ...]


def smallest_team(
    run: Callable[[int], Trial],
    low: int,
    high: int,
    r2d_p90_target_min: float = DEFAULT_R2D_P90_MIN,
) -> FleetAnswer:
    """Bisect team sizes in [low, high]: `high` is tried first, then halves of the gap
    between the largest size known to fail and the smallest known to serve."""
    if not 1 <= low <= high:
        raise ValueError(f"team sizes need 1 <= low <= high, got {low}..{high}")
    trials: dict[int, Trial] = {}

    def serves(size: int) -> bool:
        if size not in trials:
            trials[size] = run(size)
        return trials[size].serves(r2d_p90_target_min)

    if not serves(high):
        return FleetAnswer(None, tuple(trials.values()))
    failing, serving = low - 1, high
    while serving - failing > 1:
        middle = (failing + serving) // 2
        if serves(middle):
            serving = middle
        else:
            failing = middle
    return FleetAnswer(serving, tuple(sorted(trials.values(), key=lambda t: t.couriers)))
