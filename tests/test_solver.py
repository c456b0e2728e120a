"""The dispatcher's solver on tiny named instances: one rule each.

Locations are points on a street line, one minute's ride apart: travel(a, b) = |a - b| min.
"""

import multiprocessing
import os
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from dispatch.planning import guard
from dispatch.planning.guard import solve_within
from dispatch.planning.problem import (
    CLICK_TO_DOOR_COST_PER_S,
    SLOT_LATENESS_COST_PER_S,
    Objective,
    ride_limit,
    soft_due,
)
from dispatch.planning.solver import (
    CourierState,
    DispatchPlan,
    DispatchProblem,
    OrderTask,
    PickupTask,
    PlanListener,
    PlannedStop,
    solve,
)
from tests.waiting import wait_for

MIN = 60


def line_city(size: int = 20) -> dict[str, np.ndarray]:
    positions = np.arange(size)
    return {"bike": np.abs(positions[:, None] - positions[None, :]) * MIN}


def courier(
    courier_id: int = 1, at: int = 0, capacity: int = 4, shift_end_min: int = 240
) -> CourierState:
    return CourierState(courier_id, at, 0, shift_end_min * MIN, capacity)


def order(
    order_id: int,
    kitchens: list[int],
    door: int,
    ready_min: int = 0,
    promised_min: int = 60,
    fresh_min: int = 25,
) -> OrderTask:
    pickups = tuple(
        PickupTask(order_id * 10 + i, at, ready_min * MIN) for i, at in enumerate(kitchens)
    )
    return OrderTask(order_id, pickups, door, 0, promised_min * MIN, fresh_min * MIN)


def stops(plan: DispatchPlan, courier_id: int = 1) -> list[tuple[str, int | None]]:
    return [
        (s.kind, s.ticket_id if s.kind == "pickup" else s.order_id) for s in plan.routes[courier_id]
    ]


def problem(orders: list[OrderTask], couriers: list[CourierState]) -> DispatchProblem:
    """Lateness past each promise is what costs here: the trade-offs below are written so."""
    return DispatchProblem(
        line_city(),
        orders,
        couriers,
        pickup_service_s=0,
        dropoff_service_s=0,
        time_limit_s=1,
        objective="promise",
    )


def test_three_kitchen_order_is_one_couriers_pickups_then_one_dropoff() -> None:
    plan = solve(problem([order(1, [3, 5, 7], door=9)], [courier(1), courier(2, at=19)]))
    route = plan.routes[1] or plan.routes[2]
    assert [s.kind for s in route] == ["pickup", "pickup", "pickup", "dropoff"]
    assert {s.ticket_id for s in route if s.kind == "pickup"} == {10, 11, 12}
    assert plan.unassigned == []


def test_pickup_waits_for_the_dish_to_be_ready() -> None:
    plan = solve(problem([order(1, [2], door=4, ready_min=15)], [courier()]))
    pickup = plan.routes[1][0]
    assert pickup.eta_s >= 15 * MIN
    assert plan.routes[1][1].eta_s == pickup.eta_s + 2 * MIN


def test_freshness_limit_holds_between_pickup_and_door() -> None:
    # Kitchens at 1 and 18, door at 19: whichever kitchen comes first, its food rides at least
    # 18 minutes. Within a 20-minute limit that works (kitchen 1 first); within 10 it cannot,
    # and rather than never, the order then goes the quickest way.
    two_kitchens = [1, 18]
    fresh = solve(problem([order(1, two_kitchens, door=19, fresh_min=20)], [courier(at=0)]))
    pickups = [s for s in fresh.routes[1] if s.kind == "pickup"]
    door = next(s.eta_s for s in fresh.routes[1] if s.kind == "dropoff")
    assert [s.location for s in pickups] == [1, 18]
    assert all(door - s.eta_s <= 20 * MIN for s in pickups)

    too_far = solve(problem([order(1, two_kitchens, door=19, fresh_min=10)], [courier(at=0)]))
    assert too_far.unassigned == []
    route = too_far.routes[1]
    assert [s.location for s in route] == [1, 18, 19]
    assert route[-1].eta_s - route[0].eta_s == 18 * MIN


