"""Sign-up, sign-in (rate-limited), who am I, saved addresses."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from api.clock import FixedClock
from api.deps import get_read_session, get_session
from api.ratelimit import MemoryRateLimiter, RedisRateLimiter
from api.settings import Settings, load_settings
from tests.accounts import headers_for
from tests.databases import REDIS_URL


def test_sign_up_then_sign_in(client: TestClient) -> None:
    created = client.post(
        "/api/v1/auth/signup",
        json={"email": "Ada@Example.org", "password": "correct horse", "name": "Ada"},
    )
    assert created.status_code == 201, created.text
    assert created.json()["role"] == "customer"
    assert created.json()["email"] == "ada@example.org"
    token = client.post(
        "/api/v1/auth/token", data={"username": "ada@example.org", "password": "correct horse"}
    )
    assert token.status_code == 200
    assert token.json()["token_type"] == "bearer"
    me = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
    )
    assert me.json()["email"] == "ada@example.org"


def test_an_email_signs_up_once(client: TestClient) -> None:
    body = {"email": "twice@example.org", "password": "long enough", "name": "Twice"}
    assert client.post("/api/v1/auth/signup", json=body).status_code == 201
    again = client.post("/api/v1/auth/signup", json=body)
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": "long enough", "name": "X"}, "body.email"),
        ({"email": "a@example.org", "password": "short", "name": "X"}, "body.password"),
        ({"email": "a@example.org", "password": "long enough", "name": ""}, "body.name"),
        (
            {"email": "a@example.org", "password": "long enough", "name": "X", "role": "operator"},
            "body.role",
        ),
    ],
)
def test_bad_sign_ups_name_the_field(client: TestClient, body: dict[str, str], field: str) -> None:
    response = client.post("/api/v1/auth/signup", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == field


def test_a_wrong_password_is_401(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/token", data={"username": "customer@chaud.demo", "password": "nope"}
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_bad_token_is_401(client: TestClient) -> None:
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert client.get("/api/v1/me").status_code == 401


def test_an_expired_token_is_401(
    client: TestClient, session: Session, settings: Settings, clock: FixedClock
) -> None:
    headers = headers_for(session, settings, clock, "customer@chaud.demo")
    clock.moment = clock.moment.replace(hour=23)  # tokens from headers_for last an hour
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_sign_in_attempts_are_limited(
    database_url: str,
    tmp_path: Path,
    graph_cache: Path,
    engine: sa.Engine,
    session: Session,
    clock: FixedClock,
) -> None:
    settings = load_settings(
        database_url=database_url,
        data_dir=tmp_path,
        cache_dir=graph_cache,
        login_attempts_per_minute=3,
    )
    app = create_app(settings, engine=engine, clock=clock)
    app.dependency_overrides[get_session] = lambda: session
    app.dependency_overrides[get_read_session] = lambda: session
    with TestClient(app) as client:
        wrong = {"username": "customer@chaud.demo", "password": "guess"}
        codes = [client.post("/api/v1/auth/token", data=wrong).status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        limited = client.post("/api/v1/auth/token", data=wrong)
        assert int(limited.headers["Retry-After"]) >= 1


def test_the_memory_limiter_counts_per_key() -> None:
    limiter = MemoryRateLimiter(limit=2, window_s=60)
    assert [limiter.hit("a"), limiter.hit("a"), limiter.hit("b")] == [None, None, None]
    assert limiter.hit("a") is not None


@pytest.mark.skipif(REDIS_URL is None, reason="CHAUD_TEST_REDIS_URL names no Redis to check")
def test_the_redis_limiter_is_shared_across_workers() -> None:
    import uuid

    from redis import Redis

    assert REDIS_URL is not None
    key = f"test-{uuid.uuid4()}"
    first = RedisRateLimiter(Redis.from_url(REDIS_URL), limit=2, window_s=60)
    second = RedisRateLimiter(Redis.from_url(REDIS_URL), limit=2, window_s=60)
    assert [first.hit(key), second.hit(key)] == [None, None]
    assert first.hit(key) is not None


def test_addresses_are_the_customers_own(
    client: TestClient, session: Session, settings: Settings, clock: FixedClock
) -> None:
    camille = headers_for(session, settings, clock, "customer@chaud.demo")
    home = client.get("/api/v1/me/addresses", headers=camille).json()
    assert [a["label"] for a in home] == ["Home"]
    added = client.post(
        "/api/v1/me/addresses",
        json={"label": "Work", "address": "Rue Oberkampf", "lat": 48.864817, "lon": 2.373368},
        headers=camille,
    )
    assert added.status_code == 201
    far = client.post(
        "/api/v1/me/addresses",
        json={"label": "Away", "address": "Buttes-Chaumont", "lat": 48.8809, "lon": 2.3828},
        headers=camille,
    )
    assert far.status_code == 422
    client.post(
        "/api/v1/auth/signup",
        json={"email": "eve@example.org", "password": "long enough", "name": "Eve"},
    )
    eve = headers_for(session, settings, clock, "eve@example.org")
    assert client.get("/api/v1/me/addresses", headers=eve).json() == []
    assert (
        client.delete(f"/api/v1/me/addresses/{added.json()['id']}", headers=eve).status_code == 404
    )
    assert (
        client.delete(f"/api/v1/me/addresses/{added.json()['id']}", headers=camille).status_code
        == 204
    )
