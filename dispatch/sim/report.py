"""The service report of simulated days: an HTML page with its PNG figures.

Our dispatcher beside the baseline on one world: the KPI table, histograms of click-to-door,
ready-to-door and ready-to-pickup, orders and couriers over the day, and one courier's day
drawn by the world's own `CourierDayDrawer` (on the street map, with its attribution, for a
street world).
"""

import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Final, Protocol

import numpy as np
from matplotlib.figure import Figure

from dispatch.sim.engine import SimulationResult
from dispatch.sim.metrics import durations, kpis

COLOURS: Final = ("#d9480f", "#1971c2", "#2f9e44")
BIN_S: Final = 15 * 60


class CourierDayDrawer(Protocol):
    def draw(self, result: SimulationResult, courier_id: int) -> bytes:
        """A PNG of the courier's rides and stops over the day."""
        ...


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def _minutes(result: SimulationResult) -> dict[str, list[float]]:
    return {measure: [v / 60 for v in values] for measure, values in durations(result).items()}


def histogram(results: Sequence[SimulationResult], measure: str) -> bytes:
    figure = Figure(figsize=(6.4, 3.6))
    axes = figure.add_subplot()
    samples = [_minutes(r)[measure] for r in results]
    top = max((max(s) for s in samples if s), default=1.0)
    bins = np.linspace(min(0.0, *(min(s) for s in samples if s)), top, 40)
    for result, values, colour in zip(results, samples, COLOURS, strict=False):
        axes.hist(values, bins=bins.tolist(), alpha=0.55, color=colour, label=result.policy)
    axes.set_xlabel(f"{measure} (minutes)")
    axes.set_ylabel("orders" if measure != "ready-to-pickup" else "bags")
    # A fixed corner: "best" searches every point for room (slow on a whole evening, and
    # matplotlib warns when it takes over a second, which the tests turn into a failure).
    axes.legend(loc="upper right")
    figure.tight_layout()
    return _png(figure)


def over_the_day(results: Sequence[SimulationResult]) -> bytes:
    """Orders placed and still open per policy, couriers on duty, every BIN_S."""
    world = results[0].world
    start = min([o.placed_s for o in world.orders] + [c.on_s for c in world.couriers])
    end = max(max(r.state.delivered_s.values(), default=start) for r in results)
    moments = np.arange(start, end + BIN_S, BIN_S)
    hours = (moments - start) / 3600
    figure = Figure(figsize=(6.4, 3.6))
    axes = figure.add_subplot()
    placed = np.array([o.placed_s for o in world.orders])
    per_bin = np.histogram(placed, bins=np.append(moments, moments[-1] + BIN_S))[0]
    axes.bar(
        hours,
        per_bin,
        width=BIN_S / 3600 * 0.9,
        align="edge",
        color="#adb5bd",
        label="orders placed",
    )
    for result, colour in zip(results, COLOURS, strict=False):
        done = result.state.delivered_s
        open_orders = [
            sum(1 for o in world.orders if o.placed_s <= t and done.get(o.order_id, end + 1) > t)
            for t in moments
        ]
        axes.plot(hours, open_orders, color=colour, label=f"open orders, {result.policy}")
    on_duty = [sum(1 for c in world.couriers if c.on_s <= t < c.off_s) for t in moments]
    axes.step(
        hours, on_duty, where="post", color="#212529", linestyle="--", label="couriers on duty"
    )
    axes.set_xlabel("hours from the first event")
    axes.set_ylabel(f"count (orders per {BIN_S // 60} min)")
    axes.legend(fontsize=8, loc="upper left")
    figure.tight_layout()
    return _png(figure)


def busiest_courier(result: SimulationResult) -> int:
    return max(
        result.state.couriers.values(), key=lambda c: (c.delivered, -c.spec.courier_id)
    ).spec.courier_id


KPI_ROWS: Final = (
    ("orders", "orders"),
    ("delivered", "delivered"),
    ("unassigned", "not delivered"),
    ("ctd_mean", "click-to-door mean (min)"),
    ("ctd_p90", "click-to-door p90 (min)"),
    ("ctd_share_le_40", "share within 40 min"),
    ("ctd_share_gt_90", "share over 90 min"),
    ("r2d_p50", "ready-to-door p50 (min)"),
    ("r2d_p90", "ready-to-door p90 (min)"),
    ("r2d_max", "ready-to-door max (min)"),
    ("r2p_mean", "ready-to-pickup mean (min)"),
    ("r2p_p90", "ready-to-pickup p90 (min)"),
    ("multi_kitchen_orders", "multi-kitchen orders"),
    ("pickup_spread_mean", "first-to-last pickup, mean (min)"),
    ("pickup_spread_max", "first-to-last pickup, max (min)"),
    ("beyond_freshness", "orders beyond their freshness limit"),
    ("courier_utilisation", "courier utilisation"),
    ("orders_per_courier_hour", "orders per courier-hour"),
    ("km_per_order", "km per order"),
    ("pay_total", "courier pay, total"),
    ("pay_per_order", "courier pay per order"),
    ("solver_p50_s", "solver time per cycle p50 (s)"),
    ("solver_p95_s", "solver time per cycle p95 (s)"),
    ("feasible", "feasible (our checker)"),
    ("seconds", "simulation wall time (s)"),
)