def test_bag_capacity_is_respected() -> None:
    orders = [order(i, [2], door=4 + i) for i in range(1, 4)]
    plan = solve(problem(orders, [courier(capacity=1)]))
    load = 0
    for stop in plan.routes[1]:
        load += 1 if stop.kind == "pickup" else -1
        assert load <= 1
    assert plan.unassigned == []


def test_nothing_is_planned_after_the_shift_ends() -> None:
    plan = solve(problem([order(1, [10], door=19)], [courier(shift_end_min=15)]))
    assert plan.unassigned == [1]
    assert plan.routes[1] == []


def test_food_on_board_stays_with_its_courier() -> None:
    carried = OrderTask(
        7, (), 3, 0, 60 * MIN, onboard=(PickupTask(70, 0, 0),), courier_id=2, picked_up_s=0
    )
    plan = solve(problem([carried], [courier(1, at=3), courier(2, at=15)]))
    assert stops(plan, 2) == [("dropoff", 7)]
    assert plan.routes[1] == []


def test_a_pinned_order_goes_with_its_courier_even_when_another_is_nearer() -> None:
    # Courier 1 waits at the kitchen, courier 2 fifteen minutes away: the operator pinned the
    # order to courier 2, so courier 2 rides for it and courier 1 stays free.
    pinned = replace(order(1, [1], door=2), pinned_to=2)
    plan = solve(problem([pinned], [courier(1, at=1), courier(2, at=16)]))
    assert stops(plan, 2) == [("pickup", 10), ("dropoff", 1)]
    assert plan.routes[1] == []
    unpinned = solve(problem([order(1, [1], door=2)], [courier(1, at=1), courier(2, at=16)]))
    assert stops(unpinned, 1) == [("pickup", 10), ("dropoff", 1)]


def test_a_pinned_order_waits_rather_than_go_to_another_courier() -> None:
    # Courier 2's shift ends before it could reach the kitchen: the order stays unplanned
    # (the operator sees why) instead of going to courier 1.
    pinned = replace(order(1, [1], door=2), pinned_to=2)
    plan = solve(problem([pinned], [courier(1, at=1), courier(2, at=19, shift_end_min=10)]))
    assert plan.unassigned == [1]
    assert plan.routes[1] == []


def test_an_order_its_kitchen_cooks_for_a_courier_stays_with_that_courier() -> None:
    # The kitchen started cooking for courier 2's pickup; courier 1 has since come free at the
    # kitchen's door. The order stays with courier 2 (the kitchen screen shows it coming),
    # unless the operator pinned it elsewhere.
    cooking = replace(order(1, [1], door=2), cooking_for=2)
    couriers = [courier(1, at=1), courier(2, at=16)]
    plan = solve(problem([cooking], couriers))
    assert stops(plan, 2) == [("pickup", 10), ("dropoff", 1)]
    assert plan.routes[1] == []
    pinned = solve(problem([replace(cooking, pinned_to=1)], couriers))
    assert stops(pinned, 1) == [("pickup", 10), ("dropoff", 1)]


def test_the_stop_being_ridden_to_is_kept() -> None:
    near, far = order(1, [1], door=2), order(2, [10], door=11)
    locked = CourierState(1, 0, 0, 240 * MIN, 4, locked_next=("pickup", 20))
    plan = solve(problem([near, far], [locked]))
    assert plan.routes[1][0].ticket_id == 20


def test_couriers_riding_across_town_keep_their_stops_in_a_plan_built_afresh() -> None:
    # Each courier rides to the kitchen nearer the other: a plan built from nothing would swap
    # them, but they are on their way, and the solver holds each to the stop it rides to.
    three_kitchens, one_kitchen = order(1, [17, 18, 15], door=16), order(2, [2], door=3)
    couriers = [
        CourierState(1, 0, 0, 240 * MIN, 4, locked_next=("pickup", 11)),
        CourierState(2, 19, 0, 240 * MIN, 4, locked_next=("pickup", 20)),
    ]
    swapped = problem([three_kitchens, one_kitchen], couriers)
    for start in (None, DispatchPlan({1: [], 2: []}, [1, 2], 0)):
        plan = solve(swapped, warm_start=start)
        assert plan.found
        assert plan.unassigned == []
        assert stops(plan, 1)[0] == ("pickup", 11)
        assert stops(plan, 2) == [("pickup", 20), ("dropoff", 2)]


