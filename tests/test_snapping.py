"""Snapping to streets and the service zone, on the bundled map and on a tiny block."""

import numpy as np
import pytest

from api.demo import alliance
from dispatch.geo.geography import Geography
from dispatch.geo.snapping import OutsideServiceZoneError, Snapper, TooFarFromStreetError
from tests.tiny_networks import empty_square, lat_lon


@pytest.mark.parametrize(
    "place", alliance.RESTAURANTS + alliance.RELAY_POINTS, ids=lambda p: p.slug
)
def test_demo_places_snap_onto_their_own_street(geography: Geography, place: object) -> None:
    lat, lon, street = place.lat, place.lon, place.street  # type: ignore[attr-defined]
    snapped = geography.locate(lat, lon)
    assert snapped.street == street
    assert snapped.offset_m < 5


def test_a_point_in_the_seine_is_outside_the_service_zone(geography: Geography) -> None:
    # Pont Marie, mid-river: south of the bundled extract.
    with pytest.raises(OutsideServiceZoneError) as refused:
        geography.locate(48.85300, 2.35730)
    assert "outside the service zone" in refused.value.reason
    assert "beyond its edge" in refused.value.reason


def test_a_point_two_km_away_says_how_far(geography: Geography) -> None:
    # Parc des Buttes-Chaumont, about 2 km north-east of the extract's edge.
    with pytest.raises(OutsideServiceZoneError) as refused:
        geography.locate(48.8809, 2.3828)
    assert " km beyond its edge" in refused.value.reason


def test_a_point_far_from_any_street_inside_the_zone_is_refused() -> None:
    snapper = Snapper(empty_square(), max_snap_m=150)
    with pytest.raises(TooFarFromStreetError) as refused:
        snapper.snap(*lat_lon(500, 500))
    assert "500 m from the nearest street" in refused.value.reason
    assert "the limit is 150 m" in refused.value.reason
    near = snapper.snap(*lat_lon(500, 120))
    assert near.offset_m == pytest.approx(120, abs=0.5)


def test_snapping_finds_the_exact_spot_along_the_street() -> None:
    snapper = Snapper(empty_square())
    snapped = snapper.snap(*lat_lon(250, 20))
    assert snapped.offset_m == pytest.approx(20, abs=0.1)
    # A quarter of the way along the bottom street (one of its two directions).
    assert snapped.fraction in (pytest.approx(0.25, abs=1e-3), pytest.approx(0.75, abs=1e-3))
    street_lat, street_lon = lat_lon(250, 0)
    assert snapped.street_lat == pytest.approx(street_lat, abs=1e-7)
    assert snapped.street_lon == pytest.approx(street_lon, abs=1e-7)


def test_other_profiles_reach_any_accepted_location(geography: Geography) -> None:
    # On rue du Plâtre, a bike street about 150 m from the nearest street a scooter may use.
    lat, lon = 48.859103, 2.355334
    accepted = geography.locate(lat, lon)
    assert accepted.street == "Rue du Plâtre"
    [by_scooter] = geography.snap("scooter", [lat], [lon])
    assert by_scooter.offset_m > 100
    ride = geography.matrix("scooter", [by_scooter], geography.snap("scooter", [48.8648], [2.3734]))
    assert np.isfinite(ride.durations_s).all()
