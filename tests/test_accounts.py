"""Sign-up, sign-in (rate-limited), who am I, saved addresses."""

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from limits import RateLimitItemPerMinute
from sqlmodel import Session

from api.app import create_app
from api.clock import FixedClock
from api.deps import get_read_session, get_session
from api.ratelimit import Limiter
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


AppWith = Callable[..., TestClient]


@pytest.fixture
def app_with(
    database_url: str,
    tmp_path: Path,
    graph_cache: Path,
    engine: sa.Engine,
    session: Session,
    clock: FixedClock,
) -> AppWith:
    """A client of an app with these settings changed, in the test's transaction."""

    def make(**overrides: object) -> TestClient:
        settings = load_settings(
            database_url=database_url, data_dir=tmp_path, cache_dir=graph_cache, **overrides
        )
        app = create_app(settings, engine=engine, clock=clock)
        app.dependency_overrides[get_session] = lambda: session
        app.dependency_overrides[get_read_session] = lambda: session
        return TestClient(app)

    return make


def test_sign_in_attempts_are_limited_per_address_whatever_the_emails(app_with: AppWith) -> None:
    with app_with(login_attempts_per_minute=3) as client:
        # Each guess on another (unknown) e-mail: throttled all the same.
        codes = [
            client.post(
                "/api/v1/auth/token", data={"username": f"who{n}@example.org", "password": "g"}
            ).status_code
            for n in range(4)
        ]
        assert codes == [401, 401, 401, 429]
        right = {"username": "customer@chaud.demo", "password": "chaud-demo"}
        limited = client.post("/api/v1/auth/token", data=right)
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1


def test_an_account_backs_off_after_failed_sign_ins(app_with: AppWith) -> None:
    with app_with(
        login_attempts_per_minute=100,
        login_failures_per_account_minute=3,
    ) as client:
        wrong = {"username": "customer@chaud.demo", "password": "guess"}
        codes = [client.post("/api/v1/auth/token", data=wrong).status_code for _ in range(3)]
        assert codes == [401, 401, 401]
        right = {"username": "customer@chaud.demo", "password": "chaud-demo"}
        waiting = client.post("/api/v1/auth/token", data=right)
        assert waiting.status_code == 429
        assert "this account" in waiting.json()["detail"]
        other = {"username": "operator@chaud.demo", "password": "chaud-demo"}
        assert client.post("/api/v1/auth/token", data=other).status_code == 200


def test_sign_ups_are_limited_per_address(app_with: AppWith) -> None:
    with app_with(signups_per_hour=2) as client:
        codes = [
            client.post(
                "/api/v1/auth/signup",
                json={
                    "email": f"new{n}@example.org",
                    "password": "a long pass phrase",
                    "name": "N",
                },
            ).status_code
            for n in range(3)
        ]
        assert codes == [201, 201, 429]


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password", "common"),
        ("12345678", "common"),
        ("        ", "Repeats"),
        ("mallory@example.org", "choose a longer phrase"),
        ("mallory1", "choose a longer phrase"),
    ],
)
def test_guessable_passwords_are_refused(client: TestClient, password: str, reason: str) -> None:
    body = {"email": "mallory@example.org", "password": password, "name": "Mallory"}
    response = client.post("/api/v1/auth/signup", json=body)
    assert response.status_code == 422, response.text
    (problem,) = response.json()["detail"]
    assert problem["field"] == "password"
    assert reason in problem["reason"]


def test_names_are_stripped(client: TestClient) -> None:
    body = {"email": "ann@example.org", "password": "a long pass phrase", "name": "  Ann  "}
    assert client.post("/api/v1/auth/signup", json=body).json()["name"] == "Ann"
    blank = {"email": "bob@example.org", "password": "a long pass phrase", "name": "   "}
    assert client.post("/api/v1/auth/signup", json=blank).status_code == 422


def test_the_limiter_counts_per_key_in_memory() -> None:
    limiter, rule = Limiter(), RateLimitItemPerMinute(2)
    assert [limiter.hit(rule, "a"), limiter.hit(rule, "a"), limiter.hit(rule, "b")] == [None] * 3
    wait = limiter.hit(rule, "a")
    assert wait is not None
    assert 1 <= wait <= 60


@pytest.mark.skipif(REDIS_URL is None, reason="CHAUD_TEST_REDIS_URL names no Redis to check")
def test_the_redis_limiter_is_shared_across_workers() -> None:
    assert REDIS_URL is not None
    key, rule = f"test-{uuid.uuid4()}", RateLimitItemPerMinute(2)
    first, second = Limiter(REDIS_URL), Limiter(REDIS_URL)
    assert [first.hit(rule, key), second.hit(rule, key)] == [None, None]
    assert first.hit(rule, key) is not None


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


def test_sign_in_waits_out_counters_that_do_not_answer(client: TestClient) -> None:
    # A Redis that refuses connections (nothing listens on port 9): the door stays shut,
    # and the client is told to come back rather than shown a 500.
    client.app.state.limiter = Limiter("redis://127.0.0.1:9/0")  # type: ignore[attr-defined]
    form = {"username": "customer@chaud.demo", "password": "chaud-demo"}
    response = client.post("/api/v1/auth/token", data=form)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "sign-in counters" in response.json()["detail"]