def test_a_courier_busy_past_its_shift_end_does_not_stop_the_others() -> None:
    # Courier 1's last drop-off ends 5 min after its shift does: it takes nothing new, and
    # courier 2 still gets the new order.
    finishing = CourierState(1, 0, 5 * MIN, 0, 4)
    plan = solve(problem([order(1, [2], door=3)], [finishing, courier(2, at=1)]))
    assert plan.found
    assert stops(plan, 2) == [("pickup", 10), ("dropoff", 1)]
    assert plan.routes[1] == []


def test_overload_leaves_orders_unassigned_instead_of_failing() -> None:
    orders = [order(i, [1], door=19, promised_min=30) for i in range(1, 7)]
    plan = solve(problem(orders, [courier(capacity=1, shift_end_min=60)]))
    assert 1 <= len(plan.unassigned) < 6
    served = {s.order_id for s in plan.routes[1]}
    assert served.isdisjoint(plan.unassigned)


def test_a_search_out_of_time_before_it_began_still_plans_a_first_slice() -> None:
    # A process starved of the processor until past its build time: the first orders go in.
    starved = replace(
        problem([order(1, [3], door=6), order(2, [5], door=9)], [courier()]), time_limit_s=1e-9
    )
    plan = solve(starved)
    assert plan.unassigned == []
    assert sorted(s.order_id for s in plan.routes[1] if s.kind == "dropoff") == [1, 2]


def test_a_warm_start_is_never_made_worse() -> None:
    orders = [order(i, [i * 2], door=i * 2 + 1) for i in range(1, 6)]
    couriers = [courier(1), courier(2, at=19)]
    first = solve(problem(orders, couriers))
    again = solve(problem(orders, couriers), warm_start=first)
    assert again.objective <= first.objective
    assert again.unassigned == first.unassigned == []


def test_a_stale_warm_start_is_ignored() -> None:
    stale = DispatchPlan({1: [PlannedStop("pickup", 99, 990, 1, 0)]}, [], 0)
    plan = solve(problem([order(1, [2], door=3)], [courier()]), warm_start=stale)
    assert plan.unassigned == []


def test_no_couriers_means_everything_waits() -> None:
    plan = solve(problem([order(1, [2], door=3)], []))
    assert plan.unassigned == [1]


def test_many_multi_kitchen_orders_are_all_placed() -> None:
    # OR-Tools inserts one pair at a time and cannot place half an order; our search, which
    # inserts orders whole (dispatch.planning.rounds), is what gets these in.
    orders = [order(i, [i, i + 6], door=i + 12, promised_min=90) for i in range(1, 7)]
    plan = solve(problem(orders, [courier(1, at=0), courier(2, at=10), courier(3, at=19)]))
    assert plan.unassigned == []
    for route in plan.routes.values():
        seen_pickups: dict[int, int] = {}
        for stop in route:
            if stop.kind == "pickup":
                seen_pickups[stop.order_id] = seen_pickups.get(stop.order_id, 0) + 1
            else:
                assert seen_pickups.get(stop.order_id) == 2  # both kitchens before the door


def test_our_search_keeps_every_rule_it_checks() -> None:
    from dispatch.planning import round_problem, rounds

    orders = [order(i, [i, 19 - i], door=10, promised_min=60) for i in range(1, 5)]
    couriers = [courier(1, at=0, capacity=2), courier(2, at=19, capacity=2)]
    layout = round_problem.layout(problem(orders, couriers))
    state = rounds.empty_rounds(layout.arrays)
    rounds.build(layout.arrays, state)
    plan = round_problem.plan_of(layout, state)
    for c in couriers:
        stops = [
            layout.stop_of_ticket[s.ticket_id] if s.ticket_id else layout.door_of_order[s.order_id]
            for s in plan.routes[c.courier_id]
        ]
        assert rounds.ride(layout.arrays, c.courier_id - 1, stops).feasible


