"""The simulator on tiny worlds: riding rules, both policies, KPIs, reproducibility, MDRP files."""

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from dispatch.planning.firing import JOINING_BAG_AHEAD_S
from dispatch.planning.intake import door_opens_s, plans_from_s
from dispatch.planning.zones import Zone, ZoneMap
from dispatch.sim.engine import (
    UNTOLD_SLOT_LEAD_S,
    CourierSpec,
    OrderSpec,
    TicketSpec,
    World,
    simulate,
)
from dispatch.sim.mdrp import EuclideanTravel, load_mdrp, read_mdrp
from dispatch.sim.mdrp_check import check_solution
from dispatch.sim.mdrp_solution import ASSIGNMENTS, COURIERS, write_solution
from dispatch.sim.metrics import SLOT_GRACE_S, check, kpis
from dispatch.sim.policies import DispatcherPolicy, GreedyPolicy, ZonedDispatcherPolicy

MIN = 60


def street(places: int = 12) -> EuclideanTravel:
    """Places on a straight street, 300 m apart: one minute's ride at 300 m/min."""
    return EuclideanTravel(
        np.arange(places, dtype=np.float64) * 300.0, np.zeros(places, dtype=np.float64), 300.0
    )


def order(number: int, kitchen: int, door: int, placed_min: int, ready_min: int) -> OrderSpec:
    ticket = TicketSpec(number, kitchen, ready_min * MIN, ready_min * MIN)
    return OrderSpec(number, placed_min * MIN, door, (ticket,), (placed_min + 40) * MIN)


def one_courier_world() -> World:
    return World(
        "street",
        street(),
        orders=(order(1, kitchen=2, door=5, placed_min=0, ready_min=10),),
        couriers=(CourierSpec(1, start=0, on_s=0, off_s=4 * 3600),),
        pickup_service_s=2 * MIN,
        dropoff_service_s=2 * MIN,
    )


def test_a_courier_rides_to_the_kitchen_waits_for_the_bag_and_delivers() -> None:
    result = simulate(one_courier_world(), DispatcherPolicy(time_limit_cap_s=0.2))
    state = result.state
    # Ready at 10 min; 2 min at the counter; 3 minutes' ride to the door.
    assert state.picked_s[1] == 10 * MIN
    assert state.delivered_s[1] == (10 + 2 + 3) * MIN
    figures = kpis(result)
    assert figures["delivered"] == 1
    assert figures["ctd_mean"] == 15.0
    assert figures["r2d_p50"] == 5.0
    assert figures["r2p_mean"] == 0.0


def test_a_courier_sets_off_for_a_pickup_just_in_time_and_is_free_until_then() -> None:
    # The courier at 0 is planned to collect order 1 at kitchen 10 when it is ready (30 min).
    # It sets off at 20 min, not at once, so an order placed at 5 min next door (kitchen 1,
    # ready at 6, door at 2) is done first, and order 1 is still collected the moment it is
    # ready.
    first = order(1, kitchen=10, door=11, placed_min=0, ready_min=30)
    nearby = order(2, kitchen=1, door=2, placed_min=5, ready_min=6)
    world = replace(one_courier_world(), orders=(first, nearby))
    result = simulate(world, DispatcherPolicy(time_limit_cap_s=0.2), plan_on_orders=True)
    state = result.state
    assert state.delivered_s[2] < state.picked_s[1] == 30 * MIN
    alone = simulate(one_courier_world(), DispatcherPolicy(time_limit_cap_s=0.2)).state
    (departure, origin, kitchen) = alone.couriers[1].legs[0]
    assert (departure, origin, kitchen) == (8 * MIN, 0, 2), "2 minutes' ride, ready at 10"


def test_an_order_arriving_between_cycles_is_planned_at_once_when_asked() -> None:
    # Placed 30 s into a 60 s cycle, ready at once, 2 minutes' ride from the idle courier.
    ticket = TicketSpec(1, 2, 30, 30)
    world = replace(one_courier_world(), orders=(OrderSpec(1, 30, 5, (ticket,), 30 + 40 * MIN),))
    on_event = simulate(world, DispatcherPolicy(time_limit_cap_s=0.2), plan_on_orders=True)
    on_cycle = simulate(world, DispatcherPolicy(time_limit_cap_s=0.2))
    assert on_event.state.picked_s[1] == 30 + 2 * MIN
    assert on_cycle.state.picked_s[1] == 60 + 2 * MIN


