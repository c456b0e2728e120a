"""Couriers at work: shifts, positions, and the stops of their round done one after another."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.db import for_update
from api.errors import Conflict, InvalidInput, NotFound
from api.models import (
    OPEN_ROUND_STATES,
    Courier,
    CourierPosition,
    CourierShift,
    DestinationKind,
    Order,
    OrderStatus,
    RelayPoint,
    Restaurant,
    Round,
    RoundStatus,
    Stop,
    StopKind,
    Ticket,
    TicketStatus,
    Vehicle,
)
from api.schemas.couriers import (
    RoundPublic,
    ShiftPublic,
    ShiftState,
    ShiftSummary,
    StopAction,
    StopPublic,
)
from api.schemas.doors import display_phone, door_line, street_line
from api.services import ledger, payments, roster
from api.services.kitchen import announce_ticket
from api.services.ops_board import touch
from api.services.orders import lock_order, mark_delivered, refresh_order_status
from api.services.outbox import (
    courier_channel,
    operator_channel,
    order_channel,
    publish,
    publish_all,
)
from api.services.roster import covering
from api.settings import Settings
from dispatch.geo.drawing import ATTRIBUTION
from dispatch.geo.geography import Geography
from dispatch.geo.projection import haversine_m

FALLBACK_SHIFT = timedelta(hours=4)
"""A shift started after the courier's usual end lasts this long."""


def courier_of(session: Session, user_id: int) -> Courier:
    courier = session.exec(select(Courier).where(Courier.user_id == user_id)).first()
    if courier is None:
        raise NotFound("this account has no courier profile")
    return courier


def lock_courier(session: Session, courier: Courier) -> Courier:
    """Lock the courier's row and read it as committed now: the first lock a courier's move
    takes (then the order's, see lock_order), so its shift and stops change one move at a time.
    """
    return session.exec(for_update(select(Courier).where(Courier.id == courier.id))).one()


def _open_shift(session: Session, courier: Courier) -> CourierShift | None:
    return session.exec(
        select(CourierShift).where(
            CourierShift.courier_id == courier.id, col(CourierShift.ended_at).is_(None)
        )
    ).first()


def _shift_public(courier: Courier, shift: CourierShift) -> ShiftPublic:
    return ShiftPublic(
        courier_id=shift.courier_id,
        on_shift=courier.on_shift,
        vehicle=shift.vehicle,
        started_at=shift.started_at,
        planned_end_at=shift.planned_end_at,
        ended_at=shift.ended_at,
    )


