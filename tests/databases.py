"""Throw-away databases for tests: SQLite files, and PostgreSQL databases on a running server.

PostgreSQL is used when CHAUD_TEST_DATABASE_URL names a server (trust auth, any database to
connect to); an unreachable server fails the run, because a silent skip would hide it.
"""

import os
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import make_url
from sqlmodel import Session

from api import migrate
from api.db import create_db_engine, writer
from api.demo.seed import seed_demo, start_demo_shifts
from benchmarks import scratch_db

POSTGRES_ADMIN_URL = os.environ.get("CHAUD_TEST_DATABASE_URL") or None
REDIS_URL = os.environ.get("CHAUD_TEST_REDIS_URL") or None

BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_ADMIN_URL else [])]

# A Friday evening in Paris: every demo kitchen is open.
FRIDAY_EVENING = datetime(2026, 11, 27, 19, 30, tzinfo=ZoneInfo("Europe/Paris"))
STANDBY_COURIER = 12
"""On shift in every test database, so that a customer can order as soon as possible (no
courier, no promise: quotes refuse). Tests about dispatching say who rides (`only_on_shift`)."""


def create_postgres_database() -> str:
    """Create an empty database; returns its SQLAlchemy URL."""
    assert POSTGRES_ADMIN_URL is not None
    return scratch_db.create_postgres_database(POSTGRES_ADMIN_URL, f"chaud_test_{os.getpid()}")


def drop_postgres_database(database_url: str) -> None:
    assert POSTGRES_ADMIN_URL is not None
    assert (make_url(database_url).database or "").startswith("chaud_test_")
    scratch_db.drop_postgres_database(POSTGRES_ADMIN_URL, database_url)


def new_database(backend: str, folder: Path) -> str:
    """An empty database of the backend; SQLite files live in the given folder."""
    if backend == "sqlite":
        return f"sqlite:///{(folder / f'chaud-{uuid.uuid4().hex[:8]}.db').as_posix()}"
    return create_postgres_database()


def drop_database(backend: str, database_url: str) -> None:
    if backend == "postgresql":
        drop_postgres_database(database_url)


def seeded_database(
    backend: str, folder: Path, on_shift: Sequence[int] = (STANDBY_COURIER,)
) -> str:
    """A new database of the backend, migrated, holding the demo alliance, with these demo
    couriers on shift since the Friday evening."""
    url = new_database(backend, folder)
    migrate.upgrade(url)
    engine = create_db_engine(url)
    with Session(writer(engine)) as session:
        seed_demo(session)
        start_demo_shifts(session, on_shift, FRIDAY_EVENING, "Europe/Paris")
    engine.dispose()
    return url
