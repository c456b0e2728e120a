"""The rules of a city in zones (dispatch.planning.zones), on tiny named maps."""

import json

import pytest

from dispatch.planning.zones import (
    WHOLE_CITY,
    IdleCourier,
    Zone,
    ZoneError,
    ZoneMap,
    goes_home,
    lending_moves,
    order_zone,
    suggest_zones,
    to_borrow,
)

# Two squares side by side along the equator: "west" [0, 1] x [0, 1], "east" [0, 1] x [1, 2].
TWO_SQUARES = ZoneMap(
    [
        Zone("west", ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))),
        Zone("east", ((0.0, 1.0), (1.0, 1.0), (1.0, 2.0), (0.0, 2.0))),
    ]
)


def test_a_place_lies_in_the_polygon_holding_it_else_in_the_nearest() -> None:
    assert TWO_SQUARES.zone_of(0.5, 0.5) == "west"
    assert TWO_SQUARES.zone_of(0.5, 1.5) == "east"
    assert TWO_SQUARES.zone_of(0.5, 1.0) == "west"  # on the border: the first zone listed
    assert TWO_SQUARES.zone_of(0.5, 5.0) == "east"  # outside every zone: the nearest
    assert TWO_SQUARES.zone_of(-3.0, -1.0) == "west"


def test_an_unsplit_city_is_one_zone_everywhere() -> None:
    city = ZoneMap.whole_city()
    assert city.names == (WHOLE_CITY,)
    assert city.zone_of(48.86, 2.37) == city.zone_of(-40.0, 170.0) == WHOLE_CITY


def test_zones_round_trip_through_geojson() -> None:
    text = TWO_SQUARES.to_geojson()
    assert json.loads(text)["features"][0]["geometry"]["coordinates"][0][0] == [0.0, 0.0]
    assert ZoneMap.from_geojson(text).zones == TWO_SQUARES.zones


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", "GeoJSON"),
        ('{"features": [{"properties": {}}]}', "GeoJSON"),
        ('{"type": "FeatureCollection", "features": []}', "at least one zone"),
        (
            '{"features": [{"properties": {"name": "a"}, "geometry": {"coordinates": '
            "[[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}}, "
            '{"properties": {"name": "b"}, "geometry": {"coordinates": '
            "[[[5, 5], [6, 5], [6, 6], [5, 5]]]}}]}",
            "crosses itself",
        ),
    ],
)
def test_a_zone_file_that_cannot_be_used_says_why(text: str, reason: str) -> None:
    with pytest.raises(ZoneError, match=reason):
        ZoneMap.from_geojson(text)


def test_duplicate_zone_names_are_refused() -> None:
    square = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0))
    with pytest.raises(ZoneError, match="distinct"):
        ZoneMap([Zone("a", square), Zone("a", square)])


def test_suggested_zones_split_two_clusters_of_kitchens_and_cover_the_map() -> None:
    west = [(0.5, 0.1), (0.6, 0.2), (0.4, 0.15)]
    east = [(0.5, 1.9), (0.45, 1.8), (0.55, 1.85), (0.5, 1.95)]
    zones = suggest_zones(west + east, 2, ((0.0, 0.0), (1.0, 2.0)))
    assert zones.names == ("zone-1", "zone-2")  # from west to east
    assert {zones.zone_of(*k) for k in west} == {"zone-1"}
    assert {zones.zone_of(*k) for k in east} == {"zone-2"}
    area = sum(
        abs(
            sum(
                a[1] * b[0] - b[1] * a[0]
                for a, b in zip(z.outline, (*z.outline[1:], z.outline[0]), strict=True)
            )
        )
        / 2
        for z in zones.zones
    )
    assert area == pytest.approx(2.0)  # the cells tile the map's bounds


def test_one_suggested_zone_is_the_whole_city_and_too_few_kitchens_are_refused() -> None:
    assert suggest_zones([(0.0, 0.0)], 1, ((0.0, 0.0), (1.0, 1.0))).names == (WHOLE_CITY,)
    with pytest.raises(ZoneError, match="3 kitchens"):
        suggest_zones([(0.1, 0.1), (0.1, 0.1), (0.2, 0.2)], 3, ((0.0, 0.0), (1.0, 1.0)))


def test_an_order_is_planned_where_most_of_its_kitchens_are_the_first_on_a_tie() -> None:
    assert order_zone(["east"]) == "east"
    assert order_zone(["east", "west", "west"]) == "west"
    assert order_zone(["east", "west"]) == "east"
    assert order_zone(["west", "east", "east", "west"]) == "west"


KITCHEN_WEST = (0.5, 0.5)


def idle(courier_id: int, zone: str, lon: float) -> IdleCourier:
    return IdleCourier(courier_id, zone, (0.5, lon))


def test_a_zone_borrows_the_nearest_idle_courier_a_zone_can_spare() -> None:
    couriers = [idle(1, "east", 1.9), idle(2, "east", 1.1), idle(3, "north", 0.6)]
    # North has one idle courier: its reserve. East has two: it lends its nearer one.
    assert to_borrow("west", [KITCHEN_WEST], couriers, reserve=1) == [2]
    assert to_borrow("west", [KITCHEN_WEST], couriers, reserve=0) == [3]


def test_a_zone_borrows_one_courier_per_waiting_order_while_others_can_spare_them() -> None:
    couriers = [idle(1, "east", 1.9), idle(2, "east", 1.1), idle(3, "east", 1.5)]
    assert to_borrow("west", [KITCHEN_WEST] * 3, couriers, reserve=1) == [2, 3]
    assert to_borrow("west", [], couriers, reserve=0) == []


def test_a_zone_with_an_idle_courier_of_its_own_borrows_none() -> None:
    couriers = [idle(1, "east", 1.9), idle(2, "east", 1.1), idle(3, "west", 0.1)]
    assert to_borrow("west", [KITCHEN_WEST], couriers, reserve=0) == []


def test_a_lent_courier_goes_home_idle_once_nothing_waits() -> None:
    assert goes_home("west", "east", idle=True, waiting=0)
    assert not goes_home("west", "east", idle=True, waiting=1)  # still needed here
    assert not goes_home("west", "east", idle=False, waiting=0)  # food to carry
    assert not goes_home("east", "east", idle=True, waiting=0)  # at home already


def test_after_its_plan_a_zone_borrows_for_what_waits_or_sends_its_lent_couriers_home() -> None:
    lent_here = (idle(4, "west", 0.2), "east")
    spare_east = [(idle(1, "east", 1.9), "east"), (idle(2, "east", 1.1), "east")]
    # Its own idle courier (lent, but idle here) would take the order: nobody moves.
    assert lending_moves("west", [KITCHEN_WEST], [*spare_east, lent_here], reserve=1) == {}
    assert lending_moves("west", [KITCHEN_WEST], spare_east, reserve=1) == {2: ("east", "west")}
    # Nothing waits: the lent courier goes home, the others stay where they are.
    assert lending_moves("west", [], [*spare_east, lent_here], reserve=1) == {4: ("west", "east")}
