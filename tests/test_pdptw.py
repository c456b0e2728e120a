"""The Li & Lim checker catches each broken rule; the solver's plans pass it."""

import json
from pathlib import Path

import pytest

from benchmarks import pdptw
from benchmarks.lilim import Instance, Task, check, read_instance
from dispatch.planning.pdptw import solve_pdptw

LILIM = Path(__file__).parent.parent / "benchmarks" / "data" / "lilim"


def depot_and_two_pairs(capacity: int = 10) -> Instance:
    """A depot at the origin, pickups at x=1 and x=2, their deliveries at x=3 and x=4."""

    def task(x: float, demand: int, pickup: int = 0, delivery: int = 0, due: float = 100) -> Task:
        return Task(x, 0, demand, 0, due, 0, pickup, delivery)

    return Instance(
        "two-pairs",
        vehicles=2,
        capacity=capacity,
        tasks=[
            task(0, 0, due=1000),
            task(1, 5, delivery=3),
            task(2, 5, delivery=4),
            task(3, -5, pickup=1),
            task(4, -5, pickup=2),
        ],
    )


def test_a_valid_route_passes_with_its_distance() -> None:
    result = check(depot_and_two_pairs(), [[1, 2, 3, 4]])
    assert result.errors == []
    assert result.vehicles == 1
    assert result.distance == pytest.approx(8.0)


@pytest.mark.parametrize(
    ("routes", "capacity", "broken"),
    [
        ([[1, 3], [2, 4], [2]], 10, "visited twice"),
        ([[1, 4], [2, 3]], 10, "split over two routes"),
        ([[3, 1, 2, 4]], 10, "before its pickup"),
        ([[1, 2, 3, 4]], 8, "load 10"),
        ([[1, 3]], 10, "not served"),
    ],
)
def test_each_broken_rule_is_named(routes: list[list[int]], capacity: int, broken: str) -> None:
    result = check(depot_and_two_pairs(capacity), routes)
    assert not result.feasible
    assert any(broken in error for error in result.errors), result.errors


def test_a_late_start_is_caught() -> None:
    instance = depot_and_two_pairs()
    late = Instance(
        instance.name,
        instance.vehicles,
        instance.capacity,
        [*instance.tasks[:3], Task(3, 0, -5, 0, 2, 0, 1, 0), instance.tasks[4]],
    )
    result = check(late, [[1, 3], [2, 4]])
    assert any("task 3 starts at" in error for error in result.errors)


def test_the_solver_plans_the_tiny_instance_on_one_vehicle() -> None:
    instance = depot_and_two_pairs()
    routes = solve_pdptw(pdptw.problem_of(instance), time_limit_s=0.5)
    result = check(instance, routes)
    assert result.feasible, result.errors
    assert result.vehicles == 1


def test_the_benchmark_reports_a_checked_real_instance(capsys: pytest.CaptureFixture[str]) -> None:
    pdptw.main(["--instances", str(LILIM), "--only", "lc101", "--time-limit", "0.5", "1"])
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [run["time_limit_s"] for run in report["runs"]] == [0.5, 1.0]
    for run in report["runs"]:
        (row,) = run["instances"]
        assert row["name"] == "lc101"
        assert row["feasible"] is True
        assert row["bks_vehicles"] == 10
        assert run["summary"]["count"] == 1
        assert run["summary"]["all_feasible"] is True
    assert read_instance(LILIM / "lc101.txt").vehicles == 25
