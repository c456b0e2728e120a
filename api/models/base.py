"""Shared metadata settings and field helpers for every table."""

from typing import Any

from sqlmodel import Field, SQLModel

from api.db_types import UTCDateTime, utc_now

# Named constraints let Alembic alter and drop them, including in SQLite's batch mode.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def created_at_field() -> Any:
    return Field(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)


def moment_field(**kwargs: Any) -> Any:
    """A moment in time (UTC stored, aware in Python); optional unless nullable=False."""
    if kwargs.get("nullable") is False:
        return Field(sa_type=UTCDateTime, **kwargs)
    return Field(default=None, sa_type=UTCDateTime, **kwargs)


def id_field() -> Any:
    return Field(default=None, primary_key=True)
