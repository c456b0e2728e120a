"""The dispatcher's plain data: what the solver is given and what it gives back."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import permutations
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

HARD_MAX_S: Final = 90 * 60
LATENESS_COST_PER_S: Final = 2
CLICK_TO_DOOR_COST_PER_S: Final = 3
"""With the click-to-door objective, a second of an order's wait outweighs a second of riding."""
WAITING_FOOD_COST_PER_S: Final = 2 * CLICK_TO_DOOR_COST_PER_S
"""Cooked food going cold at the counter costs twice a second of an order's wait: couriers
are sent for food that is ready (on the MDRP heavy day, 32.8 min click-to-door against 33.0
with the same weight as a second of wait, and the food waits 2.7 min on average, not 3.3)."""
SLOT_LATENESS_COST_PER_S: Final = 4 * CLICK_TO_DOOR_COST_PER_S
"""With the click-to-door objective, a second past a scheduled order's slot costs this on top:
the customer chose that time. On scenarios/friday-bookings-24.toml (a quarter of the orders
booked) 86 % were on time without it, bumped by orders as soon as possible at the same cost a
second; with it 100 %, for 1 more minute of click-to-door on the others (26.2 to 27.2)."""
PROMISE_LATENESS_COST_PER_S: Final = 4 * CLICK_TO_DOOR_COST_PER_S
"""With the click-to-door objective, a second past an order's promised time costs this on top:
the quote gave the customer that time, and on a rush the orders promised soonest go first."""
CARRIED_CLICK_TO_DOOR_COST_PER_S: Final = 6 * CLICK_TO_DOOR_COST_PER_S
"""A second of food riding in the bag costs six times a second of an order's wait: rounds do
not carry collected food past other kitchens and doors for long. At 21 couriers on the
Friday dinner, ready-to-door p90 over six runs 14.3-15.3 min (mean 14.9), against 14.8-15.7
(mean 15.2) at three times and 15.0-15.9 at ten times; the MDRP days within their noise."""
CARRIED_LATENESS_COST_PER_S: Final = 200
CARRYING_SHIFT_GRACE_S: Final = 3 * 3600
"""A courier still carrying food at the end of the shift rides on to deliver it."""
LAST_ORDERS_S: Final = 30 * 60
"""Within this of the shift end, a courier carrying food takes no new orders."""
"""Food on board past its freshness limit or promise: costlier than leaving new orders for
the next cycle, cheaper than dropping an order (DROP_PENALTY)."""
DROP_PENALTY: Final = 10_000_000
"""Larger than any lateness cost a plan can reach: orders are dropped only when they cannot fit."""


BUDGET_BASE_S: Final = 0.05
BUDGET_PER_ORDER_S: Final = 0.0045


def time_budget_s(order_count: int, cap_s: float) -> float:
    """Solver time for a snapshot: small ones are planned fast, large ones up to the cap."""
    return min(cap_s, BUDGET_BASE_S + BUDGET_PER_ORDER_S * order_count)


StopKind = Literal["pickup", "dropoff"]
Objective = Literal["promise", "click_to_door"]
""""promise": lateness past each promised time costs; "click_to_door": every second does."""
DEFAULT_OBJECTIVE: Final[Objective] = "click_to_door"
"""The dispatcher's, the simulator's and a bare problem's (CHAUD_DISPATCH_OBJECTIVE)."""


@dataclass(frozen=True)
class PickupTask:
    ticket_id: int
    location: int
    ready_s: int
    bags: int = 1
    cooking: bool = False
    """The kitchen has started it (or cooks at placement): from ready_s the food waits at
    the counter, which costs WAITING_FOOD_COST_PER_S. Not yet started: the kitchen fires
    for the planned pickup, so an early ready time is only a bound."""


@dataclass(frozen=True)
class OrderTask:
    """An order to deliver: its kitchens' pickups (those not yet collected) and its door."""

    order_id: int
    pickups: tuple[PickupTask, ...]
    dropoff_location: int
    placed_s: int
    promised_s: int
    freshness_s: int = 25 * 60
    hard_max_s: int = HARD_MAX_S
    onboard: tuple[PickupTask, ...] = ()
    """Tickets already in a courier's bag: they stay with that courier."""
    courier_id: int | None = None
    """The courier carrying the on-board tickets, if any."""
    picked_up_s: int | None = None
    earliest_s: int = 0
    """A scheduled order is not delivered before its slot (minus a little)."""
    slot_s: int | None = None
    """A scheduled order's slot: past it, lateness costs SLOT_LATENESS_COST_PER_S."""
    pinned_to: int | None = None
    """The courier the operator pinned it to: it goes with that courier or waits."""
    cooking_for: int | None = None
    """The courier its kitchens are cooking for: a bag was started (or is ready) for that
    courier's planned pickup, and the kitchen screen shows that courier coming."""