def test_a_bag_is_collected_when_the_plan_says_so_not_as_soon_as_the_courier_is_there() -> None:
    # Kitchen A (at 1) is ready at once, kitchen B (at 6) at 20 min; the door is at 7 and the
    # food keeps 15 min. Collecting A on arrival would make it ride 20 minutes: the plan holds
    # it back, and the courier waits at A's counter until then.
    two_kitchens = OrderSpec(
        1,
        0,
        7,
        (TicketSpec(1, 1, 0, 0), TicketSpec(2, 6, 20 * MIN, 20 * MIN)),
        40 * MIN,
        freshness_s=15 * MIN,
    )
    world = replace(one_courier_world(), orders=(two_kitchens,))
    state = simulate(world, DispatcherPolicy(time_limit_cap_s=0.2)).state
    assert state.picked_s == {1: 8 * MIN, 2: 20 * MIN}  # A at 8, then 2 + 5 min to B
    assert state.delivered_s[1] == 23 * MIN  # A's food rode 15 minutes, not 22


def test_a_kitchen_whose_bag_joins_collected_food_starts_it_ahead_of_the_courier() -> None:
    # Kitchens at 1 and 6 cook for the courier (10 min each), the door is at 7. A is collected
    # first; B joins it, so B starts JOINING_BAG_AHEAD_S before its cooking time runs out at
    # the planned pickup: a late kitchen there would keep A's food riding.
    two_kitchens = OrderSpec(
        1,
        0,
        7,
        (
            TicketSpec(1, 1, 10 * MIN, 10 * MIN, prep_s=10 * MIN),
            TicketSpec(2, 6, 10 * MIN, 10 * MIN, prep_s=10 * MIN),
        ),
        40 * MIN,
        freshness_s=15 * MIN,
    )
    world = replace(one_courier_world(), orders=(two_kitchens,), fire_for_courier=True)
    state = simulate(world, DispatcherPolicy(time_limit_cap_s=0.2)).state
    assert state.picked_s == {1: 10 * MIN, 2: 17 * MIN}  # A as soon as cooked, 2 + 5 min to B
    assert state.started_s == {1: 0, 2: 17 * MIN - 10 * MIN - JOINING_BAG_AHEAD_S}


def busy_world(seed: int) -> World:
    rng = np.random.default_rng(seed)
    orders = tuple(
        order(
            n,
            kitchen=int(rng.integers(0, 3)),
            door=int(rng.integers(3, 12)),
            placed_min=int(rng.integers(0, 60)),
            ready_min=0,
        )
        for n in range(1, 21)
    )
    orders = tuple(
        OrderSpec(
            o.order_id,
            o.placed_s,
            o.door,
            (TicketSpec(o.order_id, o.tickets[0].restaurant, o.placed_s + 600, o.placed_s + 600),),
            o.promised_s,
        )
        for o in orders
    )
    couriers = tuple(CourierSpec(c, start=c, on_s=0, off_s=3 * 3600) for c in range(1, 4))
    return World("busy street", street(), orders, couriers, 2 * MIN, 2 * MIN, 10.0, 15.0)


def test_both_policies_deliver_everything_and_report_their_figures() -> None:
    world = busy_world(seed=3)
    for policy in (GreedyPolicy(), DispatcherPolicy(time_limit_cap_s=0.2)):
        figures = kpis(simulate(world, policy))
        assert figures["delivered"] == 20, policy.name
        assert figures["unassigned"] == 0
        assert figures["ctd_share_gt_90"] == 0.0
        rate = figures["orders_per_courier_hour"]
        pay = figures["pay_total"]
        assert isinstance(rate, float)
        assert isinstance(pay, float)
        assert 0 < rate <= 20 / 9  # 20 orders, 9 courier-hours
        assert pay >= 3 * 3 * 15.0  # at least the guaranteed hourly pay


