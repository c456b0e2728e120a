"""A zone's dispatcher and the database: which orders and couriers it plans, lending couriers.

The rules are dispatch.planning.zones'; here they are applied with conditional updates, so
two zones' dispatchers never both take an order or a courier: an order or shift is claimed
only while no zone holds it, and a courier changes zone only while nothing is planned for it,
with its row locked (the write-back of a plan locks it too, and checks its zone under the lock).
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.db import for_update
from api.models import (
    OPEN_ORDER_STATES,
    OPEN_ROUND_STATES,
    Courier,
    CourierShift,
    Order,
    Restaurant,
    Round,
    Stop,
    Ticket,
)
from api.services.outbox import DISPATCH_CHANNEL, Event, publish_all
from api.settings import Settings
from dispatch.planning.zones import IdleCourier, ZoneError, ZoneMap, lending_moves, order_zone

ZONE_EVENT = "courier.zone"
"""A courier lent to another zone or back home: every zone re-plans with it."""


def zone_map_for(settings: Settings) -> ZoneMap:
    """The zones of these settings: the configured file's, or one for the whole city."""
    if settings.dispatch_zones_file is None:
        return ZoneMap.whole_city()
    return _read(settings.dispatch_zones_file.resolve())


@cache
def _read(path: Path) -> ZoneMap:
    try:
        return ZoneMap.from_geojson(path.read_text(encoding="utf-8"))
    except (OSError, ZoneError) as error:
        raise ZoneError(f"CHAUD_DISPATCH_ZONES_FILE {path}: {error}") from error


def _unclaimed(column: Any, zones: ZoneMap) -> sa.ColumnElement[bool]:
    """No zone holds it, or one that is no longer configured."""
    return sa.or_(column.is_(None), column.not_in(zones.names))


def _has_open_stops(courier_id: Any) -> sa.Exists:
    return (
        sa.select(col(Stop.id))
        .join(Round, col(Round.id) == col(Stop.round_id))
        .where(
            Round.courier_id == courier_id,
            col(Round.status).in_(OPEN_ROUND_STATES),
            col(Stop.done_at).is_(None),
        )
        .exists()
    )


def _rows(result: sa.Result[Any]) -> int:
    """How many rows an UPDATE changed: 0 when its condition no longer held."""
    return int(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Claimed:
    orders: int
    shifts: int


def claim(session: Session, zones: ZoneMap, zone: str) -> Claimed:
    """Take the open orders and the started shifts that are this zone's and no zone's yet: an
    order by its kitchens, a shift by where its courier is. The caller commits."""
    shifts = 0
    rows = session.exec(
        select(CourierShift.id, Courier.lat, Courier.lon)
        .join(Courier, col(Courier.id) == col(CourierShift.courier_id))
        .where(
            col(CourierShift.ended_at).is_(None),
            _unclaimed(col(CourierShift.zone), zones),
            col(Courier.lat).is_not(None),
            col(Courier.lon).is_not(None),
        )
    ).all()
    for shift_id, lat, lon in rows:
        if lat is not None and lon is not None and zones.zone_of(lat, lon) == zone:
            shifts += _rows(
                session.execute(
                    sa.update(CourierShift)
                    .where(
                        col(CourierShift.id) == shift_id, _unclaimed(col(CourierShift.zone), zones)
                    )
                    .values(zone=zone, home_zone=zone)
                )
            )
    kitchens = session.exec(
        select(Ticket.order_id, Restaurant.lat, Restaurant.lon)
        .join(Order, col(Order.id) == col(Ticket.order_id))
        .join(Restaurant, col(Restaurant.id) == col(Ticket.restaurant_id))
        .where(col(Order.status).in_(OPEN_ORDER_STATES), _unclaimed(col(Order.zone), zones))
        .order_by(col(Ticket.order_id), col(Ticket.id))
    ).all()
    kitchen_zones: dict[int, list[str]] = {}
    for order_id, lat, lon in kitchens:
        kitchen_zones.setdefault(order_id, []).append(zones.zone_of(lat, lon))
    orders = 0
    for order_id, places in kitchen_zones.items():
        if order_zone(places) == zone:
            orders += _rows(
                session.execute(
                    sa.update(Order)
                    .where(col(Order.id) == order_id, _unclaimed(col(Order.zone), zones))
                    .values(zone=zone)
                )
            )
    return Claimed(orders, shifts)


def idle_couriers(session: Session) -> list[tuple[IdleCourier, str]]:
    """Couriers on shift in some zone with nothing planned, each with its home zone."""
    rows = session.execute(
        sa.select(
            col(Courier.id),
            col(Courier.lat),
            col(Courier.lon),
            col(CourierShift.zone),
            col(CourierShift.home_zone),
        )
        .join(CourierShift, col(CourierShift.courier_id) == col(Courier.id))
        .where(
            col(Courier.on_shift),
            col(CourierShift.ended_at).is_(None),
            col(CourierShift.zone).is_not(None),
            col(Courier.lat).is_not(None),
            sa.not_(_has_open_stops(col(Courier.id))),
        )
        .order_by(col(Courier.id))
    ).all()
    return [
        (IdleCourier(courier_id, zone, (lat, lon)), home or zone)
        for courier_id, lat, lon, zone, home in rows
        if courier_id is not None and zone is not None and lat is not None and lon is not None
    ]


def lend(session: Session, zone: str, waiting: list[int], reserve: int) -> list[Event]:
    """Borrow a courier for each order of this zone waiting for one, or send lent couriers home
    when none waits (dispatch.planning.zones). The caller commits; returns what it published."""
    idle = idle_couriers(session)
    first_kitchens = session.exec(
        select(Ticket.order_id, Restaurant.lat, Restaurant.lon)
        .join(Restaurant, col(Restaurant.id) == col(Ticket.restaurant_id))
        .where(col(Ticket.order_id).in_(waiting))
        .order_by(col(Ticket.order_id), col(Ticket.id))
    ).all()
    kitchens: dict[int, tuple[float, float]] = {}
    for order_id, lat, lon in first_kitchens:
        kitchens.setdefault(order_id, (lat, lon))
    waiting_kitchens = [kitchens[o] for o in waiting if o in kitchens]
    moves = lending_moves(zone, waiting_kitchens, idle, reserve)
    events: list[Event] = []
    for courier_id in sorted(moves):  # couriers locked by id, as every writer does
        source, target = moves[courier_id]
        session.exec(for_update(select(Courier).where(col(Courier.id) == courier_id))).one()
        moved = _rows(
            session.execute(
                sa.update(CourierShift)
                .where(
                    col(CourierShift.courier_id) == courier_id,
                    col(CourierShift.ended_at).is_(None),
                    col(CourierShift.zone) == source,
                    sa.not_(_has_open_stops(sa.literal(courier_id))),
                )
                .values(zone=target)
            )
        )
        if moved:
            events.append(
                (
                    DISPATCH_CHANNEL,
                    ZONE_EVENT,
                    {"courier_id": courier_id, "from": source, "to": target},
                )
            )
    publish_all(session, events)
    return events