@dataclass(frozen=True)
class CourierState:
    courier_id: int
    location: int
    available_s: int
    shift_end_s: int
    capacity: int
    profile: str = "bike"
    locked_next: tuple[str, int] | None = None
    """The stop the courier is riding to now: ("pickup", ticket_id) or ("dropoff", order_id)."""
    takes_new_orders: bool = True
    """False once the shift is (nearly) over: only the orders it already carries."""
    last_pickup_s: int | None = None
    """When set, pickups must start by then and only the route's end is bound by
    shift_end_s (the Meal Delivery Routing Problem's rule: pick up before the off time,
    deliver after it if need be). None: the whole route ends by shift_end_s."""


@dataclass(frozen=True)
class DispatchProblem:
    travel_s: Mapping[str, NDArray[np.int64]]
    """Per profile, seconds between location indices (square matrix)."""
    orders: Sequence[OrderTask]
    couriers: Sequence[CourierState]
    pickup_service_s: int = 120
    dropoff_service_s: int = 120
    time_limit_s: float = 2.0
    objective: Objective = DEFAULT_OBJECTIVE


@dataclass(frozen=True)
class PlannedStop:
    kind: StopKind
    order_id: int
    ticket_id: int | None
    location: int
    eta_s: int


class Unplaced(StrEnum):
    """Why an order is in no round: for the operator's alerts and for quotes."""

    NO_COURIER = "no_courier_on_shift"
    """No courier on shift takes new orders."""
    BAGS_FULL = "bags_full"
    """No courier can carry its bags, even riding for it alone."""
    FOOD_WOULD_COOL = "food_would_cool"
    """No courier can bring its kitchens' food to the door within its freshness limit."""
    PAST_HARD_MAXIMUM = "past_hard_maximum"
    """No courier can reach the door before the order's hard maximum."""
    OUTSIDE_EVERY_SHIFT = "outside_every_shift"
    """Every courier's shift ends before it could collect or deliver it."""
    COURIERS_BUSY = "couriers_busy"
    """A courier riding for it alone could, but no round has room for it now."""


@dataclass(frozen=True)
class DispatchPlan:
    routes: dict[int, list[PlannedStop]]
    unassigned: list[int]
    objective: int
    late_orders: list[int] = field(default_factory=list)
    found: bool = True
    """False when the solver found no plan at all: keep the previous one."""
    reasons: dict[int, Unplaced] = field(default_factory=dict)
    """Per unassigned order, why (when the solver could tell)."""


LATE_GRACE_S: Final = 60 * 60
"""An order past its hard maximum gets this long from now: late rather than never, and with
room to fit when every courier is busy (a tight window would starve it)."""


def hard_max_for(hard_max_s: int, placed_s: int, slot_s: int | None = None) -> int:
    """The hard maximum after placement to plan with, seconds from now being 0.

    A late order still gets LATE_GRACE_S from now; a scheduled one counts from its slot.
    """
    return max(hard_max_s, -placed_s + LATE_GRACE_S, (slot_s or 0) - placed_s + LATE_GRACE_S)


FRESHNESS_SLACK_S: Final = 5 * 60
"""Room left over the quickest possible pickups-to-door ride when the limit cannot be met."""
MAX_DETOUR_S: Final = 5 * 60
"""Food on board rides at most this much longer than the quickest way to its door: a round
does not carry hot food past other kitchens and doors for long."""


def quickest_collection_s(
    seconds: NDArray[np.generic], kitchens: Sequence[int], door: int, pickup_service_s: int
) -> int:
    """From the first bag's pickup to the door, the quickest collection of every kitchen's bag:
    how long the first bag rides at the least."""
    return int(
        min(
            sum(seconds[a, b] for a, b in zip(sequence, (*sequence[1:], door), strict=True))
            for sequence in permutations(kitchens)
        )
        + pickup_service_s * len(kitchens)
    )


def ride_limit(
    order: OrderTask, travel_s: Mapping[str, NDArray[np.int64]], pickup_service_s: int
) -> int:
    """How long the order's first bag may ride before its door: the freshness limit, but no
    more than MAX_DETOUR_S over the quickest collection of its bags and ride to the door.

    When the kitchens are too far apart for the freshness limit itself, the quickest way
    plus FRESHNESS_SLACK_S: a limit no route can meet would leave the order unplanned for
    ever, so it is delivered as fresh as the streets allow instead.
    """
    if not order.pickups:
        return order.freshness_s
    places = [t.location for t in order.pickups]
    quickest = min(
        quickest_collection_s(matrix, places, order.dropoff_location, pickup_service_s)
        for matrix in travel_s.values()
    )
    if quickest > order.freshness_s:
        return quickest + FRESHNESS_SLACK_S
    return min(order.freshness_s, quickest + MAX_DETOUR_S)


