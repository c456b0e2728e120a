"""Throw-away PostgreSQL databases on a running server, for benchmarks and tests."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url


def _admin_conninfo(admin_url: str) -> str:
    return make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_postgres_database(admin_url: str, prefix: str) -> str:
    """Create an empty database named with the prefix; returns its SQLAlchemy URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_conninfo(admin_url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(admin_url).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False)


def drop_postgres_database(admin_url: str, database_url: str) -> None:
    name = make_url(database_url).database
    assert name is not None
    with psycopg.connect(_admin_conninfo(admin_url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@contextmanager
def scratch_postgres(admin_url: str, prefix: str = "chaud_bench") -> Iterator[str]:
    """A new empty database for the block, dropped after it (even on failure)."""
    url = create_postgres_database(admin_url, prefix)
    try:
        yield url
    finally:
        drop_postgres_database(admin_url, url)
