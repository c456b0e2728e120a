"""What the dispatcher is told, and the one translation of it into a `DispatchProblem`.

The worker reads its facts from the database (api/dispatcher/snapshot.py), the simulator from
its state (dispatch/sim/policies.py); both describe the evening in these plain terms and call
`dispatch_problem`, so every rule of that translation (when a bag will be ready, which orders
are planned yet, how a scheduled slot bounds a door, who must keep food on board, how a shift
closes) is stated here once. Times are seconds from the moment of planning; places are any
hashable keys, numbered here.
"""

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

from dispatch.planning.problem import (
    CARRYING_SHIFT_GRACE_S,
    DEFAULT_OBJECTIVE,
    HARD_MAX_S,
    CourierState,
    DispatchProblem,
    Objective,
    OrderTask,
    PickupTask,
    closing_shift,
    hard_max_for,
    time_budget_s,
)

Place = TypeVar("Place", bound=Hashable)
"""Whatever the caller knows a place by: a (lat, lon) pair, a simulated place number."""

SCHEDULED_LOOKAHEAD_S: Final = 75 * 60
"""A scheduled order is planned once its slot is this close; earlier plans would only churn."""
SCHEDULED_EARLY_S: Final = 5 * 60
"""How early before its slot a scheduled order may arrive."""


def plans_from_s(slot_s: int) -> int:
    """When a scheduled order starts being planned (on any clock its slot is on)."""
    return slot_s - SCHEDULED_LOOKAHEAD_S


def door_opens_s(slot_s: int) -> int:
    """The earliest a scheduled order may reach its door."""
    return slot_s - SCHEDULED_EARLY_S


class BagState(StrEnum):
    NOT_STARTED = "not_started"
    """The kitchen cooks when told: ready one cooking time after the start-cooking time."""
    COOKING = "cooking"
    """Started (or cooked from placement): expected ready at ``ready_s``."""
    READY = "ready"
    ON_BOARD = "on_board"
    """Collected by ``carrier`` at ``collected_s``."""


@dataclass(frozen=True)
class Bag(Generic[Place]):
    ticket_id: int
    kitchen: Place
    state: BagState
    ready_s: int = 0
    """COOKING: when it is expected ready. NOT_STARTED: its cooking time."""
    carrier: int | None = None
    collected_s: int | None = None
    planned_with: int | None = None
    """The courier whose round holds its pickup now, if any."""


@dataclass(frozen=True)
class OpenOrder(Generic[Place]):
    order_id: int
    door: Place
    placed_s: int
    promised_s: int
    bags: tuple[Bag[Place], ...]
    freshness_s: int = 25 * 60
    hard_max_s: int = HARD_MAX_S
    slot_s: int | None = None
    """A scheduled order's delivery slot."""
    pinned_to: int | None = None
    """The courier the operator pinned it to: planned with that courier only."""


@dataclass(frozen=True)
class OnDuty(Generic[Place]):
    courier_id: int
    place: Place
    available_s: int
    """When it is free: now, or on reaching the stop it is riding to."""
    shift_end_s: int
    capacity: int
    profile: str = "bike"
    locked_next: tuple[str, int] | None = None
    """The stop it is riding to, when that stop is in its round: ("pickup", ticket id) or
    ("dropoff", order id)."""


@dataclass(frozen=True)
class Rules:
    pickup_service_s: int = 120
    dropoff_service_s: int = 120
    time_limit_cap_s: float = 2.0
    objective: Objective = DEFAULT_OBJECTIVE
    handover_s: int = 0
    """How far into the pickup service the bag changes hands (MDRP's split service): the
    solver's pickup starts the service, that much before the bag is taken."""
    pickups_by_off_time: bool = False
    """MDRP's rule: pick up before the off time, deliver after it if need be. Otherwise the
    whole round ends by the shift end, except food already on board (closing_shift)."""
    kitchens_cook_for_courier: bool = True
    """Kitchens start a ticket for its planned pickup (the product's kitchens, told a
    start-cooking time): once started, the order stays with that courier (cooking_for).
    False: they cook from placement (MDRP), and a started bag binds no courier."""


class _Places(Generic[Place]):
    def __init__(self) -> None:
        self.number: dict[Place, int] = {}

    def __call__(self, place: Place) -> int:
        return self.number.setdefault(place, len(self.number))


