"""Our compiled search and the OR-Tools model read the same rules: each accepts the other's
plans and counts the same cost for them (issue 15, section 2). Then each rule on a tiny named
instance, and the search's own moves."""

import subprocess
import sys
from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dispatch.planning import round_problem, rounds
from dispatch.planning.problem import (
    CourierState,
    DispatchPlan,
    DispatchProblem,
    OrderTask,
    PickupTask,
)
from dispatch.planning.solver import OrToolsModel

MIN = 60
SPOTS = [(0, 0), (1, 0), (2, 1), (0, 2), (3, 3), (1, 3), (4, 0), (2, 4)]


def grid_city() -> dict[str, np.ndarray]:
    """Eight places on a grid, a minute a block by bike and half that on a scooter."""
    xy = np.array(SPOTS)
    blocks = np.abs(xy[:, None, :] - xy[None, :, :]).sum(axis=2)
    return {"bike": blocks * MIN, "scooter": blocks * MIN // 2}


@st.composite
def problems(draw: st.DrawFn) -> DispatchProblem:
    places = st.integers(0, len(SPOTS) - 1)
    couriers = [
        CourierState(
            courier_id=c + 1,
            location=draw(places),
            available_s=draw(st.integers(0, 10)) * MIN,
            shift_end_s=draw(st.integers(45, 240)) * MIN,
            capacity=draw(st.integers(2, 6)),
            profile=draw(st.sampled_from(["bike", "scooter"])),
            takes_new_orders=draw(st.booleans()) or c == 0,
            last_pickup_s=draw(st.none() | st.integers(10, 120).map(lambda m: m * MIN)),
        )
        for c in range(draw(st.integers(1, 3)))
    ]
    orders = []
    for o in range(1, draw(st.integers(1, 5)) + 1):
        tickets = tuple(
            PickupTask(
                ticket_id=o * 10 + k,
                location=draw(places),
                ready_s=draw(st.integers(-5, 30)) * MIN,
                bags=draw(st.integers(1, 2)),
                cooking=draw(st.booleans()),
            )
            for k in range(draw(st.integers(1, 3)))
        )
        placed = -draw(st.integers(0, 20)) * MIN
        carried = draw(st.integers(0, 7)) == 0
        carrier = draw(st.sampled_from(couriers))
        slot = draw(st.sampled_from([None, None, None, -5, 35, 55]))  # minutes from now
        # The operator pins one order in five to a courier (perhaps one not in the problem).
        pin = draw(st.sampled_from([None, None, None, None, carrier.courier_id, 9]))
        # Its kitchen cooks for a courier, one order in five (perhaps one not in the problem).
        cooking_for = draw(st.sampled_from([None, None, None, None, carrier.courier_id, 9]))
        orders.append(
            OrderTask(
                order_id=o,
                pickups=tickets[1:] if carried else tickets,
                dropoff_location=draw(places),
                placed_s=placed,
                promised_s=placed + draw(st.integers(20, 60)) * MIN,
                freshness_s=draw(st.integers(8, 30)) * MIN,
                onboard=tickets[:1] if carried else (),
                courier_id=carrier.courier_id if carried else None,
                picked_up_s=-draw(st.integers(0, 10)) * MIN if carried else None,
                earliest_s=max(0, slot - 5) * MIN if slot is not None else 0,
                slot_s=slot * MIN if slot is not None else None,
                pinned_to=pin,
                cooking_for=cooking_for,
            )
        )
    if draw(st.integers(0, 2)) == 0:  # one courier is riding to a stop of an order
        rider = draw(st.sampled_from(couriers))
        order = draw(st.sampled_from(orders))
        if order.courier_id in (None, rider.courier_id):
            if order.pickups and (order.courier_id is None or draw(st.booleans())):
                locked = ("pickup", order.pickups[0].ticket_id)
            else:
                locked = ("dropoff", order.order_id)
            couriers[couriers.index(rider)] = replace(rider, locked_next=locked)
    service = draw(st.sampled_from([0, 60, 120]))
    return DispatchProblem(
        grid_city(),
        orders,
        couriers,
        pickup_service_s=service,
        dropoff_service_s=draw(st.sampled_from([0, 60, 120])),
        time_limit_s=0.2,
        objective=draw(st.sampled_from(["promise", "click_to_door"])),
    )


def our_plan(layout: round_problem.Layout, iterations: int = 30) -> DispatchPlan:
    rounds.seed(1)
    state = rounds.empty_rounds(layout.arrays)
    rounds.build(layout.arrays, state)
    best, trial = rounds.copy_rounds(state), rounds.copy_rounds(state)
    rounds.anneal(layout.arrays, state, best, trial, iterations, 20.0, 1.0)
    return round_problem.plan_of(layout, best)


def stops_of(layout: round_problem.Layout, plan: DispatchPlan, courier_id: int) -> list[int]:
    return [
        layout.stop_of_ticket[s.ticket_id]
        if s.kind == "pickup" and s.ticket_id is not None
        else layout.door_of_order[s.order_id]
        for s in plan.routes.get(courier_id, [])
    ]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_or_tools_accepts_every_plan_of_ours_at_the_same_cost(problem: DispatchProblem) -> None:
    layout = round_problem.layout(problem)
    plan = our_plan(layout)
    model = OrToolsModel(layout)
    assignment = model.read(plan)
    if assignment is None:
        # Refused only when the model has no plan at all: food on board or a stop being
        # ridden to that no route can serve (OR-Tools may not leave those out).
        assert model.search(None, 0.5) is None, plan
        event("a problem without any plan")
        return
    counted = model.search(assignment, 1.0, solution_limit=1)  # the start, completed
    assert counted is not None
    assert counted.routes == plan.routes
    assert counted.unassigned == plan.unassigned
    assert counted.objective == plan.objective


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.booleans())
def test_every_or_tools_plan_keeps_our_rules_at_the_same_cost(
    problem: DispatchProblem, from_ours: bool
) -> None:
    """OR-Tools' own first plans, and the plans its search reaches from ours."""
    layout = round_problem.layout(problem)
    model = OrToolsModel(layout)
    start = model.read(our_plan(layout, iterations=5)) if from_ours else None
    found = model.search(start, 0.3, solution_limit=None if from_ours else 3)
    if found is None:
        event("OR-Tools found no plan")
        return
    cost = 0
    for courier_id, v in layout.index_of_courier.items():
        ridden = rounds.ride(layout.arrays, v, stops_of(layout, found, courier_id))
        assert ridden.feasible, (courier_id, found)
        cost += ridden.cost
    absent = {layout.index_of_order[o] for o in found.unassigned}
    cost += sum(int(layout.arrays.drop_cost[o]) for o in absent)
    assert cost == found.objective


