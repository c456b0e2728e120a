"""Scenario files: the bundled ones load, a bad one is refused naming the field and the reason."""

import json
from pathlib import Path

import pytest

from api.demo.simulation import QUOTE_RULE, demo_alliance
from dispatch.geo.geography import Geography
from dispatch.sim.scenario import (
    ScenarioError,
    demo_scenario,
    load_scenario,
    with_changes,
)
from dispatch.sim.world import scenario_world

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_the_bundled_scenarios_load(path: Path) -> None:
    scenario = load_scenario(path, demo_alliance())
    assert scenario.couriers
    assert scenario.restaurants


def test_a_scenario_names_only_what_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "lunch.toml"
    path.write_text(
        'name = "lunch"\nhours = 2\n[demand]\norders_per_hour = 30\nhourly_profile = [1, 0.5]\n'
        '[[couriers]]\ncount = 3\nvehicle = "ebike"\nbag_capacity = 6\nend_hour = 2.5\n'
    )
    scenario = load_scenario(path, demo_alliance())
    default = demo_scenario(demo_alliance())
    assert scenario.demand.orders_per_hour == 30
    assert scenario.demand.multi_restaurant_share == default.demand.multi_restaurant_share
    assert scenario.restaurants == default.restaurants
    assert [(c.count, c.vehicle, c.end_hour) for c in scenario.couriers] == [(3, "ebike", 2.5)]
    assert scenario.dispatch == default.dispatch


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "[demand]\norders_per_hour = -5\n",
            "demand.orders_per_hour: Input should be greater than 0",
        ),
        ("[demand]\nper_hour = 5\n", "demand.per_hour: Extra inputs are not permitted"),
        ("hours = 3\n[demand]\nhourly_profile = [1, 1]\n", "needs a rate for every hour"),
        (
            "[[couriers]]\ncount = 2\nstart_hour = 4\nend_hour = 3\n",
            "couriers.0: end_hour must come after",
        ),
        ('[dispatch]\nobjective = "fastest"\n', "dispatch.objective: Input should be 'promise' or"),
        ("hours = [\n", "lunch.toml:"),
    ],
)
def test_a_bad_scenario_is_refused_with_the_field_and_the_reason(
    tmp_path: Path, text: str, reason: str
) -> None:
    path = tmp_path / "lunch.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=r"lunch\.toml") as refused:
        load_scenario(path, demo_alliance())
    assert reason in str(refused.value)