def test_the_greedy_baseline_is_reproducible_and_keeps_its_five_minute_rhythm() -> None:
    # Orders placed half a minute into a cycle: planning on them would shift its rhythm.
    world = busy_world(seed=5)
    world = replace(world, orders=tuple(replace(o, placed_s=o.placed_s + 30) for o in world.orders))
    first = kpis(simulate(world, GreedyPolicy()))
    again = kpis(simulate(world, GreedyPolicy(), plan_on_orders=True))
    first.pop("seconds"), again.pop("seconds")
    first.pop("solver_p50_s"), again.pop("solver_p50_s")
    first.pop("solver_p95_s"), again.pop("solver_p95_s")
    assert first == again


def write_tiny_mdrp(folder: Path) -> None:
    """One kitchen at 0 on a street; two doors east of it; one courier 301 m away."""
    (folder / "instance_parameters.txt").write_text(
        "meters_per_minute\tpickup service minutes\tdropoff service minutes\t"
        "target click-to-door\tmaximum click-to-door\tpay per order\tguaranteed pay per hour\n"
        "300\t4\t4\t40\t90\t10\t15\n"
    )
    (folder / "restaurants.txt").write_text("restaurant\tx\ty\nr1\t0\t0\n")
    (folder / "orders.txt").write_text(
        "order\tx\ty\tplacement_time\trestaurant\tready_time\n"
        "o1\t900\t0\t600\tr1\t615\n"
        "o2\t1500\t0\t600\tr1\t616\n"
    )
    (folder / "couriers.txt").write_text("courier\tx\ty\ton_time\toff_time\nc1\t301\t0\t590\t620\n")


def test_an_mdrp_folder_becomes_a_world(tmp_path: Path) -> None:
    write_tiny_mdrp(tmp_path)
    world = load_mdrp(tmp_path)
    first = world.orders[0]
    assert (first.placed_s, first.tickets[0].ready_s, first.promised_s) == (36000, 36900, 38400)
    assert world.travel.seconds("bike", [1, 0])[0, 1] == 3 * MIN  # ceil(900 / 300) minutes
    assert world.travel.seconds("bike", [3, 0])[0, 1] == 2 * MIN  # ceil(301 / 300) minutes
    assert world.pickup_service_s == 4 * MIN
    assert world.split_service
    assert world.pickups_by_off_time


def test_mdrp_rules_one_counter_visit_and_deliveries_after_the_off_time(tmp_path: Path) -> None:
    write_tiny_mdrp(tmp_path)
    for policy in (GreedyPolicy(), DispatcherPolicy(time_limit_cap_s=0.2)):
        result = simulate(load_mdrp(tmp_path), policy)
        state = result.state
        # Both bags in one visit, each handed over when ready, before the courier's off time
        # (620); half a pickup service after the last it leaves (618), and each bag changes
        # hands half a drop-off service after arriving at its door.
        assert state.picked_s == {1: 615 * MIN, 2: 616 * MIN}, policy.name
        assert state.delivered_s == {1: (618 + 3 + 2) * MIN, 2: (618 + 3 + 4 + 2 + 2) * MIN}
        assert check(result) == []