def on_a_line(
    orders: list[OrderTask], couriers: list[CourierState], service: int = 0
) -> round_problem.Layout:
    """Twenty places a minute apart on one street."""
    places = np.arange(20)
    travel = {"bike": np.abs(places[:, None] - places[None, :]) * MIN}
    return round_problem.layout(
        DispatchProblem(
            travel,
            orders,
            couriers,
            pickup_service_s=service,
            dropoff_service_s=0,
            objective="promise",  # lateness past the promise only: costs below are so
        )
    )


def rider(at: int = 0, capacity: int = 4, **changes: object) -> CourierState:
    return replace(CourierState(1, at, 0, 240 * MIN, capacity), **changes)  # type: ignore[arg-type]


def dish(
    order_id: int, kitchens: list[int], door: int, *, ready_min: int = 0, **changes: object
) -> OrderTask:
    tickets = tuple(
        PickupTask(order_id * 10 + k, at, ready_min * MIN) for k, at in enumerate(kitchens)
    )
    return replace(OrderTask(order_id, tickets, door, 0, 60 * MIN), **changes)  # type: ignore[arg-type]


def ride_of(layout: round_problem.Layout, *stops: tuple[str, int]) -> rounds.Ride:
    """Ride courier 1 through ("pickup", ticket) and ("door", order) stops."""
    ids = [
        layout.stop_of_ticket[ident] if kind == "pickup" else layout.door_of_order[ident]
        for kind, ident in stops
    ]
    return rounds.ride(layout.arrays, 0, ids)


