"""Column types that behave the same on SQLite and PostgreSQL."""

import enum
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware datetimes, stored in UTC.

    PostgreSQL keeps the offset itself (timestamptz); SQLite has no such type, so values are
    normalised to UTC on the way in and tagged UTC on the way out. Naive values are refused:
    a naive time in a delivery platform is a bug waiting for the daylight-saving change.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_type(enum_class: type[enum.StrEnum], length: int | None = None) -> sa.Enum:
    """A VARCHAR column holding the enum's values: no native PostgreSQL type to migrate.
    ``length`` leaves room for values to come (by default, the longest value's)."""
    return sa.Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=length or max(len(member.value) for member in enum_class),
        values_callable=lambda members: [member.value for member in members],
    )


def utc_now() -> datetime:
    return datetime.now(UTC)
