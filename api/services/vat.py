"""VAT inside the alliance's VAT-inclusive prices, split exactly to the cent.

Prices are VAT-inclusive integer cents. The rounding rule, stated once: each line (a dish
times its quantity, or the delivery fee) carries its VAT, `total * rate / (1 + rate)` rounded
half up to the cent, and its base is the rest; the figures per rate, per kitchen and per
order are sums of lines, never computed again from their own totals. So a line's base and
VAT always add up to its total, and every sum of lines to the sum of their totals.

Rates are in basis points (1000 = 10 %), so no float touches money.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from api.models.enums import VatClass

FRENCH_RATES_BP: Final[Mapping[VatClass, int]] = {
    VatClass.FOOD: 1000,
    VatClass.ALCOHOL: 2000,
    VatClass.PACKAGED: 550,
}
"""French VAT by class: food for immediate consumption 10 %, alcoholic drinks 20 %, packaged
food for later 5.5 % (the alliance's settings may change them: `CHAUD_VAT_RATES_BP`)."""
DELIVERY_RATE_BP: Final = 2000
"""The delivery fee, a service, at the standard rate (`CHAUD_DELIVERY_VAT_BP`)."""
STANDARD_RATE_BP: Final = 2000
"""The alliance's commission, a service it sells the kitchens, at the standard rate."""
WHOLE: Final = 10_000


def vat_in(total_cents: int, rate_bp: int) -> int:
    """The VAT inside a VAT-inclusive amount, rounded half up (away from zero for a negative
    amount, so a refund's VAT is the opposite of the sale's)."""
    if total_cents < 0:
        return -vat_in(-total_cents, rate_bp)
    divisor = WHOLE + rate_bp
    return (2 * total_cents * rate_bp + divisor) // (2 * divisor)


def share_of(amount_cents: int, rate_bp: int) -> int:
    """A share of an amount (a commission, the VAT on top of a price before VAT), rounded half
    up to the cent."""
    return (2 * amount_cents * rate_bp + WHOLE) // (2 * WHOLE)


@dataclass(frozen=True)
class VatLine:
    """What one rate adds up to: base, VAT and VAT-inclusive total, in cents."""

    rate_bp: int
    base_cents: int
    vat_cents: int
    total_cents: int

    @property
    def rate_pct(self) -> float:
        return self.rate_bp / 100


def vat_lines(lines: Iterable[tuple[int, int]]) -> list[VatLine]:
    """Lines of (rate, VAT-inclusive total), split line by line and summed per rate, by rate."""
    vat: dict[int, int] = defaultdict(int)
    total: dict[int, int] = defaultdict(int)
    for rate_bp, total_cents in lines:
        vat[rate_bp] += vat_in(total_cents, rate_bp)
        total[rate_bp] += total_cents
    return [
        VatLine(rate, total[rate] - vat[rate], vat[rate], total[rate]) for rate in sorted(total)
    ]


def apportion(amount_cents: int, lines: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """An amount spread over VAT-inclusive lines of (rate, total) in proportion to their totals,
    as lines of (rate, share): shares rounded down, the cents left over going one each to the
    largest remainders (the first line on a tie), so they add up to the amount exactly.
    A credit note takes back each rate's VAT in the share the sale charged it."""
    weight = sum(total for _, total in lines)
    if weight <= 0:
        raise ValueError("nothing to apportion over")
    shares = [amount_cents * total // weight for _, total in lines]
    left = amount_cents - sum(shares)
    by_remainder = sorted(
        range(len(lines)), key=lambda i: (-(amount_cents * lines[i][1] % weight), i)
    )
    for i in by_remainder[:left]:
        shares[i] += 1
    return [(rate, share) for (rate, _), share in zip(lines, shares, strict=True)]


def euros(cents: int) -> str:
    """An amount as French receipts write it: 12,50 € (a minus sign before a refund)."""
    sign = "−" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100},{abs(cents) % 100:02d} €"
