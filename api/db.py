"""Engine and sessions for SQLite (embedded default) and PostgreSQL (scale-out)."""

import threading
import time
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import make_url

WRITE_OPTION = "chaud_writes"
PING_AFTER_IDLE_S = 10.0
_IDLE_SINCE = "chaud_idle_since"
SQLITE_WRITE_WAIT_S = 30.0
_HOLDS_WRITE_LOCK = "chaud_holds_write_lock"


def create_db_engine(database_url: str, **kwargs: Any) -> sa.Engine:
    """An engine tuned per backend; SQLite files get their folder created."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, **kwargs)
    return _postgres_engine(url, **kwargs)


def _postgres_engine(url: sa.URL, **kwargs: Any) -> sa.Engine:
    engine = sa.create_engine(url, **{"pool_size": 10, "max_overflow": 20, **kwargs})

    # Ping a pooled connection only when it sat idle: a ping on every checkout was a round
    # trip of its own several times per order. A connection that fails the ping is replaced.
    @sa.event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception as error:
            raise sa.exc.DisconnectionError(str(error)) from error

    return engine


def _sqlite_engine(url: sa.URL, **kwargs: Any) -> sa.Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    # Connections to a file are cheap: enough for every worker thread to hold one.
    engine = sa.create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=20,
        max_overflow=40,
        **kwargs,
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so that "begin" below decides.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.close()

    # One writer at a time is all SQLite allows. Queueing this process's writers on a lock
    # hands the database over at once; SQLite's own busy handler sleeps with a growing backoff
    # (up to 100 ms a try), which turned a few waiting writers into seconds of latency.
    writers = threading.Lock()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # A writer takes the write lock up front (IMMEDIATE): a deferred transaction that reads
        # and then writes fails at once with "database is locked" when another writer got in
        # between, which is how stock counts get oversold. Readers stay deferred, never waiting.
        if not connection.get_execution_options().get(WRITE_OPTION, False):
            connection.exec_driver_sql("BEGIN")
            return
        if not writers.acquire(timeout=SQLITE_WRITE_WAIT_S):
            raise sa.exc.OperationalError("BEGIN IMMEDIATE", None, TimeoutError("database busy"))
        connection.info[_HOLDS_WRITE_LOCK] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(connection)
            raise

    def _release(connection: sa.Connection) -> None:
        if connection.info.pop(_HOLDS_WRITE_LOCK, False):
            writers.release()

    sa.event.listen(engine, "commit", _release)
    sa.event.listen(engine, "rollback", _release)

    # Safety net: a connection that goes back to the pool, or is invalidated, while still
    # marked as the writer must not keep every other writer waiting.
    def _release_record(_dbapi_connection: Any, record: Any, *_: Any) -> None:
        if record is not None and record.info.pop(_HOLDS_WRITE_LOCK, False):
            writers.release()

    sa.event.listen(engine, "checkin", _release_record)
    sa.event.listen(engine, "invalidate", _release_record)
    return engine


@cache
def writer(engine: sa.Engine) -> sa.Engine:
    """The same engine and pool, for transactions that will write (one per engine)."""
    return engine.execution_options(**{WRITE_OPTION: True})


Select = TypeVar("Select", bound=sa.Select[Any])


def for_update(statement: Select) -> Select:
    """Lock the selected rows until commit and read them as committed now (not as this
    session last saw them). Callers lock couriers, then orders, then tickets, each by id:
    one order for every writer, so no two wait on each other crosswise. SQLite ignores the
    lock; it runs one writer at a time anyway."""
    return statement.with_for_update().execution_options(populate_existing=True)