def test_a_pickup_waits_for_the_food_and_the_door_follows() -> None:
    layout = on_a_line([dish(1, [3], door=5, ready_min=10)], [rider()])
    ridden = ride_of(layout, ("pickup", 10), ("door", 1))
    assert ridden.feasible
    assert ridden.times == [10 * MIN, 12 * MIN]


def test_a_door_before_its_pickup_breaks_the_rules() -> None:
    layout = on_a_line([dish(1, [3], door=5)], [rider()])
    assert not ride_of(layout, ("door", 1), ("pickup", 10)).feasible


def test_bags_beyond_the_capacity_break_the_rules() -> None:
    layout = on_a_line([dish(1, [1], door=9), dish(2, [2], door=8)], [rider(capacity=1)])
    assert not ride_of(layout, ("pickup", 10), ("pickup", 20), ("door", 2), ("door", 1)).feasible
    assert ride_of(layout, ("pickup", 10), ("door", 1), ("pickup", 20), ("door", 2)).feasible


def test_bags_collected_in_a_row_at_one_counter_pay_one_service() -> None:
    layout = on_a_line([dish(1, [4, 4], door=6)], [rider()], service=120)
    ridden = ride_of(layout, ("pickup", 10), ("pickup", 11), ("door", 1))
    # 4 min to the counter, both bags there, one 2-minute service, 2 min to the door.
    assert ridden.times == [4 * MIN, 4 * MIN, 8 * MIN]


def test_food_rides_no_longer_than_its_freshness_limit() -> None:
    # Kitchens at 1 and 18, door at 19: collecting 18 first leaves that bag riding 34 minutes.
    layout = on_a_line([dish(1, [1, 18], door=19, freshness_s=20 * MIN)], [rider()])
    assert ride_of(layout, ("pickup", 10), ("pickup", 11), ("door", 1)).feasible
    assert not ride_of(layout, ("pickup", 11), ("pickup", 10), ("door", 1)).feasible


def test_a_scheduled_door_is_met_by_collecting_later_not_by_food_waiting() -> None:
    # Ready now, due at the door at 40 minutes, 25 minutes fresh: the bag is collected late.
    scheduled = dish(1, [2], door=4, earliest_s=40 * MIN, freshness_s=25 * MIN)
    layout = on_a_line([scheduled], [rider()])
    ridden = ride_of(layout, ("pickup", 10), ("door", 1))
    assert ridden.feasible
    assert ridden.times[1] == 40 * MIN
    assert ridden.times[1] - ridden.times[0] <= 25 * MIN


def test_nothing_is_delivered_after_the_shift_ends() -> None:
    layout = on_a_line([dish(1, [10], door=19)], [rider(shift_end_s=15 * MIN)])
    assert not ride_of(layout, ("pickup", 10), ("door", 1)).feasible


def test_a_pickup_after_the_last_pickup_time_breaks_the_rules() -> None:
    layout = on_a_line([dish(1, [10], door=11)], [rider(last_pickup_s=5 * MIN)])
    assert not ride_of(layout, ("pickup", 10), ("door", 1)).feasible