def dispatch_problem(
    orders: Sequence[OpenOrder[Place]],
    couriers: Sequence[OnDuty[Place]],
    rules: Rules,
    matrices: Callable[[list[Place], set[str]], dict[str, NDArray[np.int64]]],
) -> tuple[DispatchProblem, list[Place]]:
    """The problem to solve, and the place of each of its location numbers. ``matrices``
    gives, per profile, the square ride-time matrix between places in the order given."""
    places: _Places[Place] = _Places()
    on_duty = {c.courier_id for c in couriers}
    tasks = [task for order in orders if (task := _task(order, rules, places, on_duty)) is not None]
    carried: dict[int, int] = {}
    for task in tasks:
        if task.courier_id is not None:
            carried[task.courier_id] = carried.get(task.courier_id, 0) + sum(
                t.bags for t in task.onboard
            )
    states = [_courier(c, carried.get(c.courier_id, 0), rules, places) for c in couriers]
    keys = list(places.number)
    problem = DispatchProblem(
        travel_s=matrices(keys, {c.profile for c in states}),
        orders=tasks,
        couriers=states,
        pickup_service_s=rules.pickup_service_s,
        dropoff_service_s=rules.dropoff_service_s,
        time_limit_s=time_budget_s(len(tasks), rules.time_limit_cap_s),
        objective=rules.objective,
    )
    return problem, keys


def _task(
    order: OpenOrder[Place], rules: Rules, places: _Places[Place], on_duty: set[int]
) -> OrderTask | None:
    """The order as a task, or None while it is not the dispatcher's to plan: nothing left to
    collect or deliver, food on board of no courier on duty, a slot still far off."""
    onboard = [b for b in order.bags if b.state is BagState.ON_BOARD]
    waiting = [b for b in order.bags if b.state is not BagState.ON_BOARD]
    carrier = next((b.carrier for b in onboard if b.carrier is not None), None)
    if not order.bags or (onboard and carrier not in on_duty):
        return None
    if order.slot_s is not None and plans_from_s(order.slot_s) > 0 and not onboard:
        return None
    collected = [b.collected_s for b in onboard if b.collected_s is not None]
    return OrderTask(
        order_id=order.order_id,
        pickups=tuple(_pickup(b, rules, places) for b in waiting),
        dropoff_location=places(order.door),
        placed_s=order.placed_s,
        promised_s=max(0, order.promised_s),
        freshness_s=order.freshness_s,
        hard_max_s=hard_max_for(order.hard_max_s, order.placed_s, order.slot_s),
        onboard=tuple(PickupTask(b.ticket_id, places(b.kitchen), 0) for b in onboard),
        courier_id=carrier if onboard else None,
        picked_up_s=min(collected) if collected else None,
        earliest_s=max(0, door_opens_s(order.slot_s)) if order.slot_s is not None else 0,
        slot_s=order.slot_s,
        # A pin to a courier off duty binds nothing: the order goes back to the dispatcher.
        pinned_to=order.pinned_to if order.pinned_to in on_duty else None,
        cooking_for=_cooking_for(waiting, rules, on_duty),
    )


def _cooking_for(waiting: Sequence[Bag[Place]], rules: Rules, on_duty: set[int]) -> int | None:
    """The courier on duty whose round holds a pickup its kitchen has started for. A plan
    that cannot keep the order with that courier leaves it out, and its pickup leaves the
    round: the next plan is free to give it to another."""
    if not rules.kitchens_cook_for_courier:
        return None
    started = (BagState.COOKING, BagState.READY)
    return next(
        (
            b.planned_with
            for b in waiting
            if b.state in started and b.planned_with is not None and b.planned_with in on_duty
        ),
        None,
    )


def _pickup(bag: Bag[Place], rules: Rules, places: _Places[Place]) -> PickupTask:
    """When the bag can be collected: now when ready, at its expected time while cooking, one
    cooking time from now when the kitchen waits to be told (and then the early ready time is
    only a bound: the kitchen fires for the planned pickup)."""
    ready = {
        BagState.READY: 0,
        BagState.COOKING: max(0, bag.ready_s),
        BagState.NOT_STARTED: bag.ready_s,
    }[bag.state]
    return PickupTask(
        bag.ticket_id,
        places(bag.kitchen),
        ready - rules.handover_s,
        cooking=bag.state is not BagState.NOT_STARTED,
    )


def _courier(
    courier: OnDuty[Place], carried_bags: int, rules: Rules, places: _Places[Place]
) -> CourierState:
    last_pickup: int | None = None
    if rules.pickups_by_off_time:
        off = courier.shift_end_s
        shift_end, takes_new = off + CARRYING_SHIFT_GRACE_S, off > 0
        last_pickup = off - rules.handover_s
    else:
        shift_end, takes_new = closing_shift(courier.shift_end_s, carried_bags > 0)
    return CourierState(
        courier_id=courier.courier_id,
        location=places(courier.place),
        available_s=max(0, courier.available_s),
        shift_end_s=shift_end,
        capacity=max(courier.capacity, carried_bags),
        profile=courier.profile,
        locked_next=courier.locked_next,
        takes_new_orders=takes_new,
        last_pickup_s=last_pickup,
    )
