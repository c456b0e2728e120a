"""The benchmarks run and report what they promise (tiny sizes: figures come from full runs)."""

import json
from pathlib import Path

import pytest

from benchmarks import dispatch_latency, kitchen, matrix, operator_board
from tests.databases import POSTGRES_ADMIN_URL

pytestmark = pytest.mark.slow


def test_matrix_benchmark_reports_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    summary = matrix.main(["--sizes", "30", "--grid-sizes", "20", "--repeat", "1"])
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith('{"cases"')
    graphs = {case["graph"] for case in summary["cases"]}
    assert graphs == {"paris-bike", "grid-10k"}
    for case in summary["cases"]:
        assert {
            "graph",
            "n",
            "seconds",
            "baseline_seconds",
            "speedup",
            "max_abs_diff_s",
        } <= case.keys()
        assert case["max_abs_diff_s"] < 1e-6
    assert summary["warm_load_seconds"] > 0
    assert summary["cold_build_seconds"] > summary["warm_load_seconds"]
    assert 20 < summary["peak_rss_mb"] < 2000


def test_orders_benchmark_reports_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import orders

    summary = orders.main(["--seconds", "1", "--clients", "2", "--postgres-url", ""])
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith('{"results"')
    [sqlite] = summary["results"]
    assert sqlite["database"] == "sqlite"
    assert sqlite["orders"] > 0
    assert sqlite["errors"] == 0
    assert {"orders_per_s", "p50_ms", "p99_ms", "noop_requests_per_s"} <= sqlite.keys()


def test_dispatch_latency_benchmark_reports_its_figures(
    capsys: pytest.CaptureFixture[str], graph_cache: Path
) -> None:
    dispatch_latency.main(["--sizes", "12:4", "--runs", "2", "--cache-dir", str(graph_cache)])
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    (case,) = report["cases"]
    assert (case["orders"], case["couriers"], case["runs"]) == (12, 4, 2)
    assert 0 < case["p50_s"] <= case["p95_s"]
    assert 0 <= case["unassigned"] <= 12


def test_zones_benchmark_reports_quality_lost_and_time_saved(
    capsys: pytest.CaptureFixture[str], graph_cache: Path
) -> None:
    from benchmarks import zones

    summary = zones.main(
        ["--scale", "0.25", "--hours", "0.5", "--zones", "2", "--cache-dir", str(graph_cache)]
    )
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == summary
    one, split = summary["one_solve"], summary["zoned"]
    assert one["orders"] == split["orders"] > 0
    assert (one["feasible"], split["feasible"]) == (True, True)
    assert set(split["kitchens_per_zone"]) == {"zone-1", "zone-2"}
    assert sum(split["orders_per_zone"].values()) == split["orders"]
    assert split["plan_slowest_zone"]["p95_s"] <= split["plan_all_zones"]["p95_s"]
    assert {"ctd_mean_lost_min", "r2d_p90_lost_min", "plan_p95_saved_s"} <= summary.keys()