def test_mdrp_solution_files_pass_our_checker_which_names_each_broken_rule(
    tmp_path: Path,
) -> None:
    instance_folder, solution = tmp_path / "instance", tmp_path / "solution"
    instance_folder.mkdir()
    write_tiny_mdrp(instance_folder)
    instance = read_mdrp(instance_folder)
    write_solution(instance, simulate(instance.world, GreedyPolicy()), solution)
    assert (solution / ASSIGNMENTS).read_text().splitlines()[1] == "600 616 c1 o1 o2"
    assert check_solution(instance_folder, solution) == []

    def broken(file: str, old: str, new: str) -> list[str]:
        text = (solution / file).read_text()
        (solution / file).write_text(text.replace(old, new))
        try:
            return check_solution(instance_folder, solution)
        finally:
            (solution / file).write_text(text)

    assert broken(ASSIGNMENTS, "600 616", "600 615") == [
        "order o2: picked up at 615.0, before it was ready"
    ]
    assert broken(ASSIGNMENTS, "600 616", "600 619") == ["courier c1: not at r1 at 619.0"]
    assert broken(ASSIGNMENTS, "600 616", "600 621") == [
        "courier c1: picks up at 621.0, after its off time",
        "courier c1: not at r1 at 621.0",
    ]
    assert broken(ASSIGNMENTS, "600 616", "599 616") == [
        "order o1: assigned at 599.0, before it was placed",
        "order o2: assigned at 599.0, before it was placed",
    ]
    assert broken(ASSIGNMENTS, "o1 o2", "o2 o1") == [
        "assignment ['o2', 'o1']: drop-offs out of order or too close"
    ]
    assert broken(COURIERS, "c1 618 r1 o1", "c1 618 r1 o2") == [
        "courier c1: rides from o1 but is at o2",
        "courier c1: not at the door of o1 at 623",
    ]


def simulate_command(args: list[str], tmp_path: Path, graph_cache: Path) -> dict[str, Any]:
    from typer.testing import CliRunner

    from api.cli import app

    out = tmp_path / "kpis.json"
    result = CliRunner().invoke(
        app,
        ["simulate", *args, "--out", str(out)],
        env={"CHAUD_DATA_DIR": str(tmp_path), "CHAUD_CACHE_DIR": str(graph_cache)},
    )
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(out.read_text())
    return summary


def test_chaud_simulate_runs_the_paris_demo_with_both_policies_and_reports(
    tmp_path: Path, graph_cache: Path
) -> None:
    small = ["--hours", "0.25", "--orders-per-hour", "40", "--couriers", "4", "--time-limit", "0.1"]
    summary = simulate_command(
        [*small, "--report", str(tmp_path / "report")], tmp_path, graph_cache
    )
    assert summary["world"].startswith("paris-demo")
    for policy in ("dispatcher", "greedy"):
        figures = summary[policy]
        assert figures["orders"] == summary["orders"] > 0
        assert figures["delivered"] == figures["orders"]
        assert figures["feasible"] is True
    page = (tmp_path / "report" / "index.html").read_text()
    for picture in (
        "click-to-door",
        "ready-to-door",
        "ready-to-pickup",
        "over-the-day",
        "courier-day",
    ):
        assert f'src="{picture}.png"' in page
        assert (tmp_path / "report" / f"{picture}.png").read_bytes().startswith(b"\x89PNG")
    assert "<th>dispatcher</th><th>greedy</th>" in page


def test_chaud_simulate_asks_a_scenario_what_if_with_another_team_size(
    tmp_path: Path, graph_cache: Path
) -> None:
    scenario = tmp_path / "evening.toml"
    scenario.write_text(
        'name = "evening"\nhours = 0.25\n[demand]\norders_per_hour = 40\n'
        '[[couriers]]\ncount = 6\nvehicle = "ebike"\nbag_capacity = 6\n'
    )
    args = ["--scenario", str(scenario), "--couriers", "2", "--seed", "4", "--time-limit", "0.1"]
    summary = simulate_command(args, tmp_path, graph_cache)
    assert summary["world"] == "evening-c2-seed4"
    duty_hours = 2 * (0.25 + 1)  # two couriers, on until an hour after the period
    for policy in ("dispatcher", "greedy"):
        assert summary[policy]["delivered"] == summary["orders"] > 0
        per_hour = summary[policy]["orders_per_courier_hour"]
        assert per_hour == round(summary["orders"] / duty_hours, 3)
        assert summary[policy]["feasible"] is True


def test_chaud_simulate_writes_and_checks_mdrp_solution_files(
    tmp_path: Path, graph_cache: Path
) -> None:
    instance = tmp_path / "tiny"
    instance.mkdir()
    write_tiny_mdrp(instance)
    solutions = tmp_path / "solutions"
    summary = simulate_command(
        ["--mdrp", str(instance), "--solutions", str(solutions), "--report", str(tmp_path / "r")],
        tmp_path,
        graph_cache,
    )
    for policy in ("dispatcher", "greedy"):
        assert summary[policy]["delivered"] == 2
        assert summary[policy]["solution_problems"] == []
        assert summary[policy]["feasible"] is True
        assert check_solution(instance, solutions / policy) == []