def write_report(
    results: Sequence[SimulationResult],
    folder: Path,
    drawer: CourierDayDrawer | None = None,
    notes: Sequence[str] = (),
) -> Path:
    """Write index.html and its PNGs into `folder`; the first result is the featured one."""
    folder.mkdir(parents=True, exist_ok=True)
    figures: list[tuple[str, str]] = []
    for measure in ("click-to-door", "ready-to-door", "ready-to-pickup"):
        name = f"{measure}.png"
        (folder / name).write_bytes(histogram(results, measure))
        figures.append((name, f"{measure.capitalize()}, minutes"))
    (folder / "over-the-day.png").write_bytes(over_the_day(results))
    figures.append(("over-the-day.png", "Orders and couriers over the day"))
    if drawer is not None:
        featured = results[0]
        courier_id = busiest_courier(featured)
        (folder / "courier-day.png").write_bytes(drawer.draw(featured, courier_id))
        figures.append(("courier-day.png", f"The day of courier {courier_id} ({featured.policy})"))
    tables = [kpis(r) for r in results]
    head = "".join(f"<th>{html.escape(r.policy)}</th>" for r in results)
    rows = "".join(
        f"<tr><td>{html.escape(label)}</td>"
        + "".join(f"<td>{html.escape(str(t.get(key)))}</td>" for t in tables)
        + "</tr>"
        for key, label in KPI_ROWS
    )
    images = "".join(
        f'<figure><img src="{html.escape(name)}" alt="{html.escape(caption)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        for name, caption in figures
    )
    remarks = "".join(f"<p>{html.escape(n)}</p>" for n in notes)
    world = results[0].world
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Chaud Devant simulation: {html.escape(world.name)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; max-width: 70rem; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: .3rem .6rem; }}
td:not(:first-child) {{ text-align: right; }}
figure {{ display: inline-block; margin: 1rem 1rem 1rem 0; }}
</style></head><body>
<h1>Simulated service: {html.escape(world.name)}</h1>
<p>{len(world.orders)} orders, {len(world.couriers)} couriers.</p>
{remarks}
<table><tr><th>KPI</th>{head}</tr>{rows}</table>
{images}
</body></html>
"""
    index = folder / "index.html"
    index.write_text(page)
    return index


class PlaneDrawer:
    """A courier's day on a plane without streets (an MDRP instance's euclidean metres)."""

    def __init__(self, x: Sequence[float], y: Sequence[float]) -> None:
        self.x, self.y = list(x), list(y)

    def draw(self, result: SimulationResult, courier_id: int) -> bytes:
        courier = result.state.couriers[courier_id]
        figure = Figure(figsize=(6.4, 6.4))
        axes = figure.add_subplot()
        axes.set_aspect("equal")
        for _, a, b in courier.legs:
            axes.plot([self.x[a], self.x[b]], [self.y[a], self.y[b]], color="#5c7cfa", lw=1)
        for kind, colour in (("pickup", COLOURS[0]), ("dropoff", COLOURS[1])):
            places = [
                p for k, p in zip(_kinds(courier.log), courier.visited, strict=False) if k == kind
            ]
            axes.scatter(
                [self.x[p] for p in places],
                [self.y[p] for p in places],
                s=18,
                c=colour,
                label=kind,
                zorder=3,
            )
        start = courier.spec.start
        axes.scatter(
            [self.x[start]], [self.y[start]], s=40, c="#212529", marker="s", label="start", zorder=4
        )
        axes.set_xlabel("x (m)")
        axes.set_ylabel("y (m)")
        axes.legend(fontsize=8, loc="upper right")
        axes.set_title(
            f"courier {courier_id}: {courier.delivered} orders, {courier.metres / 1000:.1f} km"
        )
        figure.tight_layout()
        return _png(figure)


def _kinds(log: Sequence[tuple[str, int, int | None, int]]) -> list[str]:
    return [kind for kind, *_ in log]
