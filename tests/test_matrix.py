"""Travel matrices: worked examples on tiny streets, and the networkx reference on Paris."""

import numpy as np
import pytest

from benchmarks.nx_reference import reference_matrix
from dispatch.geo import network as network_module
from dispatch.geo.geography import Geography
from dispatch.geo.matrix import Method, route, travel_matrix
from dispatch.geo.snapping import Snapper
from tests.tiny_networks import SPEED_MPS, lat_lon, one_way_block, two_way_street

METHODS = ["augmented", "composed", "composed-without-node-table"]


@pytest.fixture(autouse=True)
def _method_setup(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """'composed-without-node-table' runs Dijkstra per call, as on networks too big to table."""
    method = (
        request.node.callspec.params.get("method") if hasattr(request.node, "callspec") else None
    )
    if method == "composed-without-node-table":
        monkeypatch.setattr(network_module, "NODE_TABLE_MAX_NODES", 0)


def _method(method: str) -> Method:
    return "composed" if method.startswith("composed") else "augmented"


@pytest.mark.parametrize("method", METHODS)
def test_one_way_block_rides_ahead_or_all_the_way_round(method: str) -> None:
    network = one_way_block()
    snapper = Snapper(network)
    # Both on the street 0 -> 1 (y = 0), a quarter and three quarters along it.
    p, q = snapper.snap_many(*zip(lat_lon(25, 0), lat_lon(75, 0), strict=True))
    matrix = travel_matrix(network, [p, q], method=_method(method))
    assert matrix.distances_m[0, 1] == pytest.approx(50, abs=0.5)
    # Backwards is forbidden: on round the block, 25 + 300 + 25 m.
    assert matrix.distances_m[1, 0] == pytest.approx(350, abs=0.5)
    assert matrix.durations_s[1, 0] == pytest.approx(350 / SPEED_MPS, abs=0.1)
    assert matrix.durations_s[0, 0] == 0


@pytest.mark.parametrize("method", METHODS)
def test_two_way_street_rides_straight_both_ways(method: str) -> None:
    network = two_way_street()
    snapper = Snapper(network)
    p, q = snapper.snap_many(*zip(lat_lon(40, 0), lat_lon(160, 0), strict=True))
    matrix = travel_matrix(network, [p, q], method=_method(method))
    assert matrix.distances_m[0, 1] == pytest.approx(120, abs=0.5)
    assert matrix.distances_m[1, 0] == pytest.approx(120, abs=0.5)


@pytest.mark.parametrize("method", METHODS)
def test_the_last_metres_to_the_door_are_walked(method: str) -> None:
    network = two_way_street()
    snapper = Snapper(network)
    # 10 m off the street at each end: 20 m on foot at 1.25 m/s on top of the 120 m ride.
    p, q = snapper.snap_many(*zip(lat_lon(40, 10), lat_lon(160, 10), strict=True))
    matrix = travel_matrix(network, [p], [q], method=_method(method))
    assert matrix.distances_m[0, 0] == pytest.approx(140, abs=0.5)
    assert matrix.durations_s[0, 0] == pytest.approx(120 / SPEED_MPS + 20 / 1.25, abs=0.1)


@pytest.mark.parametrize("profile", ["bike", "scooter"])
@pytest.mark.parametrize("method", METHODS)
def test_matrices_equal_the_networkx_reference(
    geography: Geography, profile: str, method: str
) -> None:
    rng = np.random.default_rng(7)
    lat = rng.uniform(48.8590, 48.8690, 40)
    lon = rng.uniform(2.3560, 2.3780, 40)
    points = geography.snap(profile, lat.tolist(), lon.tolist())
    network = geography.networks[profile]
    origins, destinations = points[:15], points[15:]
    ours = travel_matrix(network, origins, destinations, method=_method(method))
    durations, distances = reference_matrix(network, origins, destinations)
    np.testing.assert_allclose(ours.durations_s, durations, atol=1e-6)
    np.testing.assert_allclose(ours.distances_m, distances, atol=1e-6)


def test_scooters_use_legal_speeds_and_bikes_one_speed(geography: Geography) -> None:
    assert geography.networks["bike"].uniform_speed_mps == pytest.approx(15 / 3.6)
    scooter = geography.networks["scooter"]
    assert scooter.uniform_speed_mps is None
    speeds = scooter.length_m / scooter.travel_s
    assert speeds.max() <= 45 / 3.6 * 0.6 + 1e-9
    assert len(np.unique(np.round(speeds, 3))) > 1


def test_bikes_ride_contraflow_where_osm_allows_it(geography: Geography) -> None:
    bike, scooter = geography.networks["bike"], geography.networks["scooter"]
    two_way_bike = float(np.mean(bike.reverse_edge >= 0))
    two_way_drive = float(np.mean(scooter.reverse_edge >= 0))
    assert two_way_bike > two_way_drive + 0.2


def test_routes_go_door_to_door_and_agree_with_the_matrix(geography: Geography) -> None:
    network = geography.networks["bike"]
    stops = geography.snap("bike", [48.8648, 48.8627, 48.8686], [2.3734, 2.3629, 2.3800])
    legs = route(network, stops)
    matrix = travel_matrix(network, stops)
    assert len(legs) == 2
    for i, leg in enumerate(legs):
        assert leg.polyline[0] == (stops[i].lat, stops[i].lon)
        assert leg.polyline[-1] == (stops[i + 1].lat, stops[i + 1].lon)
        assert leg.duration_s == pytest.approx(matrix.durations_s[i, i + 1])
        assert leg.distance_m == pytest.approx(matrix.distances_m[i, i + 1])
        # The drawn line is the ridden one: its length matches the distance within 2 %.
        lat = np.array([p[0] for p in leg.polyline])
        lon = np.array([p[1] for p in leg.polyline])
        x, y = network.projection.to_xy(lat, lon)
        drawn = float(np.hypot(np.diff(x), np.diff(y)).sum())
        assert drawn == pytest.approx(leg.distance_m, rel=0.02)
