"""Engine behaviour: SQLite's queued writers, PostgreSQL's recovery from dropped connections."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from api import db
from api.db import create_db_engine, writer
from tests.databases import POSTGRES_ADMIN_URL, create_postgres_database, drop_postgres_database


def test_sqlite_writers_queue_instead_of_failing(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'queue.db'}")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE counter (n INTEGER)"))
        connection.execute(sa.text("INSERT INTO counter VALUES (0)"))

    def bump(_: int) -> None:
        with writer(engine).begin() as connection:
            n = connection.execute(sa.text("SELECT n FROM counter")).scalar_one()
            connection.execute(sa.text("UPDATE counter SET n = :n"), {"n": n + 1})

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(bump, range(200)))
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT n FROM counter")).scalar_one() == 200
    engine.dispose()


@pytest.mark.skipif(
    POSTGRES_ADMIN_URL is None, reason="CHAUD_TEST_DATABASE_URL names no PostgreSQL"
)
def test_a_dropped_postgres_connection_is_replaced_after_idling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)
    url = create_postgres_database()
    engine = create_db_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as connection:
            pid = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        admin = sa.make_url(url).set(drivername="postgresql", database="postgres")
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() != pid
    finally:
        engine.dispose()
        drop_postgres_database(url)


def test_an_invalidated_sqlite_writer_releases_the_write_queue(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'invalid.db'}")
    connection = writer(engine).connect()
    connection.begin()
    connection.invalidate()  # a broken connection: no commit, no rollback event
    with writer(engine).begin() as other:  # would wait 30 s if the queue were still held
        other.execute(sa.text("CREATE TABLE t (x INTEGER)"))
    engine.dispose()