def test_chaud_simulate_refuses_a_bad_scenario_naming_the_field(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    path = tmp_path / "lunch.toml"
    path.write_text("[demand]\norders_per_hour = 0\n")
    result = CliRunner().invoke(
        app, ["simulate", "--scenario", str(path)], env={"CHAUD_DATA_DIR": str(tmp_path)}
    )
    assert result.exit_code == 2
    assert "demand.orders_per_hour: Input should be greater than 0" in result.output


def test_a_team_scaled_to_another_size_keeps_its_mix_of_shifts() -> None:
    friday = load_scenario(
        SCENARIOS / "friday-dinner.toml", demo_alliance()
    )  # 4 bikes, 4 e-bikes, 4 scooters
    assert [(s.count, s.vehicle) for s in with_changes(friday, couriers=18).couriers] == [
        (6, "bike"),
        (6, "ebike"),
        (6, "scooter"),
    ]
    # Largest remainders first; a shift scaled to nobody is left out.
    assert [(s.count, s.vehicle) for s in with_changes(friday, couriers=5).couriers] == [
        (2, "bike"),
        (2, "ebike"),
        (1, "scooter"),
    ]
    assert [s.vehicle for s in with_changes(friday, couriers=1).couriers] == ["bike"]
    busier = with_changes(friday, orders_per_hour=60, seed=7)
    assert (busier.demand.orders_per_hour, busier.seed) == (60, 7)
    assert busier.couriers == friday.couriers
    assert busier.name == "friday-dinner-oph60-seed7"


def test_a_change_that_breaks_the_scenario_is_refused_naming_the_field() -> None:
    friday = load_scenario(
        SCENARIOS / "friday-dinner.toml", demo_alliance()
    )  # an hourly profile of 3 hours
    with pytest.raises(ScenarioError, match=r"demand\.hourly_profile: needs a rate for every hour"):
        with_changes(friday, hours=5)
    with pytest.raises(ScenarioError, match=r"demand\.orders_per_hour: Input should be greater"):
        with_changes(friday, orders_per_hour=0)


def test_chaud_simulate_takes_no_world_figures_with_an_mdrp_instance(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    result = CliRunner().invoke(
        app,
        ["simulate", "--mdrp", str(tmp_path), "--couriers", "3"],
        env={"CHAUD_DATA_DIR": str(tmp_path)},
    )
    assert result.exit_code == 2
    assert "--mdrp takes its world from the instance: drop --couriers" in result.output


def test_chaud_simulate_fleet_search_answers_each_policys_smallest_serving_team(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    # A quiet quarter hour: a couple of orders, teams of 1 to 2 couriers tried.
    result = CliRunner().invoke(
        app,
        [
            *("simulate", "--orders-per-hour", "8", "--hours", "0.25", "--time-limit", "0.1"),
            *("--fleet-search", "--fleet-max", "2", "--r2d-p90", "30"),
            *("--out", str(tmp_path / "fleet.json")),
        ],
        env={"CHAUD_DATA_DIR": str(tmp_path)},
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert json.loads((tmp_path / "fleet.json").read_text()) == summary
    assert summary["r2d_p90_target_min"] == 30
    for policy in ("dispatcher", "greedy"):
        answer = summary[policy]
        serving = [t["couriers"] for t in answer["trials"] if t["serves"]]
        failing = [t["couriers"] for t in answer["trials"] if not t["serves"]]
        assert answer["smallest_team"] == (min(serving) if serving else None)
        assert all(size < min(serving) for size in failing) if serving else failing == [2]
        for trial in answer["trials"]:
            assert trial["serves"] == (
                trial["delivered"] == trial["orders"]
                and trial["r2d_p90_min"] is not None
                and trial["r2d_p90_min"] <= 30
            )


def test_chaud_simulate_fleet_search_chooses_the_team_itself(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    env = {"CHAUD_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(app, ["simulate", "--fleet-search", "--couriers", "5"], env=env)
    assert result.exit_code == 2
    assert "--fleet-search chooses the team size itself" in result.output
    result = CliRunner().invoke(
        app, ["simulate", "--fleet-search", "--report", str(tmp_path / "r")], env=env
    )
    assert result.exit_code == 2
    assert "drop --report and --solutions" in result.output


def test_scheduled_orders_take_a_slot_and_leave_the_rest_of_the_world_as_it_was(
    geography: Geography,
) -> None:
    alliance = demo_alliance()
    asap = demo_scenario(alliance, orders_per_hour=60, couriers=6, hours=3)
    demand = asap.demand.model_copy(update={"scheduled_share": 0.5})
    mixed = asap.model_copy(update={"demand": demand})
    before = scenario_world(geography, asap, QUOTE_RULE)
    after = scenario_world(geography, mixed, QUOTE_RULE)
    assert [(o.placed_s, o.door) for o in after.orders] == [
        (o.placed_s, o.door) for o in before.orders
    ]
    scheduled = [o for o in after.orders if o.slot_s is not None]
    # Half the customers would book; those ordering within the hour before closing cannot.
    assert 0.15 < len(scheduled) / len(after.orders) < 0.5
    for order in scheduled:
        assert order.slot_s is not None
        assert 60 * 60 <= order.slot_s - order.placed_s <= 150 * 60
        assert order.slot_s <= 3 * 3600
        assert order.promised_s == order.slot_s
        # Cooked for the slot, not at once.
        assert all(t.estimated_ready_s > order.placed_s + t.prep_s for t in order.tickets)
