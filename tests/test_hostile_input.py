"""Input from anyone gets a 4xx naming the field, never a 500 (SQLite and PostgreSQL)."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.app import create_app
from api.clock import FixedClock
from api.dispatcher.worker import Dispatcher
from api.models import Courier, IdempotencyRecord, Order, User
from api.services import idempotency
from api.services.couriers import record_position
from api.settings import Settings, load_settings
from tests.accounts import dish_id, headers_for
from tests.databases import FRIDAY_EVENING, seeded_database
from tests.test_quotes import cart

NUL = "\x00"


def fields_of(response: Any) -> set[str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_input"
    return {problem["field"] for problem in body["detail"]}


def test_a_nul_character_anywhere_is_refused_naming_the_field(
    client: TestClient, session: Session, settings: Settings, clock: FixedClock
) -> None:
    customer = headers_for(session, settings, clock, "customer@chaud.demo")
    signup = {"email": "nul@example.org", "password": "a long pass phrase", "name": f"Eve{NUL}"}
    assert fields_of(client.post("/api/v1/auth/signup", json=signup)) == {"body.name"}
    token = client.post("/api/v1/auth/token", data={"username": f"a{NUL}b", "password": "x"})
    assert fields_of(token) == {"body.username"}
    body = cart(session, ("pho-turenne", "Nems (4)", 1))
    body["lines"][0]["note"] = f"no onions{NUL}"
    placed = client.post("/api/v1/orders", json=body, headers={**customer, "Idempotency-Key": "n"})
    assert fields_of(placed) == {"body.lines.0.note"}
    assert fields_of(client.get("/api/v1/dishes", params={"q": f"nem{NUL}"})) == {"query.q"}
    assert fields_of(client.get("/r/pho%00turenne")) == {"path"}
    address = {"label": f"home{NUL}", "address": "Rue Charlot", "lat": 48.8632, "lon": 2.3629}
    assert fields_of(client.post("/api/v1/me/addresses", json=address, headers=customer)) == {
        "body.label"
    }


def test_the_nul_guard_reads_every_kind_of_body(client: TestClient) -> None:
    shouting = client.post(
        "/api/v1/auth/token",
        content="username=a%00b&password=x",
        headers={"Content-Type": "Application/X-WWW-Form-Urlencoded"},
    )
    assert fields_of(shouting) == {"body.username"}
    multipart = client.post(
        "/api/v1/auth/token", data={"username": "a\x00b", "password": "x"}, files={"f": b"x"}
    )
    assert fields_of(multipart) == {"body"}
    deep = "[" * 10_000 + '"\\u0000"' + "]" * 10_000
    nested = client.post(
        "/api/v1/quotes", content=deep, headers={"Content-Type": "application/json"}
    )
    assert nested.status_code in (400, 422), nested.text


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00"])
def test_a_delivery_time_out_of_any_range_is_refused(
    client: TestClient, session: Session, moment: str
) -> None:
    body = cart(session, ("pho-turenne", "Nems (4)", 1), deliver_at=moment)
    assert fields_of(client.post("/api/v1/quotes", json=body)) == {"body.deliver_at"}


def test_lines_of_one_dish_add_up_to_the_cap(client: TestClient, session: Session) -> None:
    nems = dish_id(session, "pho-turenne", "Nems (4)")
    body = cart(session)
    body["lines"] = [{"dish_id": nems, "quantity": 50}, {"dish_id": nems, "quantity": 1}]
    assert fields_of(client.post("/api/v1/quotes", json=body)) == {"body.lines.1.quantity"}


def test_wildcards_in_a_search_are_letters(client: TestClient) -> None:
    assert client.get("/api/v1/dishes", params={"q": "%"}).json() == []
    assert client.get("/api/v1/dishes", params={"q": "_"}).json() == []
    assert client.get("/api/v1/dishes", params={"q": "nems"}).json() != []


def test_after_a_server_error_the_same_key_may_be_retried(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    customer = {
        **headers_for(session, settings, clock, "customer@chaud.demo"),
        "Idempotency-Key": "retry-me",
    }
    body = cart(session, ("pho-turenne", "Nems (4)", 1))

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug in the order path")

    with monkeypatch.context() as patched:
        patched.setattr("api.services.orders.create_order", broken)
        client_500 = TestClient(client.app, raise_server_exceptions=False)
        assert client_500.post("/api/v1/orders", json=body, headers=customer).status_code == 500
    again = client.post("/api/v1/orders", json=body, headers=customer)
    assert again.status_code == 201, again.text


def test_idempotency_keys_are_forgotten_after_a_day(
    session: Session, clock: FixedClock, client: TestClient, settings: Settings
) -> None:
    headers = headers_for(session, settings, clock, "customer@chaud.demo")
    body = cart(session, ("pho-turenne", "Nems (4)", 1))
    placed = client.post("/api/v1/orders", json=body, headers={**headers, "Idempotency-Key": "old"})
    assert placed.status_code == 201
    assert idempotency.purge_expired(session, clock.now() + timedelta(hours=23)) == 0
    assert idempotency.purge_expired(session, clock.now() + timedelta(hours=25)) == 1
    assert session.exec(select(IdempotencyRecord)).all() == []
    assert session.get(Order, placed.json()["id"]) is not None


def test_a_lost_database_answers_503_with_retry_after(tmp_path: Path) -> None:
    settings = load_settings(
        database_url="postgresql+psycopg://chaud@127.0.0.1:1/chaud", data_dir=tmp_path
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = client.get("/api/v1/restaurants")
    assert response.status_code == 503
    assert response.json()["error"] == "service_unavailable"
    assert response.headers["Retry-After"] == "5"


def test_the_dispatcher_forgets_keys_older_than_a_day(tmp_path: Path, graph_cache: Path) -> None:
    url = seeded_database("sqlite", tmp_path)
    settings = load_settings(database_url=url, data_dir=tmp_path, cache_dir=graph_cache)
    worker = Dispatcher(settings, clock=FixedClock(FRIDAY_EVENING))
    try:
        with Session(worker.engine) as session:
            user = session.exec(select(User).where(User.email == "customer@chaud.demo")).one()
            assert user.id is not None
            for key, age in (("old", timedelta(hours=25)), ("fresh", timedelta(hours=1))):
                session.add(
                    IdempotencyRecord(
                        user_id=user.id,
                        key=key,
                        request_hash="0" * 64,
                        created_at=FRIDAY_EVENING - age,
                    )
                )
            session.commit()
        worker.housekeeping()
        with Session(worker.engine) as session:
            kept = [r.key for r in session.exec(select(IdempotencyRecord)).all()]
        assert kept == ["fresh"]
    finally:
        worker.engine.dispose()


def test_the_dispatchers_own_plans_and_the_boards_events_do_not_call_for_a_plan(
    tmp_path: Path, graph_cache: Path
) -> None:
    """Each plan written publishes board events; were they news, the dispatcher would plan
    again at once, for ever. An order placed and an operator's step are news."""
    url = seeded_database("sqlite", tmp_path, (1,))
    settings = load_settings(database_url=url, data_dir=tmp_path, cache_dir=graph_cache)
    worker = Dispatcher(settings, clock=FixedClock(FRIDAY_EVENING))
    try:
        with Session(worker.engine) as session:
            courier = session.exec(select(Courier).where(col(Courier.on_shift))).first()
            assert courier is not None
            start = worker._news()[0]
            record_position(session, courier, 48.8646, 2.3700, FRIDAY_EVENING)
            session.commit()
        worker._last_event_id = start
        last, triggers = worker._news()
        assert last > start  # the board heard of the position...
        assert triggers == 0  # ...and the dispatcher does not plan for it
        worker.cycle()
        worker._last_event_id = last
        assert worker._news()[1] == 0
    finally:
        worker.engine.dispose()