def test_the_door_past_its_hard_deadline_breaks_the_rules() -> None:
    # Ordered 85 minutes ago with a 90-minute maximum, ready now: an hour's grace from now.
    late = dish(1, [19], door=0, placed_s=-85 * MIN, hard_max_s=90 * MIN)
    free_soon = on_a_line([late], [rider(at=0, available_s=22 * MIN)])
    assert ride_of(free_soon, ("pickup", 10), ("door", 1)).feasible
    free_too_late = on_a_line([late], [rider(at=0, available_s=22 * MIN + 1)])
    assert not ride_of(free_too_late, ("pickup", 10), ("door", 1)).feasible


def test_lateness_costs_past_the_promise_only() -> None:
    early = on_a_line([dish(1, [1], door=2, promised_s=10 * MIN)], [rider()])
    late = on_a_line([dish(1, [1], door=2, promised_s=1 * MIN)], [rider()])
    on_time = ride_of(early, ("pickup", 10), ("door", 1)).cost
    assert ride_of(late, ("pickup", 10), ("door", 1)).cost == on_time + MIN * 2


def test_whole_orders_go_to_their_committed_courier_and_the_ridden_stop_leads() -> None:
    carried = OrderTask(
        7, (), 3, 0, 60 * MIN, onboard=(PickupTask(70, 0, 0),), courier_id=2, picked_up_s=0
    )
    couriers = [
        CourierState(1, 3, 0, 240 * MIN, 4),
        CourierState(2, 15, 0, 240 * MIN, 4, locked_next=("pickup", 10)),
    ]
    layout = on_a_line([dish(1, [10], door=12), carried], couriers)
    state = rounds.empty_rounds(layout.arrays)
    rounds.build(layout.arrays, state)
    plan = round_problem.plan_of(layout, state)
    assert plan.routes[1] == []
    assert (plan.routes[2][0].kind, plan.routes[2][0].order_id) == ("pickup", 1)
    assert {s.order_id for s in plan.routes[2]} == {1, 7}


def test_a_closing_courier_takes_nothing_new() -> None:
    couriers = [rider(takes_new_orders=False)]
    layout = on_a_line([dish(1, [1], door=2)], couriers)
    state = rounds.empty_rounds(layout.arrays)
    rounds.build(layout.arrays, state)
    assert round_problem.plan_of(layout, state).unassigned == [1]


def test_ruin_removes_whole_orders_and_annealing_brings_them_back() -> None:
    orders = [dish(i, [i, i + 5], door=i + 10) for i in range(1, 5)]
    couriers = [CourierState(1, 0, 0, 240 * MIN, 4), CourierState(2, 19, 0, 240 * MIN, 4)]
    layout = on_a_line(orders, couriers)
    state = rounds.empty_rounds(layout.arrays)
    rounds.build(layout.arrays, state)
    rounds.seed(5)
    pool = np.zeros(len(orders) + 1, dtype=np.int64)
    removed = rounds._ruin(layout.arrays, state, pool)
    assert removed >= 1
    served = {
        int(layout.arrays.order[s]) for c in range(2) for s in state.route[c, : state.length[c]]
    }
    assert served.isdisjoint(int(o) for o in pool[:removed])
    before = rounds.total(layout.arrays, state)
    best, trial = rounds.copy_rounds(state), rounds.copy_rounds(state)
    rounds.anneal(layout.arrays, state, best, trial, 100, 10.0, 1.0)
    assert best.absent[0] == 0
    assert rounds.total(layout.arrays, best) <= before


def test_warm_up_compiles_every_function_the_solver_calls_from_python() -> None:
    """A function first called in the guard's forked child would be compiled there, within
    the cycle's time limit, and again in every child: the parent compiles them all first.
    Checked in a fresh process, where nothing else has called them."""
    names = [
        "anneal",
        "build",
        "insert",
        "keep",
        "leave_absent",
        "seed",
        "take_absent",
        "_total",
        "_ride_from_start",
        "diagnose",
    ]
    script = (
        "from dispatch.planning import rounds; rounds.warm_up(); "
        f"print([n for n in {names!r} if not getattr(rounds, n).signatures])"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=600
    )
    assert done.stdout.strip() == "[]", done.stdout
