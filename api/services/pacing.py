"""Pacing: a kitchen's cap, and the courier pool's load.

A kitchen's pace cap: at most N orders ready in any quarter hour (`orders_per_quarter` on the
restaurant, set by the kitchen or the operator; 0: no cap).

Past the cap the quote does not refuse an order as soon as possible: it cooks it for the first
quarter with room, and the customer sees the later time. A booked time that falls in a full
quarter is refused with the first time every kitchen of the cart can meet. Placing the order
counts again under the kitchens' row locks, so two customers cannot both take the last place.

The courier pool: when the couriers on shift cannot carry more, the dispatcher's plan brings
the orders placed lately to their doors later than the kitchens allow, or leaves them without
a courier (dispatch.planning.promise); an order as soon as possible is promised that much
later, and the operator's board shows it.
"""

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Final

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.db import for_update
from api.errors import Conflict
from api.models import (
    ENDED_TICKET_STATES,
    OPEN_ORDER_STATES,
    Order,
    Restaurant,
    Stop,
    StopKind,
    Ticket,
)
from dispatch.planning.promise import PROMISE_MARGIN_S, PoolLoad, Waiting, pool_load
from dispatch.planning.zones import CURED_BY_A_COURIER

QUARTER: Final = timedelta(minutes=15)
LOOK_AHEAD: Final = 16
"""Quarters searched for room (four hours): past that the kitchen is booked for the evening."""


def quarter_of(moment: datetime) -> datetime:
    """The quarter hour the moment falls in (its start)."""
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    return moment - (moment - epoch) % QUARTER


def booked(
    session: Session, caps: Mapping[int, int], start: datetime
) -> Counter[tuple[int, datetime]]:
    """Live tickets of the capped kitchens due from the quarter of `start` on, per (kitchen,
    quarter)."""
    if not caps:
        return Counter()
    due = session.exec(
        select(Ticket.restaurant_id, Ticket.due_at).where(
            col(Ticket.restaurant_id).in_(caps),
            col(Ticket.due_at) >= quarter_of(start),
            col(Ticket.status).not_in(ENDED_TICKET_STATES),
        )
    ).all()
    return Counter((rid, quarter_of(at)) for rid, at in due if at is not None)


def has_room(rid: int, cap: int, moment: datetime, taken: Counter[tuple[int, datetime]]) -> bool:
    """The kitchen's quarter of this moment holds fewer orders than its cap."""
    return taken[(rid, quarter_of(moment))] < cap


def first_room(
    rid: int, cap: int, moment: datetime, taken: Counter[tuple[int, datetime]]
) -> datetime | None:
    """The moment itself if its quarter has room for one more of the kitchen's orders, else the
    start of the first quarter after it that has; None if none within LOOK_AHEAD."""
    if has_room(rid, cap, moment, taken):
        return moment
    quarter = quarter_of(moment)
    for _ in range(1, LOOK_AHEAD):
        quarter += QUARTER
        if has_room(rid, cap, quarter, taken):
            return quarter
    return None


def hold_places(session: Session, due: Mapping[int, datetime], caps: Mapping[int, int]) -> None:
    """At the order's write: lock the capped kitchens (in id order) and count again; a quarter
    filled since the quote answers 409."""
    capped = sorted(rid for rid in due if caps.get(rid, 0) > 0)
    if not capped:
        return
    session.exec(
        for_update(
            select(Restaurant.id).where(col(Restaurant.id).in_(capped)).order_by(col(Restaurant.id))
        )
    ).all()
    taken = booked(session, {rid: caps[rid] for rid in capped}, min(due[rid] for rid in capped))
    for rid in capped:
        if not has_room(rid, caps[rid], due[rid], taken):
            raise Conflict(
                {
                    "field": "lines",
                    "reason": "a kitchen of this cart has just filled that quarter hour: "
                    "ask for a new quote",
                }
            )


WITHOUT_A_COURIER: Final = frozenset(reason.value for reason in CURED_BY_A_COURIER)


def courier_pool(session: Session, now: datetime) -> PoolLoad:
    """The couriers' load from the last plans: the open orders as soon as possible, when each
    could arrive at the kitchens' pace and when its plan brings it (no courier: none)."""
    # When the plan brings it is its door stop's time, and only that: an order no plan has
    # put on a round yet carries the quote's estimate, which holds this very delay, and
    # reading it back made the delay feed on itself (a flood of orders drove promises to
    # the year 5400 and the date arithmetic over its edge).
    door = sa.and_(col(Stop.order_id) == col(Order.id), col(Stop.kind) == StopKind.DROPOFF)
    # Read on every quote: the five columns it needs, not whole orders.
    rows = session.execute(
        sa.select(
            col(Order.placed_at),
            col(Order.earliest_at),
            col(Order.promised_at),
            col(Order.unplaced_reason),
            col(Stop.eta),
        )
        .outerjoin(Stop, door)
        .where(col(Order.status).in_(OPEN_ORDER_STATES), col(Order.deliver_at).is_(None))
    ).all()

    def seconds(moment: datetime) -> int:
        return round((moment - now).total_seconds())

    margin = timedelta(seconds=PROMISE_MARGIN_S)
    waiting = [
        Waiting(
            placed_s=seconds(placed_at),
            # An order quoted before the pool was read: its promise less the quote's margin.
            earliest_s=seconds(earliest_at or promised_at - margin),
            planned_s=None
            if unplaced_reason in WITHOUT_A_COURIER or estimated_at is None
            else seconds(estimated_at),
        )
        for placed_at, earliest_at, promised_at, unplaced_reason, estimated_at in rows
    ]
    return pool_load(0, waiting)
