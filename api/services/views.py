"""Read-only views of rows on the ordering hot path, read with Core (no ORM objects built).

A SQLAlchemy Row of a model's table has the model's attribute names, so it satisfies these
protocols as the model instances do; building thousands of ORM objects per second does not
fit the order path's budget.
"""

from collections.abc import Sequence
from datetime import time
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from api.models import Station


class HoursView(Protocol):
    @property
    def restaurant_id(self) -> int: ...
    @property
    def weekday(self) -> int: ...
    @property
    def opens(self) -> time: ...
    @property
    def closes(self) -> time: ...


class DishLabels(Protocol):
    """What a kitchen screen needs of a dish beside the order line."""

    @property
    def allergens(self) -> list[str]: ...
    @property
    def station(self) -> Station: ...


class DishView(DishLabels, Protocol):
    @property
    def id(self) -> int: ...
    @property
    def restaurant_id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def price_cents(self) -> int: ...
    @property
    def prep_minutes(self) -> int: ...
    @property
    def available(self) -> bool: ...
    @property
    def portions_left(self) -> int | None: ...


class RestaurantView(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def lat(self) -> float: ...
    @property
    def lon(self) -> float: ...
    @property
    def paused(self) -> bool: ...
    @property
    def busy_extra_minutes(self) -> int: ...
    @property
    def auto_accept(self) -> bool: ...


def table_rows(session: Session, model: type[SQLModel], *where: Any) -> Sequence[Any]:
    """Rows of a model's table (all columns), as light named tuples."""
    table = cast(sa.Table, model.__table__)  # type: ignore[attr-defined]
    return session.execute(sa.select(table).where(*where)).all()
