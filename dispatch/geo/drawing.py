"""Drawing rounds on the street map (PNG or SVG), always with the OpenStreetMap attribution."""

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from matplotlib import rc_context
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from dispatch.geo.network import StreetNetwork

ATTRIBUTION: Final = "© OpenStreetMap contributors (ODbL)"
MIN_VIEW_M: Final = 400.0
COLOURS: Final = {"start": "#333333", "pickup": "#d9480f", "dropoff": "#1971c2"}


@dataclass(frozen=True)
class MapStop:
    lat: float
    lon: float
    label: str
    kind: Literal["start", "pickup", "dropoff"]
    highlighted: bool = False


def draw_round(
    network: StreetNetwork,
    legs: Sequence[Sequence[tuple[float, float]]],
    stops: Sequence[MapStop],
    *,
    fmt: Literal["png", "svg"] = "png",
    title: str = "",
    width_px: int = 800,
    height_px: int = 600,
) -> bytes:
    """The streets around a round, its legs in order and its numbered stops."""
    points = [point for leg in legs for point in leg] + [(s.lat, s.lon) for s in stops]
    if not points:
        points = list(zip(network.node_lat.tolist(), network.node_lon.tolist(), strict=True))
    lat = np.array([p[0] for p in points])
    lon = np.array([p[1] for p in points])
    x, y = network.projection.to_xy(lat, lon)
    half = max(MIN_VIEW_M, float(np.ptp(x)), float(np.ptp(y)) * width_px / height_px) / 2 * 1.15
    cx, cy = (x.min() + x.max()) / 2, (y.min() + y.max()) / 2
    half_y = half * height_px / width_px

    dpi = 100
    figure = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_axis_off()
    axes.set_xlim(cx - half, cx + half)
    axes.set_ylim(cy - half_y, cy + half_y)
    axes.set_aspect("equal")

    gx, gy = network.projection.to_xy(network.geom_lat, network.geom_lon)
    streets = [
        np.column_stack([gx[a:b], gy[a:b]])
        for a, b in zip(network.geom_offsets[:-1], network.geom_offsets[1:], strict=True)
    ]
    axes.add_collection(LineCollection(streets, colors="#c8c8c8", linewidths=0.8, zorder=1))

    for number, leg in enumerate(legs):
        lx, ly = network.projection.to_xy([p[0] for p in leg], [p[1] for p in leg])
        axes.plot(lx, ly, color="#2f9e44" if number == 0 else "#5c7cfa", linewidth=3, zorder=2)

    for stop in stops:
        sx, sy = network.projection.to_xy(stop.lat, stop.lon)
        size = 260 if stop.highlighted else 160
        axes.scatter(
            [sx], [sy], s=size, c=COLOURS[stop.kind], edgecolors="white", linewidths=1.5, zorder=3
        )
        axes.annotate(
            stop.label,
            (float(sx), float(sy)),
            color="white",
            fontsize=8,
            fontweight="bold",
            ha="center",
            va="center",
            zorder=4,
        )
    if title:
        figure.text(0.01, 0.98, title, fontsize=11, va="top", ha="left")
    figure.text(
        0.99,
        0.01,
        ATTRIBUTION,
        fontsize=8,
        ha="right",
        va="bottom",
        bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"},
    )
    buffer = io.BytesIO()
    # Text stays text in SVG: searchable, and the attribution is readable by machines too.
    with rc_context({"svg.fonttype": "none"}):
        figure.savefig(buffer, format=fmt, dpi=dpi)
    return buffer.getvalue()
