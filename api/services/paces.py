"""Kitchens' learned pace (dispatch.planning.prep), kept in `learned_paces`: refitted when one
of the kitchen's tickets is ready, read wherever a cooking time is planned (the quote, the
dispatcher's snapshot, the kitchen screen, the operator's report).

Busy mode is a nudge on top of the learned time, not a replacement: a kitchen that says it is
busy adds its extra minutes to whatever it has been learned to take.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from api.models import LearnedPace, Ticket, TicketStatus
from dispatch.planning.prep import DECLARED, WINDOW, Pace, PrepEstimate, PrepSample, fit_pace

K = TypeVar("K")

_PACES: sa.Table = LearnedPace.__table__  # type: ignore[attr-defined]


def paces(session: Session, restaurant_ids: Collection[int]) -> dict[int, Pace]:
    """Each kitchen's learned pace; one with none yet is taken at its word."""
    rows = session.exec(
        select(LearnedPace).where(col(LearnedPace.restaurant_id).in_(restaurant_ids))
    ).all()
    found = {
        row.restaurant_id: Pace(
            (row.median_a, row.median_b), (row.upper_a, row.upper_b), row.tickets
        )
        for row in rows
    }
    return {rid: found.get(rid, DECLARED) for rid in restaurant_ids}


def loads(session: Session, restaurant_ids: Collection[int]) -> dict[int, int]:
    """Each kitchen's tickets cooking now."""
    counted = dict(
        session.exec(
            select(Ticket.restaurant_id, func.count())
            .where(
                col(Ticket.restaurant_id).in_(restaurant_ids),
                Ticket.status == TicketStatus.PREPARING,
            )
            .group_by(col(Ticket.restaurant_id))
        ).all()
    )
    return {rid: int(counted.get(rid, 0)) for rid in restaurant_ids}


@dataclass(frozen=True)
class Part:
    """A kitchen's part of an order, to be given a cooking time."""

    restaurant_id: int
    declared_s: int
    load_at_start: int | None = None
    """The kitchen's tickets cooking when it started; None: not started, its load now."""


def cooking_times(
    session: Session, parts: Mapping[K, Part], busy_minutes: Mapping[int, int]
) -> dict[K, PrepEstimate]:
    """Each part's planned cooking time: its kitchen's learned pace at its load (when it
    started, or now), with the kitchen's busy-mode minutes on top (a nudge, not a
    replacement). Read by the quote and by the dispatcher's snapshot."""
    kitchens = {part.restaurant_id for part in parts.values()}
    learned = paces(session, kitchens)
    cooking_now = loads(session, kitchens)
    times = {}
    for key, part in parts.items():
        rid = part.restaurant_id
        load = part.load_at_start if part.load_at_start is not None else cooking_now[rid]
        estimate = learned[rid].estimate(part.declared_s, load)
        extra = busy_minutes[rid] * 60
        times[key] = PrepEstimate(estimate.median_s + extra, estimate.upper_s + extra)
    return times


def declared_s(ticket: Ticket) -> int:
    """What the kitchen declared for the ticket; its planned time for tickets from before
    declared times were recorded."""
    return (ticket.declared_minutes or ticket.prep_minutes) * 60


def note_start(session: Session, ticket: Ticket) -> None:
    """Record how many other tickets the kitchen had cooking as this one started. Two tickets
    started at the same moment may each miss the other: the load is a feature of an estimate,
    not a count anything is charged on."""
    ticket.load_at_start = int(
        session.exec(
            select(func.count())
            .select_from(Ticket)
            .where(
                Ticket.restaurant_id == ticket.restaurant_id,
                Ticket.status == TicketStatus.PREPARING,
                Ticket.id != ticket.id,
            )
        ).one()
    )


def refit(session: Session, restaurant_id: int, now: datetime) -> Pace:
    """Fit the kitchen's pace on its last closed tickets and store it (an upsert: two tickets
    ready at once each store a fit, the later one wins, and the next ticket reads both)."""
    rows = session.exec(
        select(Ticket.declared_minutes, Ticket.load_at_start, Ticket.started_at, Ticket.ready_at)
        .where(
            Ticket.restaurant_id == restaurant_id,
            col(Ticket.ready_at).is_not(None),
            col(Ticket.started_at).is_not(None),
            col(Ticket.load_at_start).is_not(None),
            col(Ticket.declared_minutes) > 0,
        )
        .order_by(col(Ticket.ready_at).desc(), col(Ticket.id).desc())
        .limit(WINDOW)
    ).all()
    samples = [
        PrepSample(declared * 60, load or 0, round((ready - started).total_seconds()))
        for declared, load, started, ready in reversed(rows)
        if started is not None and ready is not None
    ]
    pace = fit_pace(samples)
    values = {
        "restaurant_id": restaurant_id,
        "median_a": pace.median[0],
        "median_b": pace.median[1],
        "upper_a": pace.upper[0],
        "upper_b": pace.upper[1],
        "tickets": pace.tickets,
        "fitted_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(_PACES) if dialect == "postgresql" else sqlite.insert(_PACES)
    session.execute(
        insert.values(values).on_conflict_do_update(
            index_elements=["restaurant_id"],
            set_={k: v for k, v in values.items() if k != "restaurant_id"},
        )
    )
    return pace