def test_a_scheduled_order_is_not_delivered_before_its_slot() -> None:
    scheduled = OrderTask(1, (PickupTask(10, 2, 0),), 3, 0, 60 * MIN, earliest_s=40 * MIN)
    plan = solve(problem([scheduled], [courier()]))
    door = plan.routes[1][-1]
    assert door.kind == "dropoff"
    assert door.eta_s >= 40 * MIN
    pickup = plan.routes[1][0]
    assert door.eta_s - pickup.eta_s <= scheduled.freshness_s  # collected late enough


def test_a_booked_slot_outweighs_a_quicker_door_for_an_order_as_soon_as_possible() -> None:
    # One courier at 10 on the line. As soon as possible: kitchen 11, door 12. Booked for
    # 6 min: kitchen 8, door 6. The booked order first: on time, the other at its door at 10
    # min. The other first: doors at 2 and 8 min, 4 minutes of waiting less in all, but the
    # booked order 2 minutes past its slot, which costs more (SLOT_LATENESS_COST_PER_S).
    asap = order(1, [11], door=12)
    booked = replace(order(2, [8], door=6), earliest_s=1 * MIN, slot_s=6 * MIN)
    by_click_to_door = replace(problem([asap, booked], [courier(at=10)]), objective="click_to_door")
    plan = solve(by_click_to_door)
    assert stops(plan) == [("pickup", 20), ("dropoff", 2), ("pickup", 10), ("dropoff", 1)]
    assert soft_due(booked, "click_to_door") == (
        (0, CLICK_TO_DOOR_COST_PER_S),
        (6 * MIN, SLOT_LATENESS_COST_PER_S),
    )
    # Without a slot to keep, the quicker doors win.
    unbooked = replace(booked, slot_s=None)
    plan = solve(replace(by_click_to_door, orders=[asap, unbooked]))
    assert stops(plan) == [("pickup", 10), ("dropoff", 1), ("pickup", 20), ("dropoff", 2)]


def test_carried_food_is_delivered_even_past_its_freshness() -> None:
    # Picked up 30 minutes ago with a 25-minute limit: it cannot be fresh any more, but it
    # must still reach the door rather than make the plan impossible.
    stale = OrderTask(
        1,
        (),
        9,
        -40 * MIN,
        10 * MIN,
        onboard=(PickupTask(10, 2, 0),),
        courier_id=1,
        picked_up_s=-30 * MIN,
    )
    plan = solve(problem([stale, order(2, [4], door=5)], [courier()]))
    assert plan.found
    assert plan.unassigned == []
    assert ("dropoff", 1) in stops(plan)


def test_a_courier_whose_shift_is_closing_only_delivers_what_it_carries() -> None:
    carried = OrderTask(
        1, (), 5, 0, 60 * MIN, onboard=(PickupTask(10, 2, 0),), courier_id=1, picked_up_s=0
    )
    new = order(2, [3], door=4)
    closing = CourierState(1, 2, 0, 180 * MIN, 4, takes_new_orders=False)
    # The previous plan had the new order on this courier too: it is taken back.
    previous = DispatchPlan(
        {
            1: [
                PlannedStop("pickup", 2, 20, 3, 0),
                PlannedStop("dropoff", 2, None, 4, 0),
                PlannedStop("dropoff", 1, None, 5, 0),
            ]
        },
        [],
        0,
    )
    plan = solve(problem([carried, new], [closing]), warm_start=previous)
    assert stops(plan) == [("dropoff", 1)]
    assert plan.unassigned == [2]


def test_a_closing_courier_still_collects_the_order_it_is_riding_to() -> None:
    carried = OrderTask(
        1, (), 5, 0, 60 * MIN, onboard=(PickupTask(10, 2, 0),), courier_id=1, picked_up_s=0
    )
    riding_to = order(2, [3], door=4)
    closing = CourierState(
        1, 2, 0, 180 * MIN, 4, locked_next=("pickup", 20), takes_new_orders=False
    )
    plan = solve(problem([carried, riding_to], [closing, courier(2, at=3)]))
    assert plan.found
    assert plan.unassigned == []
    assert stops(plan)[0] == ("pickup", 20)
    assert {s.order_id for s in plan.routes[1]} == {1, 2}