def door_deadline(order: OrderTask) -> int:
    """When the door must be reached at the latest: the hard maximum after placement, or
    LATE_GRACE_S after the last bag is ready when the kitchen needs longer than that.

    A deadline before a bag is ready would make the order impossible, and the same-courier
    and pickup-before-door constraints hold whether or not an order is planned, so one
    impossible order would make the whole plan fail.
    """
    last_ready = max((t.ready_s for t in order.pickups), default=order.placed_s)
    return max(order.placed_s + order.hard_max_s, last_ready + LATE_GRACE_S)


def soft_due(
    order: OrderTask, objective: Objective = DEFAULT_OBJECTIVE
) -> tuple[tuple[int, int], ...]:
    """When the door should be reached, and the cost per second beyond: one or two bounds,
    whose costs add up.

    With the "promise" objective an order costs nothing until its promised time; with
    "click_to_door" every second to the door costs (CLICK_TO_DOOR_COST_PER_S), which trades
    riding for earlier deliveries, and a scheduled order's seconds past its slot cost more.
    Food already on board must be delivered whatever the time, so for it the freshness limit
    is a steep cost (CARRIED_LATENESS_COST_PER_S) rather than a rule that could make the whole
    plan impossible; with "click_to_door" every second of it also costs six times an
    order's (otherwise food in the bag would cost nothing until its freshness limit, and
    rounds would carry it past other kitchens and doors).
    """
    if order.onboard and order.picked_up_s is not None:
        stale = order.picked_up_s + order.freshness_s
        if objective == "click_to_door":
            return (0, CARRIED_CLICK_TO_DOOR_COST_PER_S), (
                max(0, stale),
                CARRIED_LATENESS_COST_PER_S,
            )
        return ((max(0, min(order.promised_s, stale)), CARRIED_LATENESS_COST_PER_S),)
    if objective == "click_to_door":
        if order.slot_s is not None:
            return (0, CLICK_TO_DOOR_COST_PER_S), (max(0, order.slot_s), SLOT_LATENESS_COST_PER_S)
        return (0, CLICK_TO_DOOR_COST_PER_S), (
            max(0, order.promised_s),
            PROMISE_LATENESS_COST_PER_S,
        )
    return ((order.promised_s, LATENESS_COST_PER_S),)


def closing_shift(shift_end_s: int, carrying: bool) -> tuple[int, bool]:
    """The shift end to plan with, and whether new orders may still be given.

    A courier carrying food near or past the end of the shift delivers it (the shift is
    stretched for that) but takes nothing new; otherwise the whole route ends by the shift end.
    """
    if carrying and shift_end_s < LAST_ORDERS_S:
        return max(shift_end_s, CARRYING_SHIFT_GRACE_S), False
    return max(0, shift_end_s), True


def sets_off_s(kind: StopKind, eta_s: int, ride_s: int, free_s: int) -> int:
    """When a courier sets off for its next stop: for a pickup, just in time for the planned
    moment (until then it is not committed to it, and a new plan may send it elsewhere); for
    a door, as soon as it is free. Never before it is free."""
    if kind == "pickup":
        return max(free_s, eta_s - ride_s)
    return free_s


def committed_couriers(problem: DispatchProblem) -> dict[int, int]:
    """Per order, the courier it must stay with: the one carrying part of it, the one the
    operator pinned it to, the one riding to one of its stops now (``locked_next``), or the
    one its kitchens are cooking for. Every plan that places the order gives it to that courier.

    Why the last: an order moved once its food is cooking is collected later than the kitchen
    was told, and its food waits at the counter. On the Friday dinner with 21 couriers, four in
    ten orders changed courier after their kitchen started, those in the slowest tenth five
    minutes late on average, and ready-to-door p90 was 15.4-15.9 min; kept, 14.0-14.6."""
    order_of_ticket = {t.ticket_id: o.order_id for o in problem.orders for t in o.pickups}
    committed = {o.order_id: o.courier_id for o in problem.orders if o.courier_id is not None}
    present = {c.courier_id for c in problem.couriers}
    for order in problem.orders:
        # A pin to a courier not in the problem binds nothing (intake drops it already).
        if order.pinned_to in present:
            committed.setdefault(order.order_id, order.pinned_to)
    for courier in problem.couriers:
        if courier.locked_next is None:
            continue
        kind, ident = courier.locked_next
        order_id = order_of_ticket.get(ident) if kind == "pickup" else ident
        if order_id is not None:
            committed.setdefault(order_id, courier.courier_id)
    for order in problem.orders:
        if order.cooking_for in present:
            committed.setdefault(order.order_id, order.cooking_for)
    return committed
