"""What time an order as soon as possible is promised: the kitchens' pace, then the couriers'.

The earliest delivery is what the kitchens allow with a courier at hand: it comes a few minutes
after the order, collects every kitchen's bag as it is ready, in the order that lands soonest,
and rides to the door. On a quiet evening that is the time. When the couriers on shift cannot
carry more, the dispatcher's own plan says so: the orders placed lately are planned to reach
their doors later than their earliest delivery, and some have no courier at all. An order
placed now waits behind them, so its promise carries that delay (`PoolLoad.delay_s`). Which
orders go first is the solver's choice, not first come first served: the delay is that of most
orders placed lately, not of the last one.

Read by the product's quote and operator board (api.services) and by the simulator's quote
(dispatch.sim.promises): one rule for both.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import permutations
from typing import Final

import numpy as np
from numpy.typing import NDArray

PROMISE_MARGIN_S: Final = 10 * 60
"""An order as soon as possible is promised this long after its estimated delivery."""
COURIER_APPROACH_S: Final = 5 * 60
"""A courier at hand still needs a few minutes to reach the first kitchen."""
RECENT_S: Final = 15 * 60
"""The orders that tell the pool's delay are those placed this recently: they are the end of
the queue an order placed now joins."""
DELAY_QUANTILE: Final = 0.9
"""Most of those recent orders, not the luckiest: a promise is a time the customer can keep."""
MAX_DELAY_S: Final = 6 * 3600
"""A queue longer than this is no delivery this evening: past it the delay stops growing, the
quote's promise lands after closing and the order is refused there."""


def earliest_delivery_s(
    now_s: int,
    ready_s: Sequence[int],
    seconds: NDArray[np.generic],
    pickup_service_s: int,
    dropoff_service_s: int,
) -> int:
    """The earliest delivery with a courier at hand: `seconds` holds the kitchens (ready at
    `ready_s`, in the same order) first and the door last."""
    door = len(ready_s)
    best: int | None = None
    for sequence in permutations(range(door)):
        moment = now_s + COURIER_APPROACH_S
        previous: int | None = None
        for i in sequence:
            if previous is not None:
                moment += int(seconds[previous, i])
            moment = max(moment, ready_s[i]) + pickup_service_s
            previous = i
        assert previous is not None
        eta = moment + int(seconds[previous, door]) + dropoff_service_s
        best = eta if best is None else min(best, eta)
    assert best is not None
    return best


@dataclass(frozen=True)
class Waiting:
    """An open order as soon as possible, as the pool's load reads it."""

    placed_s: int
    earliest_s: int
    """Its earliest delivery when it was quoted (the kitchens' pace, a courier at hand)."""
    planned_s: int | None
    """When the dispatcher's plan brings it to the door; None: no courier has it."""


@dataclass(frozen=True)
class PoolLoad:
    """How far behind the kitchens' pace the couriers on shift deliver."""

    open_orders: int
    without_courier: int
    delay_s: int
    """Added to an order's earliest delivery: how much later than the kitchens allow the orders
    placed lately are planned to arrive (0 when the couriers keep up)."""


def pool_load(now_s: int, orders: Sequence[Waiting]) -> PoolLoad:
    """The pool's load from the dispatcher's plan of the open orders.

    Orders without a courier queue behind every planned delivery, oldest first, one after
    another at the pace the plan delivers at (its planned orders over the time it takes).
    """
    planned = [o.planned_s for o in orders if o.planned_s is not None]
    behind_all = max([now_s, *planned])
    gap = (behind_all - now_s) / len(planned) if planned else 0.0
    stranded = sorted((o for o in orders if o.planned_s is None), key=lambda o: o.placed_s)
    arrivals = [(o, o.planned_s) for o in orders if o.planned_s is not None] + [
        (o, behind_all + round((place + 1) * gap)) for place, o in enumerate(stranded)
    ]
    recent = [(o, at) for o, at in arrivals if o.placed_s >= now_s - RECENT_S] or arrivals
    delays = [max(0, at - o.earliest_s) for o, at in recent]
    delay = min(MAX_DELAY_S, int(np.quantile(delays, DELAY_QUANTILE))) if delays else 0
    return PoolLoad(open_orders=len(orders), without_courier=len(stranded), delay_s=delay)