def test_with_a_last_pickup_time_deliveries_may_end_after_the_shift() -> None:
    # The MDRP rule: the bag at 2 is collected before the off time (3 min), the door at 15
    # is reached at 15 min, after it. Without last_pickup_s the whole route must fit.
    ends_at_3 = CourierState(1, 0, 0, 3 * MIN + 4 * 3600, 4, last_pickup_s=3 * MIN)
    plan = solve(problem([order(1, [2], door=15)], [ends_at_3]))
    assert stops(plan) == [("pickup", 10), ("dropoff", 1)]
    late_kitchen = order(2, [5], door=6)
    plan = solve(problem([late_kitchen], [ends_at_3]))
    assert plan.unassigned == [2]


def test_bags_of_one_counter_share_one_pickup_service() -> None:
    # Two orders from the kitchen at 2: one 5-minute service for both, then the doors.
    orders = [order(1, [2], door=3), order(2, [2], door=4)]
    counter = DispatchProblem(
        line_city(), orders, [courier()], pickup_service_s=5 * MIN, dropoff_service_s=0
    )
    plan = solve(counter)
    assert [s.kind for s in plan.routes[1]] == ["pickup", "pickup", "dropoff", "dropoff"]
    assert [s.eta_s for s in plan.routes[1]] == [2 * MIN, 2 * MIN, 8 * MIN, 9 * MIN]


def test_an_order_ready_after_its_hard_maximum_does_not_stop_the_others() -> None:
    # Ready 100 min after placement, beyond the 90-minute maximum: it is planned late
    # rather than making the whole plan impossible.
    slow_kitchen = order(1, [2], door=3, ready_min=100)
    plan = solve(problem([slow_kitchen, order(2, [4], door=5)], [courier()]))
    assert plan.found
    assert plan.unassigned == []
    assert stops(plan) == [("pickup", 20), ("dropoff", 2), ("pickup", 10), ("dropoff", 1)]


def test_food_already_cooking_is_collected_before_it_goes_cold() -> None:
    # From 5: A's kitchen (at 9) has cooked it, it waits from now; B's kitchen (at 4) fires
    # when the courier is planned. B first rides 9 minutes and A's food waits 8; A first
    # rides 10 and it waits 4.
    cooked = OrderTask(1, (PickupTask(10, 9, 0, cooking=True),), 8, 0, 60 * MIN)
    unstarted = OrderTask(2, (PickupTask(20, 4, 0),), 3, 0, 60 * MIN)
    plan = solve(problem([cooked, unstarted], [courier(at=5)]))
    assert stops(plan) == [("pickup", 10), ("dropoff", 1), ("pickup", 20), ("dropoff", 2)]
    not_cooking = OrderTask(1, (PickupTask(10, 9, 0),), 8, 0, 60 * MIN)
    plan = solve(problem([not_cooking, unstarted], [courier(at=5)]))
    assert stops(plan) == [("pickup", 20), ("dropoff", 2), ("pickup", 10), ("dropoff", 1)]


def test_food_in_the_bag_goes_home_before_a_new_order_is_served() -> None:
    # From 5, carrying A (door at 0); B is collected at 6 for 7. Serving B first rides less
    # (9 min against 12), but A's food would ride 9 minutes instead of 5: with the
    # click-to-door objective the bag goes home first; with the promise one it waits.
    carried = OrderTask(
        1,
        (),
        0,
        -10 * MIN,
        30 * MIN,
        onboard=(PickupTask(10, 3, 0),),
        courier_id=1,
        picked_up_s=-MIN,
    )
    new = order(2, [6], door=7)
    cases: tuple[tuple[Objective, tuple[str, int]], ...] = (
        ("click_to_door", ("dropoff", 1)),
        ("promise", ("pickup", 20)),
    )
    for objective, first in cases:
        plan = solve(
            DispatchProblem(
                line_city(),
                [carried, new],
                [courier(at=5)],
                pickup_service_s=0,
                dropoff_service_s=0,
                time_limit_s=1,
                objective=objective,
            )
        )
        assert stops(plan)[0] == first, objective


