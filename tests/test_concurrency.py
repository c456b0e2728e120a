"""Orders under concurrency, on a real server and a committed database (SQLite and PostgreSQL)."""

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session, func, select

from api.clock import FixedClock
from api.models import Dish, Order
from tests.databases import FRIDAY_EVENING
from tests.live import LiveServer, live_server

pytestmark = pytest.mark.slow
CLIENTS = 50


@pytest.fixture
def server(backend: str, tmp_path: Path, graph_cache: Path) -> Iterator[LiveServer]:
    with live_server(backend, tmp_path, graph_cache, FixedClock(FRIDAY_EVENING)) as live:
        yield live


def _dish(server: LiveServer, name: str) -> Dish:
    with Session(server.engine) as session:
        return session.exec(select(Dish).where(Dish.name == name)).one()


def _orders(server: LiveServer) -> int:
    with Session(server.engine) as session:
        return int(session.exec(select(func.count()).select_from(Order)).one())


def _post_all(
    server: LiveServer, bodies_and_keys: list[tuple[dict[str, Any], str]]
) -> list[httpx.Response]:
    headers = server.headers("customer@chaud.demo")
    with httpx.Client(base_url=server.url, timeout=60) as client:

        def post(item: tuple[dict[str, Any], str]) -> httpx.Response:
            body, key = item
            return client.post(
                "/api/v1/orders", json=body, headers={**headers, "Idempotency-Key": key}
            )

        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            return list(pool.map(post, bodies_and_keys))


def _body(dish: Dish) -> dict[str, Any]:
    return {
        "lines": [{"dish_id": dish.id, "quantity": 1}],
        "destination": {"lat": 48.863202, "lon": 2.362940, "address": "Rue Charlot"},
    }


def test_fifty_retries_of_one_key_make_one_order(server: LiveServer) -> None:
    body = _body(_dish(server, "Croque-monsieur"))
    responses = _post_all(server, [(body, "one-key")] * CLIENTS)
    codes = Counter(r.status_code for r in responses)
    assert set(codes) <= {201, 409}, codes
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    assert _orders(server) == 1


def test_ten_portions_are_sold_exactly_ten_times(server: LiveServer) -> None:
    dish = _dish(server, "Tarte Tatin")
    with server.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE dishes SET portions_left = 10 WHERE id = :id"), {"id": dish.id}
        )
    responses = _post_all(server, [(_body(dish), f"key-{i}") for i in range(CLIENTS)])
    codes = Counter(r.status_code for r in responses)
    assert codes == {201: 10, 422: 40}, codes
    refused = next(r for r in responses if r.status_code == 422).json()
    assert "Tarte Tatin" in refused["detail"][0]["reason"]
    assert _dish(server, "Tarte Tatin").portions_left == 0
    assert _orders(server) == 10
