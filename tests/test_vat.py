"""VAT inside VAT-inclusive prices: each line rounded half up, sums of lines, never drifting."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.services.vat import WHOLE, apportion, euros, vat_in, vat_lines

RATES = st.sampled_from([0, 210, 550, 1000, 2000]) | st.integers(0, WHOLE)
AMOUNTS = st.integers(0, 10_000_000)
LINES = st.lists(st.tuples(RATES, AMOUNTS), max_size=30)


def test_a_twelve_fifty_dish_at_ten_percent() -> None:
    # 1250 * 10/110 = 113.64 cents of VAT: 1.14 €, on a base of 11.36 €.
    assert vat_in(1250, 1000) == 114
    (line,) = vat_lines([(1000, 1250)])
    assert (line.base_cents, line.vat_cents, line.total_cents) == (1136, 114, 1250)


def test_half_a_cent_rounds_up() -> None:
    assert vat_in(105, 500) == 5  # 105 * 5/105: 5 cents exactly
    assert vat_in(21, 1000) == 2  # 21 * 10/110 = 1.91
    assert vat_in(33, 1000) == 3  # 33 * 10/110 = 3 exactly
    assert vat_in(11, 10_000) == 6  # 11 * 100/200 = 5.5: half a cent rounds up


@given(RATES, AMOUNTS)
def test_each_line_is_within_half_a_cent_of_the_exact_vat(rate: int, total: int) -> None:
    exact = Fraction(total * rate, WHOLE + rate)
    vat = vat_in(total, rate)
    assert abs(vat - exact) <= Fraction(1, 2)
    assert 0 <= vat <= total


@given(RATES, AMOUNTS)
def test_a_refund_carries_the_opposite_vat(rate: int, total: int) -> None:
    assert vat_in(-total, rate) == -vat_in(total, rate)


@given(LINES)
def test_the_rates_add_up_to_the_lines(lines: list[tuple[int, int]]) -> None:
    split = vat_lines(lines)
    assert sum(v.total_cents for v in split) == sum(total for _, total in lines)
    assert sum(v.vat_cents for v in split) == sum(vat_in(t, r) for r, t in lines)
    for v in split:
        assert v.base_cents + v.vat_cents == v.total_cents
    assert [v.rate_bp for v in split] == sorted({r for r, _ in lines})


@given(LINES, LINES)
def test_splitting_a_cart_in_parts_splits_its_vat_in_parts(
    first: list[tuple[int, int]], second: list[tuple[int, int]]
) -> None:
    """Each kitchen's VAT lines summed per rate equal the order's: both sum lines."""
    whole = {v.rate_bp: (v.base_cents, v.vat_cents) for v in vat_lines(first + second)}
    summed: dict[int, tuple[int, int]] = {}
    for part in (first, second):
        for v in vat_lines(part):
            base, vat = summed.get(v.rate_bp, (0, 0))
            summed[v.rate_bp] = (base + v.base_cents, vat + v.vat_cents)
    assert summed == whole


def test_euros_are_written_the_french_way() -> None:
    assert euros(1250) == "12,50 €"
    assert euros(5) == "0,05 €"
    assert euros(-300) == "−3,00 €"


def test_a_refund_is_shared_like_the_sale() -> None:
    # 10 € of food at 10 % and 5 € of fee at 20 %: 3 € back is 2 € of food and 1 € of fee.
    assert apportion(300, [(1000, 1000), (2000, 500)]) == [(1000, 200), (2000, 100)]
    # A cent that cannot be split goes to the largest remainder, then to the first line.
    assert apportion(1, [(1000, 100), (2000, 100)]) == [(1000, 1), (2000, 0)]
    assert apportion(2, [(550, 100), (1000, 200)]) == [(550, 1), (1000, 1)]


@given(st.integers(min_value=0, max_value=10**6), LINES)
def test_a_refund_shares_add_up_and_stay_within_a_cent_of_proportion(
    amount: int, lines: list[tuple[int, int]]
) -> None:
    weight = sum(total for _, total in lines)
    if weight == 0:
        with pytest.raises(ValueError, match="nothing to apportion"):
            apportion(amount, lines)
        return
    shares = apportion(amount, lines)
    assert sum(share for _, share in shares) == amount
    for (rate, total), (share_rate, share) in zip(lines, shares, strict=True):
        assert share_rate == rate
        assert abs(share * weight - amount * total) < weight, "within a cent of its share"