def test_food_on_board_rides_at_most_a_short_detour_past_the_quickest_way() -> None:
    city = line_city()
    near = order(1, [2], door=4, fresh_min=25)  # quickest: 2 min ride + 1 min at the counter
    assert ride_limit(near, city, pickup_service_s=MIN) == (3 + 5) * MIN
    tight = order(2, [2], door=4, fresh_min=6)
    assert ride_limit(tight, city, pickup_service_s=MIN) == 6 * MIN
    far_apart = order(3, [1, 18], door=19, fresh_min=10)  # 17 + 1 ride, 2 counters
    assert ride_limit(far_apart, city, pickup_service_s=MIN) == (20 + 5) * MIN


def test_food_about_to_go_stale_goes_home_before_fresher_food() -> None:
    # From 5, carrying A (door at 3, collected just now) and B (door at 9, collected 10 min
    # ago, stale at 15). A first is less waiting in all (2 + 8 min against 4 + 10) but brings
    # B 3 minutes past its freshness limit: with either objective, B goes first.
    def carried(order_id: int, door: int, picked_min: int) -> OrderTask:
        return OrderTask(
            order_id,
            (),
            door,
            -20 * MIN,
            30 * MIN,
            freshness_s=15 * MIN,
            onboard=(PickupTask(order_id * 10, 1, 0),),
            courier_id=1,
            picked_up_s=-picked_min * MIN,
        )

    for objective in ("click_to_door", "promise"):
        plan = solve(
            DispatchProblem(
                line_city(),
                [carried(1, door=3, picked_min=0), carried(2, door=9, picked_min=10)],
                [courier(at=5)],
                pickup_service_s=0,
                dropoff_service_s=0,
                time_limit_s=1,
                objective=objective,
            )
        )
        assert stops(plan) == [("dropoff", 2), ("dropoff", 1)], objective


def test_with_no_courier_on_shift_every_order_waits_unassigned() -> None:
    # The snapshot measures streets only for the vehicles on shift: with none, no matrix at all.
    nobody = DispatchProblem(
        {}, [order(1, [2], door=4), order(2, [3, 5], door=6)], [], 0, 0, time_limit_s=1
    )
    plan = solve(nobody)
    assert plan.found
    assert plan.routes == {}
    assert sorted(plan.unassigned) == [1, 2]


def test_the_guard_returns_the_same_plan_as_the_solver_when_it_finishes() -> None:
    tiny = problem([order(1, [3], door=6), order(2, [5, 7], door=9)], [courier(1), courier(2)])
    guarded = solve_within(tiny)
    assert guarded.found
    assert guarded.unassigned == []
    doors = [s.order_id for route in guarded.routes.values() for s in route if s.kind == "dropoff"]
    assert sorted(doors) == [1, 2]


