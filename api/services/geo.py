"""The service's map: loaded once per process, and locations checked against it."""

from functools import cache
from pathlib import Path

from api.errors import InvalidInput
from api.settings import Settings
from dispatch.geo.geography import Geography, load_geography
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


def locate(geography: Geography, lat: float, lon: float, *, field: str) -> SnappedPoint:
    """The location on the map, or a 422 naming the field and why it cannot be served."""
    try:
        return geography.locate(lat, lon)
    except SnapError as error:
        raise InvalidInput([{"field": field, "reason": error.reason}]) from None