def test_zones_plan_their_own_orders_and_a_zone_without_couriers_borrows_one() -> None:
    # A street of 12 places split in the middle: west 0-5, east 6-11. Three couriers start in
    # the east; an order waits in each zone. The east plans its own on one courier and lends
    # the west the nearer of its two idle ones (keeping one, its reserve), which delivers it.
    west = Zone("west", ((-1.0, -1.0), (1.0, -1.0), (1.0, 0.055), (-1.0, 0.055)))
    east = Zone("east", ((-1.0, 0.055), (1.0, 0.055), (1.0, 1.0), (-1.0, 1.0)))
    world = replace(
        one_courier_world(),
        orders=(
            order(1, kitchen=2, door=3, placed_min=0, ready_min=10),
            order(2, kitchen=8, door=9, placed_min=0, ready_min=10),
            order(3, kitchen=10, door=11, placed_min=60, ready_min=70),  # the evening goes on
        ),
        couriers=tuple(CourierSpec(n, start=n + 7, on_s=0, off_s=4 * 3600) for n in (1, 2, 3)),
        points=tuple((0.0, place * 0.01) for place in range(12)),
    )
    policy = ZonedDispatcherPolicy(ZoneMap([west, east]), time_limit_cap_s=0.2)
    result = simulate(world, policy)
    assert check(result) == []
    assert sorted(result.state.delivered_s) == [1, 2, 3]
    assert policy.order_zone == {1: "west", 2: "east", 3: "east"}
    assert policy.lent == 1
    # Courier 1 (at 8) takes the east's order at its door; courier 2 (at 9) is the nearer
    # of the two idle ones to the west's kitchen.
    assert (result.state.picked_by[2], result.state.picked_by[1]) == (1, 2)
    assert policy.courier_zone[2] == ("east", "east")  # home once nothing waited
    assert all(set(cycle) == {"west", "east"} for cycle in policy.zone_seconds)


def scheduled_world(slot_min: int) -> World:
    """One courier, one order placed at 0 for a slot: kitchen at 2, door at 5 (3 minutes'
    ride), 10 minutes' cooking, kitchens firing when told."""
    ticket = TicketSpec(1, 2, 10 * MIN, 10 * MIN, prep_s=10 * MIN)
    slot = slot_min * MIN
    return replace(
        one_courier_world(),
        orders=(OrderSpec(1, 0, 5, (ticket,), slot, slot_s=slot),),
        fire_for_courier=True,
    )


def test_a_scheduled_order_is_cooked_and_delivered_for_its_slot_not_at_once() -> None:
    world = scheduled_world(slot_min=150)
    result = simulate(world, DispatcherPolicy(time_limit_cap_s=0.2), plan_on_orders=True)
    state, slot = result.state, 150 * MIN
    assert check(result) == []
    assert door_opens_s(slot) <= state.delivered_s[1] <= slot + SLOT_GRACE_S
    # Nobody rides for it before it is planned, and the kitchen cooks for the courier.
    (departure, _, _) = state.couriers[1].legs[0]
    assert departure >= plans_from_s(slot)
    assert state.started_s[1] >= slot - 30 * MIN
    figures = kpis(result)
    assert (figures["scheduled"], figures["scheduled_on_time_share"]) == (1, 1.0)
    assert figures["ctd_mean"] is None  # no order as soon as possible
    assert isinstance(figures["r2d_max"], float)
    assert figures["r2d_max"] <= 15


def test_the_greedy_baseline_cooks_for_the_slot_and_waits_at_the_door_until_it_opens() -> None:
    result = simulate(scheduled_world(slot_min=150), GreedyPolicy())
    state, slot = result.state, 150 * MIN
    assert check(result) == []
    assert state.started_s[1] == slot - UNTOLD_SLOT_LEAD_S - 10 * MIN
    assert door_opens_s(slot) <= state.delivered_s[1] <= slot + SLOT_GRACE_S
