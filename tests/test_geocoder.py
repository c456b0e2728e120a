"""Addresses down to the door, offline: the map's known doors, doors between them, the Paris
numbering rule where none is known, and a national address file imported for exact doors."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.services.addresses import import_ban
from dispatch.geo.doors import (
    DoorFinder,
    KnownDoor,
    Precision,
    parse_number,
    split_query,
    street_key,
)
from dispatch.geo.geography import Geography
from dispatch.geo.streets import StreetMatch

# A straight street running north from the Seine's side of Paris: 300 m, south to north.
NORTHWARD = StreetMatch(
    name="Rue du Test",
    lat=48.8620,
    lon=2.3600,
    segments=[[(48.8600, 2.3600), (48.8627, 2.3600)]],
)


def test_numbers_and_streets_are_read_as_people_write_them() -> None:
    assert parse_number("12") == (12, "12")
    assert parse_number("12 bis") == (12, "12 bis")
    assert parse_number("24b") == (24, "24B")
    assert parse_number("douze") is None
    assert split_query("12 bis rue Oberkampf") == ("12 bis", "rue Oberkampf")
    assert split_query("rue Oberkampf") == (None, "rue Oberkampf")
    assert street_key("R. Oberkampf") == street_key("rue oberkampf")


def test_with_no_known_door_numbers_start_at_the_seine_odd_on_the_left() -> None:
    finder = DoorFinder()
    one, two, forty = (finder.find(NORTHWARD, n) for n in ("1", "2", "40"))
    assert one.precision is Precision.ESTIMATED
    assert one.lat < forty.lat  # from the south end, the Seine's, going north
    assert one.lon < two.lon  # walking north, the odd side is the west (left)
    assert forty.lat - one.lat == pytest.approx(19 * 15 / 111_320, rel=0.05)  # 15 m a pair


def test_known_doors_win_and_place_the_others() -> None:
    known = [
        KnownDoor("Rue du Test", "10", 48.8620, 2.3601),
        KnownDoor("Rue du Test", "30", 48.8626, 2.3601),
    ]
    finder = DoorFinder(known)
    exact = finder.find(NORTHWARD, "10")
    assert (exact.precision, exact.lat) == (Precision.EXACT, 48.8620)
    between = finder.find(NORTHWARD, "20")
    assert between.precision is Precision.INTERPOLATED
    assert 48.8620 < between.lat < 48.8626
    assert finder.find(NORTHWARD, None).precision is Precision.STREET


def test_the_bundled_map_knows_its_doors(geography: Geography) -> None:
    assert geography.doors.known_count >= 53  # addr:housenumber of the original extract
    street = geography.streets.search("rue oberkampf", 1)[0]
    known = geography.doors.find(street, "105")
    assert known.precision is Precision.EXACT
    twelve = geography.doors.find(street, "12")
    # Rue Oberkampf's numbers start at its west end (boulevard des Filles du Calvaire).
    assert twelve.lon < known.lon


def test_autocomplete_answers_the_door(client: TestClient) -> None:
    found = client.get("/api/v1/geo/addresses", params={"q": "12 rue Oberk"}).json()
    assert found[0]["label"] == "12 Rue Oberkampf"
    assert found[0]["house_number"] == "12"
    assert found[0]["precision"] in ("interpolated", "estimated")
    streets = client.get("/api/v1/geo/addresses", params={"q": "rue Oberk"}).json()
    assert streets[0]["label"] == "Rue Oberkampf"
    assert streets[0]["precision"] == "street"


BAN = "\n".join(
    [
        "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;lon;lat",
        "75111_6869_00012;75111_6869;12;;Rue Oberkampf;75011;75111;Paris 11e;2.36861;48.86374",
        "75111_6869_00012_b;75111_6869;12;bis;Rue Oberkampf;75011;75111;Paris 11e;2.36866;48.86376",
        "75116_1_00001;75116_1;1;;Avenue Foch;75116;75116;Paris 16e;2.2950;48.8720",
        "75111_6869_00014;75111_6869;x;;Rue Oberkampf;75011;75111;Paris 11e;2.3687;48.8638",
    ]
)


def test_a_national_address_file_gives_exact_doors(
    client: TestClient, session: Session, geography: Geography, tmp_path: Path
) -> None:
    path = tmp_path / "adresses-75.csv"
    path.write_text(BAN, encoding="utf-8")
    report = import_ban(session, path, geography.bounds())
    assert (report.read, report.kept) == (4, 2)  # avenue Foch is off the map; "x" no number
    session.commit()
    found = client.get("/api/v1/geo/addresses", params={"q": "12 bis rue Oberkampf"}).json()
    assert (found[0]["label"], found[0]["precision"]) == ("12 bis Rue Oberkampf", "exact")
    assert (found[0]["lat"], found[0]["lon"]) == (48.86376, 2.36866)
    again = import_ban(session, path, geography.bounds())  # a new import replaces the last
    assert again.kept == 2


def test_a_file_that_is_not_the_ban_is_refused(
    session: Session, geography: Geography, tmp_path: Path
) -> None:
    path = tmp_path / "menu.csv"
    path.write_text("name,price\nSoup,5\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a BAN address file"):
        import_ban(session, path, geography.bounds())
