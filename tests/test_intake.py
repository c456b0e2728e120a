"""planning.intake: the one translation of what the dispatcher is told into its problem, on
tiny named evenings. The worker (database) and the simulator (its state) both call it."""

import numpy as np
from numpy.typing import NDArray

from dispatch.planning.intake import (
    SCHEDULED_EARLY_S,
    SCHEDULED_LOOKAHEAD_S,
    Bag,
    BagState,
    OnDuty,
    OpenOrder,
    Rules,
    dispatch_problem,
)
from dispatch.planning.problem import CARRYING_SHIFT_GRACE_S, LAST_ORDERS_S, DispatchProblem

asked: list[list[str]] = []


def matrices(places: list[str], profiles: set[str]) -> dict[str, NDArray[np.int64]]:
    """Every ride takes a minute; the places asked for are recorded."""
    asked.append(list(places))
    size = len(places)
    return {
        p: np.full((size, size), 60, dtype=np.int64) - 60 * np.eye(size, dtype=np.int64)
        for p in profiles
    }


def order(*bags: Bag[str], slot_s: int | None = None, number: int = 1) -> OpenOrder[str]:
    return OpenOrder(number, f"door{number}", -300, 2100, bags, slot_s=slot_s)


def courier(shift_end_s: int = 3 * 3600, number: int = 7) -> OnDuty[str]:
    return OnDuty(number, "corner", 0, shift_end_s, capacity=4)


def plan(
    *orders: OpenOrder[str], couriers: tuple[OnDuty[str], ...] = (), rules: Rules = Rules()
) -> DispatchProblem:
    problem, _ = dispatch_problem(list(orders), list(couriers or (courier(),)), rules, matrices)
    return problem


def test_a_bag_is_expected_when_its_kitchen_screen_says() -> None:
    problem = plan(
        order(
            Bag(1, "pizzeria", BagState.READY),
            Bag(2, "sushi", BagState.COOKING, ready_s=420),
            Bag(3, "bistro", BagState.COOKING, ready_s=-120),  # overdue: any moment now
            Bag(4, "creperie", BagState.NOT_STARTED, ready_s=900),
        )
    )
    pickups = {p.ticket_id: (p.ready_s, p.cooking) for p in problem.orders[0].pickups}
    # Not started: one cooking time away, and only a bound (the kitchen fires for the pickup).
    assert pickups == {1: (0, True), 2: (420, True), 3: (0, True), 4: (900, False)}


def test_a_split_service_hands_the_bag_over_halfway() -> None:
    rules = Rules(handover_s=60, pickups_by_off_time=True)
    problem = plan(order(Bag(1, "pizzeria", BagState.COOKING, ready_s=600)), rules=rules)
    assert problem.orders[0].pickups[0].ready_s == 540
    rider = problem.couriers[0]
    # MDRP: pick up before the off time (less the handover), deliver after it if need be.
    assert rider.last_pickup_s == 3 * 3600 - 60
    assert rider.shift_end_s == 3 * 3600 + CARRYING_SHIFT_GRACE_S


def test_a_scheduled_order_waits_until_its_slot_is_near() -> None:
    far = order(
        Bag(1, "pizzeria", BagState.NOT_STARTED, ready_s=900), slot_s=SCHEDULED_LOOKAHEAD_S + 60
    )
    assert plan(far).orders == []
    near = order(Bag(1, "pizzeria", BagState.NOT_STARTED, ready_s=900), slot_s=3600)
    (task,) = plan(near).orders
    assert task.earliest_s == 3600 - SCHEDULED_EARLY_S
    assert task.hard_max_s > 3600 - task.placed_s, "its hard maximum counts from the slot"


def test_food_on_board_stays_with_its_courier_and_closes_the_shift() -> None:
    carried = order(
        Bag(1, "pizzeria", BagState.ON_BOARD, carrier=7, collected_s=-240),
        Bag(2, "sushi", BagState.COOKING, ready_s=300),
    )
    problem = plan(carried, couriers=(courier(shift_end_s=LAST_ORDERS_S - 60),))
    (task,) = problem.orders
    assert task.courier_id == 7
    assert task.picked_up_s == -240
    assert [t.ticket_id for t in task.onboard] == [1]
    assert [t.ticket_id for t in task.pickups] == [2]
    (rider,) = problem.couriers
    assert not rider.takes_new_orders, "a courier carrying food near the end takes nothing new"
    assert rider.shift_end_s >= CARRYING_SHIFT_GRACE_S


def test_food_on_board_of_no_courier_on_duty_is_not_planned() -> None:
    lost = order(Bag(1, "pizzeria", BagState.ON_BOARD, carrier=99, collected_s=-60))
    assert plan(lost).orders == []
    assert plan(order()).orders == [], "nothing to collect or deliver"


def test_more_bags_on_board_than_the_bag_holds_raise_its_capacity() -> None:
    bags = [Bag(t, "pizzeria", BagState.ON_BOARD, carrier=7, collected_s=-60) for t in range(6)]
    problem = plan(order(*bags))
    assert problem.couriers[0].capacity == 6


def test_each_place_is_numbered_once_and_the_matrices_follow_that_numbering() -> None:
    asked.clear()
    first = order(Bag(1, "pizzeria", BagState.READY), number=1)
    second = order(Bag(2, "pizzeria", BagState.READY), number=2)
    problem, places = dispatch_problem([first, second], [courier()], Rules(), matrices)
    assert places == ["pizzeria", "door1", "door2", "corner"]
    assert asked == [places]
    assert [o.dropoff_location for o in problem.orders] == [1, 2]
    assert {p.location for o in problem.orders for p in o.pickups} == {0}
    assert problem.couriers[0].location == 3


def test_an_order_is_bound_to_the_courier_its_kitchen_started_cooking_for() -> None:
    on_duty = (courier(number=7), courier(number=8))
    cooking = Bag(1, "pizzeria", BagState.COOKING, ready_s=300, planned_with=8)
    ready = Bag(1, "pizzeria", BagState.READY, planned_with=8)
    told_not_yet = Bag(1, "pizzeria", BagState.NOT_STARTED, ready_s=900, planned_with=8)
    gone_home = Bag(1, "pizzeria", BagState.COOKING, ready_s=300, planned_with=9)

    def bound(bag: Bag[str], rules: Rules = Rules()) -> int | None:
        return plan(order(bag), couriers=on_duty, rules=rules).orders[0].cooking_for

    assert bound(cooking) == 8
    assert bound(ready) == 8
    assert bound(told_not_yet) is None, "nothing cooks for courier 8 yet"
    assert bound(gone_home) is None, "a courier off duty binds nothing"
    # Kitchens that cook from placement (MDRP) did not start for anyone.
    assert bound(cooking, Rules(kitchens_cook_for_courier=False)) is None
