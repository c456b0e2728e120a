"""The simulator on tiny worlds: riding rules, both policies, KPIs, reproducibility, MDRP files."""

import json
from pathlib import Path

import numpy as np

from dispatch.mdrp import EuclideanTravel, load_mdrp
from dispatch.simulation import (
    CourierSpec,
    DispatcherPolicy,
    GreedyPolicy,
    OrderSpec,
    TicketSpec,
    World,
    kpis,
    simulate,
)

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


def test_the_greedy_baseline_is_reproducible() -> None:
    first = kpis(simulate(busy_world(seed=5), GreedyPolicy()))
    again = kpis(simulate(busy_world(seed=5), GreedyPolicy()))
    first.pop("seconds"), again.pop("seconds")
    first.pop("solver_p50_s"), again.pop("solver_p50_s")
    first.pop("solver_p95_s"), again.pop("solver_p95_s")
    assert first == again


def test_an_mdrp_folder_becomes_a_world(tmp_path: Path) -> None:
    (tmp_path / "instance_parameters.txt").write_text(
        "meters_per_minute\tpickup service minutes\tdropoff service minutes\t"
        "target click-to-door\tmaximum click-to-door\tpay per order\tguaranteed pay per hour\n"
        "300\t4\t4\t40\t90\t10\t15\n"
    )
    (tmp_path / "restaurants.txt").write_text("restaurant\tx\ty\nr1\t0\t0\n")
    (tmp_path / "orders.txt").write_text(
        "order\tx\ty\tplacement_time\trestaurant\tready_time\no1\t900\t0\t600\tr1\t615\n"
    )
    (tmp_path / "couriers.txt").write_text(
        "courier\tx\ty\ton_time\toff_time\nc1\t301\t0\t590\t700\n"
    )
    world = load_mdrp(tmp_path)
    (only,) = world.orders
    assert (only.placed_s, only.tickets[0].ready_s, only.promised_s) == (36000, 36900, 38400)
    assert world.travel.seconds("bike", [1, 0])[0, 1] == 3 * MIN  # ceil(900 / 300) minutes
    assert world.travel.seconds("bike", [2, 0])[0, 1] == 2 * MIN  # ceil(301 / 300) minutes
    assert world.pickup_service_s == 4 * MIN
    figures = kpis(simulate(world, GreedyPolicy()))
    assert figures["delivered"] == 1


def test_chaud_simulate_runs_the_paris_demo_with_both_policies(
    tmp_path: Path, graph_cache: Path
) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    out = tmp_path / "kpis.json"
    small = ["--hours", "0.25", "--orders-per-hour", "40", "--couriers", "4", "--time-limit", "0.1"]
    result = CliRunner().invoke(
        app,
        ["simulate", *small, "--out", str(out)],
        env={"CHAUD_DATA_DIR": str(tmp_path), "CHAUD_CACHE_DIR": str(graph_cache)},
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["world"].startswith("paris-demo")
    for policy in ("dispatcher", "greedy"):
        figures = report[policy]
        assert figures["orders"] == report["orders"] > 0
        assert figures["delivered"] == figures["orders"]
        assert figures["feasible"] is True
