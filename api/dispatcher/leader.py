"""Exactly one active dispatcher per zone: whoever holds its lock plans; the others wait."""

import contextlib
import zlib
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from filelock import FileLock, Timeout

ADVISORY_LOCK_KEY = 0x43484155
"""First pg_advisory_lock key of every dispatcher ("CHAU"); the second is its zone's."""


def zone_key(zone: str) -> int:
    """The zone's advisory lock key: a stable 31-bit number from its name."""
    return zlib.crc32(zone.encode()) & 0x7FFFFFFF


class Leadership(Protocol):
    def try_acquire(self) -> bool:
        """Take the lead if nobody holds it; True if this process now leads."""
        ...

    def still_held(self) -> bool: ...

    def release(self) -> None: ...


class PostgresLeadership:
    """A session-level advisory lock on a connection of its own.

    PostgreSQL releases it when that connection ends, so a killed leader frees it at once.
    """

    def __init__(self, engine: sa.Engine, zone: str) -> None:
        self._engine = engine
        self._keys = {"key": ADVISORY_LOCK_KEY, "zone": zone_key(zone)}
        self._connection: sa.Connection | None = None

    def try_acquire(self) -> bool:
        if self._connection is None:
            self._connection = self._engine.connect()
        try:
            got = self._connection.execute(
                sa.text("SELECT pg_try_advisory_lock(:key, :zone)"), self._keys
            ).scalar_one()
            self._connection.commit()
        except sa.exc.DBAPIError:
            self._drop_connection()
            return False
        return bool(got)

    def still_held(self) -> bool:
        if self._connection is None:
            return False
        try:
            held = self._connection.execute(
                sa.text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND classid = CAST(:key AS oid) AND objid = CAST(:zone AS oid) "
                    "AND objsubid = 2 AND pid = pg_backend_pid() AND granted"
                ),
                self._keys,
            ).scalar_one()
            self._connection.commit()
        except sa.exc.DBAPIError:
            self._drop_connection()
            return False
        return bool(held)

    def release(self) -> None:
        self._drop_connection()

    def _drop_connection(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(sa.exc.DBAPIError):
                self._connection.close()
            self._connection = None


class FileLeadership:
    """An OS file lock beside the SQLite database: released by the OS when the process dies."""

    def __init__(self, path: Path) -> None:
        self._lock = FileLock(path)

    def try_acquire(self) -> bool:
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False
        return True

    def still_held(self) -> bool:
        return self._lock.is_locked

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release(force=True)


def leadership_for(engine: sa.Engine, sqlite_file: Path | None, zone: str) -> Leadership:
    """The lead of one zone's dispatchers."""
    if engine.dialect.name == "postgresql":
        return PostgresLeadership(engine, zone)
    if sqlite_file is None:
        raise ValueError("an in-memory SQLite database cannot be shared with a dispatcher")
    return FileLeadership(
        sqlite_file.with_name(f"{sqlite_file.name}.dispatcher.{zone_key(zone)}.lock")
    )
