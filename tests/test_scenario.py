"""Scenario files: the bundled ones load, a bad one is refused naming the field and the reason."""

from pathlib import Path

import pytest

from api.scenario import Scenario, ScenarioError, load_scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_the_bundled_scenarios_load(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.couriers
    assert scenario.restaurants


def test_a_scenario_names_only_what_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "lunch.toml"
    path.write_text(
        'name = "lunch"\nhours = 2\n[demand]\norders_per_hour = 30\nhourly_profile = [1, 0.5]\n'
        '[[couriers]]\ncount = 3\nvehicle = "ebike"\nbag_capacity = 6\nend_hour = 2.5\n'
    )
    scenario = load_scenario(path)
    default = Scenario()
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
        load_scenario(path)
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
