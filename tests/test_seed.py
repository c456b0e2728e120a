"""The demo alliance: deterministic, complete, on real streets of the bundled extract."""

from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from api.cli import app as cli
from api.db import create_db_engine
from api.demo.seed import seed_demo
from api.models import Allergen, Courier, Dish, RelayKind, RelayPoint, Restaurant, Role, User
from api.security import verify_password

# The bundled extract's bounding box (dispatch/geo/data/osm/README.md).
MIN_LON, MIN_LAT, MAX_LON, MAX_LAT = 2.3514990, 48.8575570, 2.3807200, 48.8700000


def _inside_extract(lat: float, lon: float) -> bool:
    return MIN_LAT <= lat <= MAX_LAT and MIN_LON <= lon <= MAX_LON


def test_demo_alliance_has_the_promised_size(session: Session) -> None:
    restaurants = session.exec(select(Restaurant)).all()
    assert len(restaurants) >= 8
    for restaurant in restaurants:
        assert _inside_extract(restaurant.lat, restaurant.lon), restaurant.slug
        dishes = session.exec(select(Dish).where(Dish.restaurant_id == restaurant.id)).all()
        assert 6 <= len(dishes) <= 15, restaurant.slug
        assert all(dish.price_cents > 0 and dish.prep_minutes >= 0 for dish in dishes)

    relays = session.exec(select(RelayPoint)).all()
    assert len(relays) == 3
    assert all(relay.kind is RelayKind.TOBACCONIST for relay in relays)
    assert all(_inside_extract(relay.lat, relay.lon) for relay in relays)

    couriers = session.exec(select(Courier)).all()
    assert len(couriers) == 12
    assert {courier.vehicle for courier in couriers} == {"bike", "ebike", "scooter"}


def test_demo_accounts_exist_with_the_demo_password(session: Session) -> None:
    users = {user.email: user for user in session.exec(select(User)).all()}
    slugs = session.exec(select(Restaurant.slug)).all()
    expected = {
        "customer@chaud.demo": Role.CUSTOMER,
        "operator@chaud.demo": Role.OPERATOR,
        **{f"kitchen-{slug}@chaud.demo": Role.KITCHEN for slug in slugs},
        **{f"courier-{n}@chaud.demo": Role.COURIER for n in range(1, 13)},
    }
    assert {email: users[email].role for email in expected} == expected
    assert verify_password(users["customer@chaud.demo"].password_hash, "chaud-demo")
    assert not verify_password(users["customer@chaud.demo"].password_hash, "chaud-demo ")

    kitchen = users["kitchen-comptoir-oberkampf@chaud.demo"]
    restaurant = session.get(Restaurant, kitchen.restaurant_id)
    assert restaurant is not None
    assert restaurant.slug == "comptoir-oberkampf"


def test_allergens_are_the_fourteen_declared_ones(session: Session) -> None:
    declared = {allergen.value for allergen in Allergen}
    for allergens in session.exec(select(Dish.allergens)).all():
        assert set(allergens) <= declared


def test_seeding_twice_changes_nothing(session: Session) -> None:
    before = session.exec(select(func.count()).select_from(Dish)).one()
    result = seed_demo(session)
    assert not result.created
    assert session.exec(select(func.count()).select_from(Dish)).one() == before


def _dump(database_url: str) -> list[tuple[object, ...]]:
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            rows: list[tuple[object, ...]] = []
            for table in ("restaurants", "dishes", "relay_points", "couriers", "opening_hours"):
                result = connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))  # noqa: S608
                for row in result:
                    values = row._asdict()
                    values.pop("created_at", None)
                    rows.append(tuple(values.items()))
            emails = connection.execute(sa.text("SELECT id, email, role FROM users ORDER BY id"))
            rows += [tuple(row) for row in emails]
            return rows
    finally:
        engine.dispose()


def test_chaud_seed_demo_is_deterministic(tmp_path: Path) -> None:
    runner = CliRunner()
    dumps = []
    for run in ("first", "second"):
        url = f"sqlite:///{(tmp_path / f'{run}.db').as_posix()}"
        env = {"CHAUD_DATABASE_URL": url}
        assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
        result = runner.invoke(cli, ["seed", "--demo"], env=env)
        assert result.exit_code == 0, result.output
        assert "demo alliance created 10 restaurants" in result.output
        dumps.append(_dump(url))
    assert dumps[0] == dumps[1]
    assert len(dumps[0]) > 100


def test_seed_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    env = {"CHAUD_DATABASE_URL": f"sqlite:///{(tmp_path / 'empty.db').as_posix()}"}
    result = CliRunner().invoke(cli, ["seed", "--demo"], env=env)
    assert result.exit_code == 2
    assert "chaud db upgrade" in result.stderr
