"""The service's map: loaded once per process, and locations checked against it."""

from functools import cache
from itertools import pairwise
from pathlib import Path

import numpy as np

from api.errors import InvalidInput
from api.settings import Settings
from dispatch.geo.geography import PRIMARY_PROFILE, Geography, load_geography
from dispatch.geo.profiles import Profile
from dispatch.geo.snapping import SnapError, SnappedPoint


def geography_for(settings: Settings) -> Geography:
    """The map of these settings; every app built in this process with them shares it."""
    return _load(
        settings.map_dir,
        settings.map_name,
        settings.graph_cache_dir,
        tuple(sorted(settings.profiles.items())),
        settings.max_snap_m,
    )


@cache
def _load(
    map_dir: Path,
    map_name: str,
    cache_dir: Path,
    profiles: tuple[tuple[str, Profile], ...],
    max_snap_m: float,
) -> Geography:
    return load_geography(map_dir, map_name, cache_dir, dict(profiles), max_snap_m=max_snap_m)


_STREET_LINES: dict[int, tuple[Geography, list[list[tuple[float, float]]]]] = {}
"""Per map (held, so that its id is never reused), its street lines."""


def street_lines(geography: Geography) -> list[list[tuple[float, float]]]:
    """Every street of the primary profile once, as (lon, lat) polylines rounded to about a
    metre (GeoJSON order), for a map drawn in the browser; computed once per map."""
    key = id(geography)
    if key not in _STREET_LINES:
        network = geography.networks[PRIMARY_PROFILE]
        offsets = network.geom_offsets.tolist()
        lons = np.round(network.geom_lon, 5).tolist()
        lats = np.round(network.geom_lat, 5).tolist()
        seen: set[tuple[tuple[float, float], ...]] = set()
        lines = []
        for a, b in pairwise(offsets):
            line = tuple(zip(lons[a:b], lats[a:b], strict=True))
            if line in seen or line[::-1] in seen:  # a two-way street is two edges
                continue
            seen.add(line)
            lines.append(list(line))
        _STREET_LINES[key] = (geography, lines)
    return _STREET_LINES[key][1]


def locate(geography: Geography, lat: float, lon: float, *, field: str) -> SnappedPoint:
    """The location on the map, or a 422 naming the field and why it cannot be served."""
    try:
        return geography.locate(lat, lon)
    except SnapError as error:
        raise InvalidInput([{"field": field, "reason": error.reason}]) from None