def test_pdptw_benchmark_runs_vroom_beside_ours_through_the_same_checker(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from benchmarks import pdptw

    lilim = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "lilim"
    pdptw.main(["--instances", str(lilim), "--only", "lc101", "--time-limit", "0.5"])
    (run,) = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["runs"]
    (ours,) = run["instances"]
    (theirs,) = run["peers"]["vroom"]["instances"]
    assert ours["name"] == theirs["name"] == "lc101"
    assert ours["feasible"]
    assert theirs["feasible"], theirs.get("errors")
    assert theirs["vehicles"] >= theirs["bks_vehicles"] == 10
    assert "not_applicable" in run["peers"]["pyvrp"]


@pytest.mark.skipif(not POSTGRES_ADMIN_URL, reason="needs CHAUD_TEST_DATABASE_URL (set in CI)")
def test_kitchen_benchmark_reports_its_figures() -> None:
    assert POSTGRES_ADMIN_URL is not None
    report = kitchen.run(POSTGRES_ADMIN_URL, screens=4, workers=2, rate=4, seconds=2)
    assert {"screens", "workers", "tickets", "p50_ms", "p99_ms", "lost", "duplicated"} <= set(
        report
    )
    assert (report["screens"], report["workers"]) == (4, 2)
    assert report["lost"] == 0


@pytest.mark.skipif(not POSTGRES_ADMIN_URL, reason="needs CHAUD_TEST_DATABASE_URL (set in CI)")
def test_operator_board_benchmark_reports_its_figures() -> None:
    assert POSTGRES_ADMIN_URL is not None
    report = operator_board.run(
        POSTGRES_ADMIN_URL, operators=3, kitchen_screens=3, workers=2, rate=4, seconds=2
    )
    keys = {"operator_screens", "kitchen_screens", "events", "operator_p99_ms", "kitchen_p99_ms"}
    assert keys | {"lost"} <= set(report)
    assert (report["operator_screens"], report["kitchen_screens"]) == (3, 3)
    assert report["events"] > 0
    assert report["operator_deliveries"] >= report["events"]  # each board had them all
    assert report["lost"] == 0


def test_signin_flood_benchmark_reports_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import signin_flood

    summary = signin_flood.main(["--seconds", "1.5", "--readers", "1", "--flooders", "3"])
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == summary
    for phase in ("quiet", "flood_one_address", "flood_many_addresses"):
        assert summary[phase]["catalogue_requests"] > 0
        assert summary[phase]["catalogue_p99_ms"] is not None
    assert summary["quiet"]["sign_ins"] == {}
    # From one address, no more than the limit (10 a minute) is ever hashed.
    assert summary["flood_one_address"]["sign_ins"].get("401", 0) <= 10
    assert set(summary["flood_many_addresses"]["sign_ins"]) <= {"401", "503"}


def test_prep_learning_benchmark_runs_each_belief_on_the_same_world(
    capsys: pytest.CaptureFixture[str], graph_cache: Path
) -> None:
    from benchmarks import prep_learning

    prep_learning.main(
        ["--seeds", "3", "--hours", "0.2", "--time-limit", "0.05", "--cache-dir", str(graph_cache)]
    )
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    runs = report["runs"]
    beliefs = ["declared", "learned_cold", "learned_warm", "oracle", "clairvoyant"]
    assert [r["policy"] for r in runs] == beliefs
    for run in runs:
        assert {"seed", "delivered", "orders", "r2d_p90", "ctd_mean", "beyond_freshness"} <= set(
            run
        )
        assert "multi_spread_p90" in run
        assert run["seed"] == 3
        assert run["feasible"]
        assert run["orders"] == runs[0]["orders"] > 0, "one world for every belief"
    assert list(report["mean"]) == beliefs


def test_prep_estimation_benchmark_reports_errors_against_the_truth(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from benchmarks import prep_estimation

    summary = prep_estimation.main(["--kitchens", "6", "--history", "0", "60"])
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith('{"benchmark"')
    with_history = summary["by_history"]["60"]
    assert with_history["mae_learned_min"] < with_history["mae_declared_min"]
    assert 0.5 < summary["upper_coverage"] <= 1.0
    without = summary["by_history"]["0"]
    assert without["mae_learned_min"] == without["mae_declared_min"], "no history: its word"


def test_pool_pacing_benchmark_quotes_the_same_rush_both_ways(
    capsys: pytest.CaptureFixture[str], graph_cache: Path
) -> None:
    from benchmarks import pool_pacing

    pool_pacing.main(
        ["--seeds", "2", "--hours", "1.2", "--time-limit", "0.05", "--cache-dir", str(graph_cache)]
    )
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    kitchens, pool = report["runs"]
    assert (kitchens["quote"], pool["quote"]) == ("kitchens", "pool")
    for run in (kitchens, pool):
        assert run["feasible"]
        assert run["rush_orders"] > 0
        assert run["orders"] == kitchens["orders"], "one world for both quotes"
    assert kitchens["pool_delay_max_min"] == 0, "the kitchens' pace alone adds no delay"
    assert report["totals"]["pool"]["orders"] == pool["orders"]
