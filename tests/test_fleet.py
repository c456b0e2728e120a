"""The team-size search: bisection over simulated evenings, told apart by what each serves."""

from collections.abc import Callable

import pytest

from dispatch.sim.fleet import Trial, smallest_team


def evening(serving_from: int, tried: list[int]) -> Callable[[int], Trial]:
    """A fake evening of 100 orders: teams of `serving_from` or more deliver them all with a
    p90 of 12 min; smaller teams leave some undelivered."""

    def run(couriers: int) -> Trial:
        tried.append(couriers)
        delivered = 100 if couriers >= serving_from else 100 - (serving_from - couriers)
        return Trial(couriers, 100, delivered, 12.0, 30.0)

    return run


@pytest.mark.parametrize("serving_from", [1, 2, 7, 20, 39, 40])
def test_the_smallest_serving_team_is_found_and_the_size_below_it_was_tried(
    serving_from: int,
) -> None:
    tried: list[int] = []
    answer = smallest_team(evening(serving_from, tried), 1, 40)
    assert answer.smallest == serving_from
    assert len(tried) == len(set(tried)), "no size is simulated twice"
    assert len(tried) <= 7, "bisection: about log2(40) + 1 evenings"
    if serving_from > 1:
        assert serving_from - 1 in tried
    assert [t.couriers for t in answer.trials] == sorted(tried)


def test_no_answer_when_even_the_largest_team_does_not_serve() -> None:
    tried: list[int] = []
    answer = smallest_team(evening(50, tried), 1, 40)
    assert answer.smallest is None
    assert tried == [40]


def test_a_team_that_delivers_everything_but_too_slowly_does_not_serve() -> None:
    slow = Trial(couriers=30, orders=100, delivered=100, r2d_p90_min=15.5, ctd_mean_min=30)
    assert not slow.serves(15.0)
    assert slow.serves(16.0)
    nothing = Trial(couriers=1, orders=0, delivered=0, r2d_p90_min=None, ctd_mean_min=None)
    assert not nothing.serves(15.0)


def test_sizes_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError, match="low <= high"):
        smallest_team(evening(3, []), 5, 4)
