"""Throw-away databases for tests: SQLite files, and PostgreSQL databases on a running server.

PostgreSQL is used when CHAUD_TEST_DATABASE_URL names a server (trust auth, any database to
connect to); an unreachable server fails the run, because a silent skip would hide it.
"""

import os
import uuid
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url
from sqlmodel import Session

from api import migrate
from api.db import create_db_engine, writer
from api.demo.seed import seed_demo

POSTGRES_ADMIN_URL = os.environ.get("CHAUD_TEST_DATABASE_URL") or None
REDIS_URL = os.environ.get("CHAUD_TEST_REDIS_URL") or None

BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_ADMIN_URL else [])]


def _admin_conninfo() -> str:
    assert POSTGRES_ADMIN_URL is not None
    url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def create_postgres_database() -> str:
    """Create an empty database; returns its SQLAlchemy URL."""
    name = f"chaud_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_conninfo(), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    assert POSTGRES_ADMIN_URL is not None
    url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False)


def drop_postgres_database(database_url: str) -> None:
    name = make_url(database_url).database
    assert name is not None
    assert name.startswith("chaud_test_")
    with psycopg.connect(_admin_conninfo(), autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def new_database(backend: str, folder: Path) -> str:
    """An empty database of the backend; SQLite files live in the given folder."""
    if backend == "sqlite":
        return f"sqlite:///{(folder / f'chaud-{uuid.uuid4().hex[:8]}.db').as_posix()}"
    return create_postgres_database()


def drop_database(backend: str, database_url: str) -> None:
    if backend == "postgresql":
        drop_postgres_database(database_url)


def seeded_database(backend: str, folder: Path) -> str:
    """A new database of the backend, migrated and holding the demo alliance."""
    url = new_database(backend, folder)
    migrate.upgrade(url)
    engine = create_db_engine(url)
    with Session(writer(engine)) as session:
        seed_demo(session)
    engine.dispose()
    return url