@dataclass(frozen=True)
class PayRule:
    """What a courier earns for a shift, in cents: so much per order brought to a door or a
    relay shop, and never less than a guaranteed minimum per hour of shift (the MDRP
    instances' rule: the larger of the two)."""

    hour_cents: int
    drop_cents: int

    @classmethod
    def of(cls, settings: Settings) -> "PayRule":
        return cls(settings.courier_pay_hour_cents, settings.courier_pay_drop_cents)

    def earned(self, minutes: int, deliveries: int) -> int:
        return max(minutes * self.hour_cents // 60, deliveries * self.drop_cents)


def shift_history(
    session: Session, courier: Courier, now: datetime, limit: int, pay: PayRule
) -> list[ShiftSummary]:
    """The courier's last shifts, newest first, with what was done in each."""
    shifts = session.exec(
        select(CourierShift)
        .where(CourierShift.courier_id == courier.id)
        .order_by(col(CourierShift.started_at).desc(), col(CourierShift.id).desc())
        .limit(limit)
    ).all()
    if not shifts:
        return []
    done = session.exec(
        select(Stop.kind, Stop.done_at, Stop.off_site_reason)
        .join(Round, col(Round.id) == col(Stop.round_id))
        .where(
            Round.courier_id == courier.id,
            col(Stop.done_at) >= min(s.started_at for s in shifts),
        )
    ).all()
    summaries = []
    for shift in shifts:
        end = shift.ended_at or now
        steps = [s for s in done if s[1] is not None and shift.started_at <= s[1] <= end]
        minutes = int((end - shift.started_at).total_seconds() // 60)
        deliveries = sum(1 for kind, _, _ in steps if kind is StopKind.DROPOFF)
        summaries.append(
            ShiftSummary(
                started_at=shift.started_at,
                ended_at=shift.ended_at,
                vehicle=shift.vehicle,
                minutes=minutes,
                pickups=sum(1 for kind, _, _ in steps if kind is StopKind.PICKUP),
                deliveries=deliveries,
                off_site_steps=sum(1 for _, _, why in steps if why),
                earned_cents=pay.earned(minutes, deliveries),
            )
        )
    return summaries


def shift_state(session: Session, courier: Courier) -> ShiftState:
    shift = _open_shift(session, courier)
    return ShiftState(
        on_shift=courier.on_shift, shift=_shift_public(courier, shift) if shift else None
    )


def _move(session: Session, courier: Courier, lat: float, lon: float, now: datetime) -> None:
    assert courier.id is not None
    courier.lat, courier.lon, courier.position_at = lat, lon, now
    session.add(courier)
    session.add(CourierPosition(courier_id=courier.id, lat=lat, lon=lon, at=now))
    touch(session, couriers=[courier.id])
    _tell_customers_carried(session, courier, now)


def _tell_customers_carried(session: Session, courier: Courier, now: datetime) -> None:
    """The customers whose food the courier carries follow it on their order page."""
    carried = session.exec(
        select(Stop.order_id)
        .join(Round, col(Round.id) == col(Stop.round_id))
        .join(Order, col(Order.id) == col(Stop.order_id))
        .where(
            Round.courier_id == courier.id,
            col(Round.status).in_(OPEN_ROUND_STATES),
            Stop.kind == StopKind.DROPOFF,
            col(Stop.done_at).is_(None),
            Order.status == OrderStatus.OUT_FOR_DELIVERY,
        )
        .order_by(col(Stop.order_id))
    ).all()
    position = {"lat": courier.lat, "lon": courier.lon, "at": now.isoformat()}
    publish_all(
        session,
        [(order_channel(o), "courier.moved", {"order_id": o, **position}) for o in carried],
    )


def start_shift(
    session: Session,
    courier: Courier,
    lat: float,
    lon: float,
    vehicle: Vehicle | None,
    now: datetime,
    timezone: str,
) -> ShiftPublic:
    courier = lock_courier(session, courier)
    if courier.on_shift or _open_shift(session, courier) is not None:
        raise Conflict({"reason": "the shift has already started", "current_status": "on_shift"})
    assert courier.id is not None
    local = now.astimezone(ZoneInfo(timezone))
    usual_end = local.replace(
        hour=courier.usual_shift_ends.hour,
        minute=courier.usual_shift_ends.minute,
        second=0,
        microsecond=0,
    )
    planned_end = usual_end if usual_end > local + timedelta(minutes=30) else local + FALLBACK_SHIFT
    rostered = covering(roster.of_courier(session, courier.id), local)
    if rostered is not None:  # a shift started within a planned one ends with it
        planned_end = local.replace(
            hour=rostered.ends.hour, minute=rostered.ends.minute, second=0, microsecond=0
        )
    shift = CourierShift(
        courier_id=courier.id,
        vehicle=vehicle or courier.vehicle,
        started_at=now,
        planned_end_at=planned_end,
    )
    courier.on_shift = True
    courier.vehicle = shift.vehicle
    _move(session, courier, lat, lon, now)
    session.add(shift)
    publish(
        session, courier_channel(courier.id), "courier.shift_started", {"courier_id": courier.id}
    )
    session.flush()
    return _shift_public(courier, shift)


def end_shift(session: Session, courier: Courier, now: datetime, pay: PayRule) -> ShiftPublic:
    """End the shift; stops not yet done go back to the dispatcher. Not with food on board."""
    courier = lock_courier(session, courier)
    shift = _open_shift(session, courier)
    if shift is None or not courier.on_shift:
        raise Conflict({"reason": "no shift in progress", "current_status": "off_shift"})
    assert courier.id is not None
    stops = _round_stops(session, courier)
    carrying = [
        s
        for s in stops
        if s.kind is StopKind.DROPOFF
        and s.done_at is None
        and any(p.kind is StopKind.PICKUP and p.done_at and p.order_id == s.order_id for p in stops)
    ]
    if carrying:
        raise Conflict(
            {
                "reason": "deliver the food on board before ending the shift",
                "current_status": "carrying",
            }
        )
    for stop in stops:
        if stop.done_at is None:
            session.delete(stop)
    session.flush()
    for round_ in _open_rounds(session, courier):
        close_if_done(session, round_, now)
    shift.ended_at = now
    courier.on_shift = False
    session.add(shift)
    session.flush()
    # The shift's pay, as its summary counts it, journalled when it ends.
    [summary] = shift_history(session, courier, now, 1, pay)
    ledger.record_shift_pay(session, courier.id, summary, now)
    session.add(courier)
    # Orders pinned to the courier go back to the dispatcher (and the board hears of them).
    unpinned = session.execute(
        sa.update(_ORDERS)
        .where(_ORDERS.c.pinned_courier_id == courier.id)
        .values(pinned_courier_id=None)
        .returning(_ORDERS.c.id)
    ).scalars()
    touch(session, orders=list(unpinned))
    publish(session, courier_channel(courier.id), "courier.shift_ended", {"courier_id": courier.id})
    session.flush()
    return _shift_public(courier, shift)


def record_position(
    session: Session, courier: Courier, lat: float, lon: float, now: datetime
) -> None:
    courier = lock_courier(session, courier)  # not after the shift's end, even by a hair
    if not courier.on_shift:
        raise Conflict(
            {"reason": "positions are taken during a shift", "current_status": "off_shift"}
        )
    _move(session, courier, lat, lon, now)
    session.flush()


def _open_rounds(session: Session, courier: Courier) -> list[Round]:
    return list(
        session.exec(
            select(Round)
            .where(Round.courier_id == courier.id, col(Round.status).in_(OPEN_ROUND_STATES))
            .order_by(col(Round.id))
        ).all()
    )


def _round_stops(session: Session, courier: Courier) -> list[Stop]:
    return list(
        session.exec(
            select(Stop)
            .join(Round, col(Round.id) == col(Stop.round_id))
            .where(Round.courier_id == courier.id, col(Round.status).in_(OPEN_ROUND_STATES))
            .order_by(col(Round.id), col(Stop.position), col(Stop.id))
        ).all()
    )


def current_round(session: Session, courier: Courier, geography: Geography) -> RoundPublic:
    """The courier's round: stops in order, the next one, and the streets to ride."""
    assert courier.id is not None
    rounds = _open_rounds(session, courier)
    stops = _round_stops(session, courier)
    remaining = [s for s in stops if s.done_at is None]
    geometry: list[list[tuple[float, float]]] = []
    if remaining and courier.lat is not None and courier.lon is not None:
        profile = (shift.vehicle.value) if (shift := _open_shift(session, courier)) else "bike"
        points = geography.snap(
            profile,
            [courier.lat, *[s.lat for s in remaining]],
            [courier.lon, *[s.lon for s in remaining]],
        )
        geometry = [leg.polyline for leg in geography.route(profile, points)]
    return RoundPublic(
        round_id=rounds[0].id if rounds else None,
        courier_id=courier.id,
        plan_version=max((r.plan_version for r in rounds), default=0),
        next_stop_id=remaining[0].id if remaining else None,
        stops=_describe(session, stops),
        geometry=geometry,
        attribution=ATTRIBUTION,
    )


def _describe(session: Session, stops: list[Stop]) -> list[StopPublic]:
    tickets = {
        t.id: t
        for t in session.exec(
            select(Ticket).where(col(Ticket.id).in_([s.ticket_id for s in stops if s.ticket_id]))
        ).all()
    }
    restaurants = {
        r.id: r
        for r in session.exec(
            select(Restaurant).where(
                col(Restaurant.id).in_({t.restaurant_id for t in tickets.values()})
            )
        ).all()
    }
    orders = {
        o.id: o
        for o in session.exec(
            select(Order).where(col(Order.id).in_({s.order_id for s in stops}))
        ).all()
    }
    relays = {
        r.id: r
        for r in session.exec(
            select(RelayPoint).where(
                col(RelayPoint.id).in_({o.relay_point_id for o in orders.values()})
            )
        ).all()
    }
    described = []
    for stop in stops:
        assert stop.id is not None
        order = orders[stop.order_id]
        restaurant_id = None
        door: dict[str, str] = {}
        if stop.kind is StopKind.PICKUP and stop.ticket_id in tickets:
            ticket = tickets[stop.ticket_id]
            restaurant = restaurants[ticket.restaurant_id]
            restaurant_id = restaurant.id
            where = f"{restaurant.name}, {restaurant.address}"
            text = f"Collect order #{order.id}'s bag at {where}"
        elif order.destination_kind is DestinationKind.RELAY_POINT:
            relay = relays.get(order.relay_point_id)
            where = f"{relay.name}, {relay.address}" if relay else "the relay point"
            text = f"Hand order #{order.id} over at {where}: the shop confirms it received it"
        else:
            where = street_line(order.house_number, order.address) or "the pin on the map"
            text = f"Deliver order #{order.id} to {where}"
            if line := door_line(order.floor, order.door_code):
                text += f" ({line})"
            door = {
                "floor": order.floor,
                "door_code": order.door_code,
                "notes": order.address_notes,
                # Only while the courier carries the food: not before, never after.
                "phone": display_phone(order.phone)
                if order.status is OrderStatus.OUT_FOR_DELIVERY
                else "",
            }
        described.append(
            StopPublic(
                id=stop.id,
                kind=stop.kind,
                order_id=stop.order_id,
                restaurant_id=restaurant_id,
                lat=stop.lat,
                lon=stop.lon,
                eta=stop.eta,
                leave_at=stop.leave_at,
                instructions=text,
                address=where,
                **door,
                shop_confirms=stop.kind is StopKind.DROPOFF
                and order.destination_kind is DestinationKind.RELAY_POINT,
                arrived_at=stop.arrived_at,
                done_at=stop.done_at,
            )
        )
    return described


def close_if_done(session: Session, round_: Round, now: datetime) -> None:
    """A round with no stop left goes; one whose stops are all done is completed."""
    stops = session.exec(select(Stop).where(Stop.round_id == round_.id)).all()
    if not stops:
        session.delete(round_)
    elif all(s.done_at is not None for s in stops):
        round_.status, round_.completed_at = RoundStatus.COMPLETED, now
        session.add(round_)


def _next_stop(session: Session, courier: Courier, stop_id: int) -> tuple[Stop, list[Stop]]:
    """The stop, if it is this courier's and the next one to do; 404 or 409 otherwise."""
    stops = _round_stops(session, courier)
    stop = next((s for s in stops if s.id == stop_id), None)
    if stop is None:
        raise NotFound(f"no stop {stop_id} in your round")
    if stop.done_at is not None:
        raise Conflict({"reason": "this stop is already done", "current_status": "done"})
    first_undone = next(s for s in stops if s.done_at is None)
    if first_undone.id != stop.id:
        raise Conflict(
            {
                "reason": f"stop {first_undone.id} comes first",
                "current_status": "not_next",
                "next_stop_id": first_undone.id,
            }
        )
    return stop, stops


_ORDERS: sa.Table = Order.__table__  # type: ignore[attr-defined]


def _activate(session: Session, stop: Stop) -> None:
    round_ = session.get(Round, stop.round_id)
    if round_ is not None and round_.status is RoundStatus.PLANNED:
        round_.status = RoundStatus.ACTIVE
        session.add(round_)


@dataclass(frozen=True)
class Nearness:
    """Where the courier says it is, and how near a stop it must be (None: no check)."""

    action: StopAction | None
    radius_m: float | None


def _check_near(
    session: Session, courier: Courier, stop: Stop, near: Nearness, now: datetime
) -> None:
    """At the stop, or a reason: the operator sees how far and why (a customer met on the
    corner, a door the map places wrong). A position sent with the step moves the courier."""
    action = near.action or StopAction()
    if action.lat is not None and action.lon is not None:
        _move(session, courier, action.lat, action.lon, now)
    if near.radius_m is None:
        return
    distance = (
        round(float(haversine_m(courier.lat, courier.lon, stop.lat, stop.lon)))
        if courier.lat is not None and courier.lon is not None
        else None
    )
    if distance is not None and distance <= near.radius_m:
        return
    where = f"{distance} m from this stop" if distance is not None else "not located"
    if not action.reason:
        raise InvalidInput(
            [
                {
                    "field": "reason",
                    "reason": f"You are {where} (more than {near.radius_m:.0f} m): come "
                    "closer, or say why",
                }
            ]
        )
    stop.off_site_m, stop.off_site_reason = distance, action.reason
    session.add(stop)
    publish(
        session,
        operator_channel(stop.order_id),
        "stop.off_site",
        {"order_id": stop.order_id, "stop_id": stop.id, "metres": distance, "at": now.isoformat()},
    )
    touch(session, orders=[stop.order_id])


def arrive(
    session: Session,
    courier: Courier,
    stop_id: int,
    now: datetime,
    near: Nearness = Nearness(None, None),
) -> None:
    courier = lock_courier(session, courier)
    stop, _ = _next_stop(session, courier, stop_id)
    _check_near(session, courier, stop, near, now)
    if stop.arrived_at is None:
        stop.arrived_at = now
        session.add(stop)
        _activate(session, stop)
    session.flush()


def complete(
    session: Session,
    courier: Courier,
    stop_id: int,
    now: datetime,
    near: Nearness = Nearness(None, None),
) -> None:
    """A pickup hands the kitchen's bag over; a drop-off delivers the order."""
    courier = lock_courier(session, courier)
    stop, _ = _next_stop(session, courier, stop_id)
    _check_near(session, courier, stop, near, now)
    order, tickets = lock_order(session, stop.order_id)
    assert courier.id is not None
    if order.status is OrderStatus.CANCELLED:
        raise Conflict({"reason": "this order was cancelled", "current_status": "cancelled"})
    if stop.kind is StopKind.PICKUP:
        ticket = next((t for t in tickets if t.id == stop.ticket_id), None)
        assert ticket is not None
        if ticket.status is not TicketStatus.READY:
            raise Conflict(
                {
                    "reason": "the kitchen has not marked this bag ready",
                    "current_status": ticket.status.value,
                }
            )
        ticket.status, ticket.picked_up_at = TicketStatus.PICKED_UP, now
        session.add(ticket)
        session.flush()
        announce_ticket(session, ticket)
        refresh_order_status(session, order, now)
    else:
        if order.destination_kind is DestinationKind.RELAY_POINT:
            # The shop says it has the parcel, on its own page: the courier cannot say it.
            if stop.arrived_at is None:
                stop.arrived_at = now
                session.add(stop)
                _activate(session, stop)
                session.commit()
            raise Conflict(
                {
                    "reason": "the shop confirms it received the parcel on its relay page",
                    "current_status": "awaiting_shop",
                }
            )
        if order.status is not OrderStatus.OUT_FOR_DELIVERY:
            raise Conflict(
                {
                    "reason": "not every bag of this order has been collected",
                    "current_status": order.status.value,
                }
            )
        mark_delivered(session, order, now, courier_id=courier.id)
        # Paid at the door, into the courier's hands (cash) or terminal (card).
        payments.record_payment(session, order, now, f"courier:{courier.id}")
    finish_stop(session, stop, order, now)
    session.flush()


def finish_stop(session: Session, stop: Stop, order: Order, now: datetime) -> None:
    """The stop is done (by its courier, or by the relay shop that received the parcel); the
    round completes with its last stop, and the courier's page hears of it."""
    stop.arrived_at = stop.arrived_at or now
    stop.done_at = now
    session.add(stop)
    _activate(session, stop)
    session.flush()
    round_ = session.get(Round, stop.round_id)
    assert round_ is not None
    stops = session.exec(select(Stop).where(Stop.round_id == round_.id)).all()
    if all(s.done_at is not None for s in stops):
        round_.status, round_.completed_at = RoundStatus.COMPLETED, now
        session.add(round_)
    publish(
        session,
        courier_channel(round_.courier_id),
        "stop.done",
        {"courier_id": round_.courier_id, "stop_id": stop.id, "order_id": order.id},
    )