def test_the_guard_keeps_the_best_plan_heard_when_the_search_overruns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A search that reports one plan, then never comes back (as guided local search did for
    # 70 s at 1,000 orders): the guard answers by the limit, with that plan.
    heard = DispatchPlan({1: []}, [7], 42)

    def overrunning(_problem: object, _warm: object, on_plan: PlanListener) -> DispatchPlan:
        on_plan(heard)
        time.sleep(60)
        raise AssertionError("never reached: the guard kills the search")

    monkeypatch.setattr(guard, "solve", overrunning)
    began = time.monotonic()
    plan = solve_within(problem([order(7, [2], door=4)], [courier()]), grace_s=0.2)
    assert time.monotonic() - began < 1 + 0.2 + 3  # limit, grace, and room for a loaded machine
    assert plan == heard


def _stat(process: Path) -> tuple[str, int] | None:
    """A process's state letter and parent, read from /proc; None once it is gone."""
    try:
        state, parent = (process / "stat").read_text().rsplit(")", 1)[1].split()[:2]
    except OSError:
        return None
    return state, int(parent)


def _children(pid: int) -> list[int]:
    """Living processes whose parent is pid."""
    return [
        int(process.name)
        for process in Path("/proc").glob("[0-9]*")
        if (stat := _stat(process)) is not None and stat[1] == pid and stat[0] != "Z"
    ]


def _alive(pid: int) -> bool:
    stat = _stat(Path(f"/proc/{pid}"))
    return stat is not None and stat[0] != "Z"


@pytest.mark.skipif(sys.platform != "linux", reason="the parent's death signal is Linux's")
def test_a_search_dies_with_the_dispatcher_that_started_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A leader killed mid-search: its search, left running, would hold the leader's database
    # connection and lock file, and with them the lead, until it ended (73 s, once).
    def endless(_problem: object, _warm: object, on_plan: PlanListener) -> DispatchPlan:
        time.sleep(120)
        raise AssertionError("never reached: the search dies with its parent")

    monkeypatch.setattr(guard, "solve", endless)
    tiny = problem([order(7, [2], door=4)], [courier()])
    fork = multiprocessing.get_context("fork")
    leader = fork.Process(target=lambda: solve_within(tiny, grace_s=120))
    leader.start()
    assert leader.pid is not None
    try:
        wait_for(lambda: _children(leader.pid or 0), 30)  # the search started
        (search,) = _children(leader.pid)
    finally:
        os.kill(leader.pid, signal.SIGKILL)
        leader.join()
    wait_for(lambda: not _alive(search), 10)  # the search did not outlive its leader


def test_the_guard_reports_no_plan_when_the_search_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(_problem: object, _warm: object, on_plan: PlanListener) -> DispatchPlan:
        raise RuntimeError("a model OR-Tools refuses")

    monkeypatch.setattr(guard, "solve", failing)
    plan = solve_within(problem([order(7, [2], door=4)], [courier()]))
    assert not plan.found
    assert plan.unassigned == [7]


def test_each_unplaced_order_says_why() -> None:
    from dispatch.planning.problem import Unplaced

    # Three bags for a courier who carries two.
    too_many = OrderTask(1, tuple(PickupTask(10 + k, 2, 0, bags=1) for k in range(3)), 3, 0, 0)
    assert solve(problem([too_many], [courier(capacity=2)])).reasons == {1: Unplaced.BAGS_FULL}
    # The shift ends before the door can be reached.
    far = order(1, [10], door=19)
    assert solve(problem([far], [courier(shift_end_min=15)])).reasons == {
        1: Unplaced.OUTSIDE_EVERY_SHIFT
    }
    # No courier on shift at all, or only one who is closing.
    assert solve(problem([far], [])).reasons == {1: Unplaced.NO_COURIER}
    closing = replace(courier(), takes_new_orders=False)
    assert solve(problem([far], [closing])).reasons == {1: Unplaced.NO_COURIER}
    # One courier, two orders that cannot both be on time: the one left out fits alone.
    orders = [order(i, [1], door=19, promised_min=30) for i in range(1, 7)]
    busy = solve(problem(orders, [courier(capacity=1, shift_end_min=60)]))
    assert busy.unassigned
    assert set(busy.reasons) == set(busy.unassigned)
    assert set(busy.reasons.values()) <= {Unplaced.COURIERS_BUSY, Unplaced.OUTSIDE_EVERY_SHIFT}


def test_an_order_the_courier_cannot_reach_before_its_hard_maximum_says_so() -> None:
    from dispatch.planning.problem import Unplaced

    # Placed 85 minutes ago (90 at most), ready now: an hour's grace, but the only courier is
    # free in 62 minutes and 19 minutes away.
    late = replace(order(1, [19], door=0), placed_s=-85 * MIN, hard_max_s=90 * MIN)
    busy_courier = CourierState(1, 0, 62 * MIN, 240 * MIN, 4)
    assert solve(problem([late], [busy_courier])).reasons == {1: Unplaced.PAST_HARD_MAXIMUM}


def test_food_that_cannot_arrive_fresh_says_so() -> None:
    from dispatch.planning.problem import Unplaced

    # Kitchens at 0 and 19, the door at 10: 28 minutes of riding by bike, 14 by scooter. The
    # food may ride 5 minutes more than the quickest way (19 min): no bike can keep it hot.
    streets = line_city()
    both = {"bike": streets["bike"], "scooter": streets["bike"] // 2}
    cart = order(1, [0, 19], door=10)
    bike_only = DispatchProblem(both, [cart], [courier()], 0, 0, time_limit_s=1)
    assert solve(bike_only).reasons == {1: Unplaced.FOOD_WOULD_COOL}
