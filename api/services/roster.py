"""The couriers' weekly roster: who is planned out when, in the alliance's local time.

Read by the quote (a scheduled order's slot needs a courier planned then, once the alliance
keeps a roster) and by a shift's start (a shift started within a planned one ends with it).
"""

from collections.abc import Sequence
from datetime import datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.db import for_update
from api.errors import InvalidInput, NotFound
from api.models import Courier, RosterShift
from api.schemas.alliance import RosterPeriod


def covering(periods: Sequence[RosterShift], local: datetime) -> RosterShift | None:
    """The planned shift that holds a local moment, if any."""
    clock = local.time()
    for period in periods:
        if period.weekday == local.weekday() and period.starts <= clock < period.ends:
            return period
    return None


def of_courier(session: Session, courier_id: int) -> list[RosterShift]:
    if session.get(Courier, courier_id) is None:
        raise NotFound(f"no courier {courier_id}")
    return list(
        session.exec(
            select(RosterShift)
            .where(RosterShift.courier_id == courier_id)
            .order_by(col(RosterShift.weekday), col(RosterShift.starts))
        ).all()
    )


def planned_at(session: Session, moment: datetime, timezone: str) -> int | None:
    """How many couriers are planned at a moment; None while the alliance keeps no roster."""
    rows = session.exec(select(RosterShift)).all()
    if not rows:
        return None
    local = moment.astimezone(ZoneInfo(timezone))
    return len({r.courier_id for r in rows if covering([r], local) is not None})


def set_week(session: Session, courier_id: int, periods: Sequence[RosterPeriod]) -> None:
    """Replace a courier's week; periods of one day must not overlap. The courier's row is
    locked first: two replacements queue up instead of both writing (PostgreSQL)."""
    if session.exec(for_update(select(Courier).where(Courier.id == courier_id))).first() is None:
        raise NotFound(f"no courier {courier_id}")
    problems = []
    days: dict[int, list[tuple[time, time]]] = {}
    for i, period in enumerate(periods):
        starts, ends = time.fromisoformat(period.starts), time.fromisoformat(period.ends)
        if ends <= starts:
            problems.append({"field": f"periods.{i}.ends", "reason": "must be after starts"})
        if any(starts < b and a < ends for a, b in days.get(period.weekday, [])):
            problems.append({"field": f"periods.{i}", "reason": "overlaps another period"})
        days.setdefault(period.weekday, []).append((starts, ends))
    if problems:
        raise InvalidInput(problems)
    session.execute(sa.delete(RosterShift).where(col(RosterShift.courier_id) == courier_id))
    for period in periods:
        session.add(
            RosterShift(
                courier_id=courier_id,
                weekday=period.weekday,
                starts=time.fromisoformat(period.starts),
                ends=time.fromisoformat(period.ends),
            )
        )
    session.flush()
