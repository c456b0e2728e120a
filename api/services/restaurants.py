"""Reading the alliance's restaurants."""

from collections.abc import Sequence

from sqlmodel import Session, col, select

from api.models import Restaurant


def list_restaurants(session: Session, *, limit: int, offset: int) -> Sequence[Restaurant]:
    """The alliance's restaurants, by name."""
    query = select(Restaurant).order_by(col(Restaurant.name), col(Restaurant.id))
    return session.exec(query.offset(offset).limit(limit)).all()
