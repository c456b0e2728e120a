"""Learned prep times on tiny named histories (dispatch.planning.prep)."""

from dispatch.planning.prep import (
    DECLARED,
    DECLARED_UPPER_RATIO,
    MIN_TICKETS,
    PrepSample,
    fit_pace,
)

TEN_MINUTES = 600


def _history(
    real_by_load: list[tuple[int, int]], declared_s: int = TEN_MINUTES
) -> list[PrepSample]:
    return [PrepSample(declared_s, load, real) for load, real in real_by_load]


def test_a_new_kitchen_with_no_tickets_is_taken_at_its_word() -> None:
    pace = fit_pace([])
    assert pace == DECLARED
    estimate = pace.estimate(TEN_MINUTES, load=6)
    assert estimate.median_s == TEN_MINUTES
    assert estimate.upper_s == round(TEN_MINUTES * DECLARED_UPPER_RATIO)


def test_a_kitchen_with_a_few_tickets_still_uses_what_it_declared() -> None:
    few = _history([(0, 1200)] * (MIN_TICKETS - 1))
    assert fit_pace(few) == DECLARED


def test_an_optimistic_kitchen_is_learned_and_thin_data_is_shrunk_towards_its_word() -> None:
    """Every ticket takes 15 minutes for 10 declared: with 6 tickets the estimate moves part of
    the way, with 60 nearly all of it."""
    thin = fit_pace(_history([(2, 900)] * 6)).estimate(TEN_MINUTES, 2).median_s
    rich = fit_pace(_history([(2, 900)] * 60)).estimate(TEN_MINUTES, 2).median_s
    assert TEN_MINUTES < thin < rich
    assert abs(rich - 900) <= 60


def test_a_kitchen_slower_with_load_is_estimated_slower_when_busy() -> None:
    """Quiet: 10 minutes as declared. Each open ticket adds a minute."""
    history = _history([(load, TEN_MINUTES + 60 * load) for load in range(9) for _ in range(8)])
    pace = fit_pace(history)
    quiet, busy = pace.estimate(TEN_MINUTES, 0), pace.estimate(TEN_MINUTES, 8)
    assert abs(quiet.median_s - TEN_MINUTES) <= 45
    assert abs(busy.median_s - (TEN_MINUTES + 480)) <= 90
    assert busy.upper_s >= busy.median_s


def test_one_forgotten_bump_does_not_move_the_estimate_much() -> None:
    """Forty tickets of 12 minutes, then one left on the screen for two hours."""
    steady = _history([(3, 720)] * 40)
    with_outlier = [*steady, PrepSample(TEN_MINUTES, 3, 7200)]
    before = fit_pace(steady).estimate(TEN_MINUTES, 3)
    after = fit_pace(with_outlier).estimate(TEN_MINUTES, 3)
    assert abs(after.median_s - before.median_s) <= 10
    assert abs(after.upper_s - before.upper_s) <= 60


def test_the_upper_quantile_covers_most_tickets_of_a_noisy_kitchen() -> None:
    """Tickets of 9 to 18 minutes in turn: the upper estimate sits above nearly all of them."""
    reals = [540 + 60 * (i % 10) for i in range(100)]
    pace = fit_pace(_history([(4, r) for r in reals]))
    estimate = pace.estimate(TEN_MINUTES, 4)
    covered = sum(r <= estimate.upper_s for r in reals) / len(reals)
    assert 0.8 <= covered <= 1.0
    assert 780 <= estimate.median_s <= 900


def test_a_kitchen_that_changes_is_followed_by_its_recent_tickets() -> None:
    """Slow for 300 tickets, then fast: the window reads the fast ones."""
    history = _history([(2, 1200)] * 300 + [(2, 660)] * 200)
    assert abs(fit_pace(history).estimate(TEN_MINUTES, 2).median_s - 660) <= 30
