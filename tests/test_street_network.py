"""Loading the bundled map offline, the processed-graph cache, street names, drawings."""

import shutil
import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from api.demo import alliance
from dispatch.geo import network_store
from dispatch.geo.drawing import ATTRIBUTION, MapStop, draw_round
from dispatch.geo.geography import Geography, load_geography
from dispatch.geo.maps import BUNDLED_MAP_DIR, BUNDLED_MAP_NAME
from dispatch.geo.network_store import MapFileMissingError, load_network
from dispatch.geo.profiles import DEFAULT_PROFILES


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to reach another machine fails, as it would with no Internet at all."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("network access attempted in an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.usefixtures("no_network")
def test_the_demo_map_loads_snaps_and_answers_offline(tmp_path: Path) -> None:
    geography = load_geography(BUNDLED_MAP_DIR, BUNDLED_MAP_NAME, tmp_path, DEFAULT_PROFILES)
    places = alliance.RESTAURANTS + alliance.RELAY_POINTS
    points = [geography.locate(place.lat, place.lon) for place in places]
    lat, lon = [p.lat for p in points], [p.lon for p in points]
    longest = {"bike": 15, "ebike": 12, "scooter": 15, "walk": 45}  # minutes, across the extract
    for profile, minutes in longest.items():
        matrix = geography.matrix(profile, geography.snap(profile, lat, lon))
        assert matrix.durations_s.shape == (len(places), len(places))
        off_diagonal = ~np.eye(len(places), dtype=bool)
        assert (matrix.durations_s[off_diagonal] > 5).all()
        assert (matrix.durations_s < minutes * 60).all(), profile


def test_the_cache_is_read_back_without_osmnx(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = DEFAULT_PROFILES["bike"]
    built = load_network(BUNDLED_MAP_DIR, BUNDLED_MAP_NAME, profile, tmp_path)
    [cache_file] = tmp_path.glob("*.npz")

    def no_rebuild(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(network_store, "edges_from_osm", no_rebuild)
    loaded = load_network(BUNDLED_MAP_DIR, BUNDLED_MAP_NAME, profile, tmp_path)
    for name in ("indptr", "indices", "travel_s", "length_m", "geom_lat", "names"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(built, name))
    assert loaded.source_sha256 == built.source_sha256
    assert cache_file.exists()


def test_the_cache_is_rebuilt_when_the_source_changes(tmp_path: Path) -> None:
    maps = tmp_path / "maps"
    shutil.copytree(BUNDLED_MAP_DIR, maps)
    profile = DEFAULT_PROFILES["bike"]
    first = load_network(maps, BUNDLED_MAP_NAME, profile, tmp_path / "cache")
    # Same streets, different bytes: an operator re-exported the extract.
    source = maps / f"{BUNDLED_MAP_NAME}_bike.osm.bz2"
    source.rename(maps / f"{BUNDLED_MAP_NAME}_bike.osm.bz2.old")
    import bz2

    (maps / f"{BUNDLED_MAP_NAME}_bike.osm").write_bytes(
        bz2.decompress((maps / f"{BUNDLED_MAP_NAME}_bike.osm.bz2.old").read_bytes())
    )
    second = load_network(maps, BUNDLED_MAP_NAME, profile, tmp_path / "cache")
    assert second.source_sha256 != first.source_sha256
    assert [p.name for p in (tmp_path / "cache").glob("*.npz")] == [
        network_store.cache_path(
            tmp_path / "cache", BUNDLED_MAP_NAME, profile, second.source_sha256
        ).name
    ]
    np.testing.assert_array_equal(second.indices, first.indices)


def test_a_changed_speed_is_a_different_cache(tmp_path: Path) -> None:
    slow = load_network(BUNDLED_MAP_DIR, BUNDLED_MAP_NAME, DEFAULT_PROFILES["bike"], tmp_path)
    fast = load_network(BUNDLED_MAP_DIR, BUNDLED_MAP_NAME, DEFAULT_PROFILES["ebike"], tmp_path)
    np.testing.assert_allclose(slow.travel_s * 15, fast.travel_s * 20)


def test_a_missing_map_file_says_which(tmp_path: Path) -> None:
    with pytest.raises(MapFileMissingError, match=r"paris_bss_bike\.osm"):
        load_network(tmp_path, BUNDLED_MAP_NAME, DEFAULT_PROFILES["bike"], tmp_path)


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("rue Oberkampf", "Rue Oberkampf"),
        ("oberk", "Rue Oberkampf"),
        ("bd voltaire", "Boulevard Voltaire"),
        ("RUE DU FAUBOURG DU TEMPLE", "Rue du Faubourg du Temple"),
        ("rue de la folie mericourt", "Rue de la Folie-Méricourt"),
        ("st maur", "Rue Saint-Maur"),
    ],
)
def test_street_names_autocomplete(geography: Geography, query: str, first: str) -> None:
    matches = geography.streets.search(query)
    assert matches[0].name == first
    best = matches[0]
    assert best.segments
    # The point given for a street lies on it.
    assert geography.locate(best.lat, best.lon).offset_m < 1


def test_unknown_streets_find_nothing(geography: Geography) -> None:
    assert geography.streets.search("avenue des Champs-Élysées") == []
    assert geography.streets.search("  ") == []


def test_rounds_are_drawn_with_the_attribution(geography: Geography) -> None:
    stops = geography.snap("bike", [48.8648, 48.8627, 48.8686], [2.3734, 2.3629, 2.3800])
    legs = geography.route("bike", stops)
    marks = [
        MapStop(s.lat, s.lon, str(i + 1), "pickup" if i < 2 else "dropoff", highlighted=i == 0)
        for i, s in enumerate(stops)
    ]
    network = geography.networks["bike"]
    png = draw_round(network, [leg.polyline for leg in legs], marks, fmt="png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    svg = draw_round(network, [leg.polyline for leg in legs], marks, fmt="svg").decode()
    assert "<svg" in svg
    assert ATTRIBUTION.replace("©", "&#169;") in svg or ATTRIBUTION in svg
