"""Fixtures: every database test runs on SQLite and, when configured, on PostgreSQL.

Each backend's database is built once by the real migrations; each test then runs inside a
transaction that is rolled back, so tests see a clean demo alliance and leave nothing behind.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from api.clock import FixedClock
from api.db import create_db_engine
from api.deps import get_read_session, get_session
from api.settings import Settings, load_settings
from dispatch.geo.geography import Geography, load_geography
from dispatch.geo.maps import BUNDLED_MAP_DIR, BUNDLED_MAP_NAME
from dispatch.geo.profiles import DEFAULT_PROFILES
from tests.databases import (
    BACKENDS,
    FRIDAY_EVENING,
    POSTGRES_ADMIN_URL,
    REDIS_URL,
    drop_database,
    seeded_database,
)
from tests.live import LiveServer, live_server


def pytest_configure(config: pytest.Config) -> None:
    """In CI the PostgreSQL and Redis runs are owed: missing settings are a failure.

    The suite's couriers jump from stop to stop without reporting where they are, so the
    arrival radius is off unless a test sets it (tests/test_arrival_radius.py does)."""
    os.environ["CHAUD_ARRIVAL_RADIUS_M"] = ""
    if os.environ.get("CI") and not (POSTGRES_ADMIN_URL and REDIS_URL):
        raise pytest.UsageError(
            "CI is set but CHAUD_TEST_DATABASE_URL or CHAUD_TEST_REDIS_URL is not"
        )


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the dispatcher's search once, before any test starts a dispatcher process:
    they then load it from numba's cache instead of each compiling it under a deadline."""
    from dispatch.planning import rounds

    rounds.warm_up()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database holding the demo alliance, shared by the backend's tests."""
    url = seeded_database(backend, tmp_path_factory.mktemp(backend))
    yield url
    drop_database(backend, url)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: sa.Engine) -> Iterator[Session]:
    """A session whose work, commits included, is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture(scope="session")
def graph_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("graphs")


@pytest.fixture
def settings(database_url: str, tmp_path: Path, graph_cache: Path) -> Settings:
    return load_settings(database_url=database_url, data_dir=tmp_path, cache_dir=graph_cache)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(FRIDAY_EVENING)


@pytest.fixture
def client(
    settings: Settings, engine: sa.Engine, session: Session, clock: FixedClock
) -> Iterator[TestClient]:
    """The app, with every request served inside the test's rolled-back transaction."""
    app = create_app(settings, engine=engine, clock=clock)
    app.dependency_overrides[get_session] = lambda: session
    app.dependency_overrides[get_read_session] = lambda: session
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def geography(graph_cache: Path) -> Geography:
    """The bundled Paris map, every profile, built once into a throw-away cache."""
    return load_geography(BUNDLED_MAP_DIR, BUNDLED_MAP_NAME, graph_cache, DEFAULT_PROFILES)


@pytest.fixture
def sqlite_server(tmp_path: Path, graph_cache: Path) -> Iterator[LiveServer]:
    """A real uvicorn server on a fresh, seeded SQLite database, on the Friday-evening clock."""
    with live_server("sqlite", tmp_path, graph_cache, FixedClock(FRIDAY_EVENING)) as live:
        yield live
