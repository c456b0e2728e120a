"""Relay shops: the parcels a shop expects, received from the courier, collected with a code.

The courier's drop-off at a shop completes when the shop confirms it received the parcel (the
order is then ``at_relay``); the customer collects it by telling the shop its code, which the
shop types (``collected``). Five wrong codes lock the parcel until the operator unlocks it.
"""

import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.db import for_update
from api.errors import Conflict, InvalidInput, NotFound
from api.models import (
    ENDED_TICKET_STATES,
    Courier,
    Order,
    OrderStatus,
    RelayPoint,
    Round,
    Stop,
    StopKind,
    Ticket,
    User,
)
from api.schemas.couriers import CodeUnlocked
from api.schemas.relays import ParcelPublic
from api.services import couriers, payments
from api.services.ops_board import touch
from api.services.orders import change_status, lock_order, mark_delivered
from api.services.outbox import operator_channel, publish

MAX_CODE_ATTEMPTS = 5
"""Wrong codes a parcel takes; then it is locked until the operator unlocks it."""
_STOPS: sa.Table = Stop.__table__  # type: ignore[attr-defined]


def relay_of(session: Session, relay_point_id: int) -> RelayPoint:
    relay = session.get(RelayPoint, relay_point_id)
    if relay is None:
        raise NotFound("this account has no relay shop")
    return relay


def parcels(
    session: Session, relay: RelayPoint, now: datetime, timezone: str
) -> list[ParcelPublic]:
    """Today's parcels for the shop: on their way, waiting at the counter, collected today.

    A parcel still waiting from an earlier day stays listed until it is collected.
    """
    start_of_day = (
        now.astimezone(ZoneInfo(timezone))
        .replace(hour=0, minute=0, second=0, microsecond=0)
        .astimezone(now.tzinfo)
    )
    orders = session.exec(
        select(Order)
        .where(
            Order.relay_point_id == relay.id,
            Order.status != OrderStatus.CANCELLED,
            sa.or_(
                col(Order.status) == OrderStatus.AT_RELAY,
                col(Order.placed_at) >= start_of_day,
                col(Order.deliver_at).between(start_of_day, start_of_day + timedelta(days=1)),
            ),
        )
        .order_by(col(Order.estimated_delivery_at), col(Order.id))
    ).all()
    return [_parcel(session, order) for order in orders]


def _parcel(session: Session, order: Order) -> ParcelPublic:
    assert order.id is not None
    customer = session.get(User, order.customer_id)
    stop = _door_stop(session, order.id)
    bags = session.exec(
        select(sa.func.count())
        .select_from(Ticket)
        .where(Ticket.order_id == order.id, col(Ticket.status).not_in(ENDED_TICKET_STATES))
    ).one()
    courier = None
    if stop is not None and order.status is OrderStatus.OUT_FOR_DELIVERY:
        courier = session.exec(
            select(Courier.name)
            .join(Round, col(Round.courier_id) == col(Courier.id))
            .where(Round.id == stop.round_id)
        ).first()
    attempts = stop.code_attempts if stop else 0
    return ParcelPublic(
        order_id=order.id,
        status=order.status,
        customer_name=customer.name if customer else "",
        bags=bags,
        expected_at=order.estimated_delivery_at or order.promised_at,
        courier_name=courier,
        courier_arrived=bool(stop and stop.arrived_at and stop.done_at is None),
        received_at=order.delivered_at if order.relay_point_id else None,
        collected_at=order.collected_at,
        code_tries_left=max(0, MAX_CODE_ATTEMPTS - attempts),
    )


def _door_stop(session: Session, order_id: int, *, fresh: bool = False) -> Stop | None:
    """The order's drop-off; ``fresh`` reads it as committed now, not as this session last saw
    it (under the order's lock, which every writer of a drop-off holds)."""
    query = select(Stop).where(Stop.order_id == order_id, Stop.kind == StopKind.DROPOFF)
    if fresh:
        query = query.execution_options(populate_existing=True)
    return session.exec(query).first()


def _own_parcel(session: Session, relay: RelayPoint, order_id: int) -> None:
    """Another shop's parcel, or an order to a door, answers 404 like a missing one."""
    order = session.get(Order, order_id)
    if order is None or order.relay_point_id != relay.id:
        raise NotFound(f"no parcel {order_id} for this shop")


def receive(session: Session, relay: RelayPoint, order_id: int, now: datetime) -> ParcelPublic:
    """The courier handed the parcel over: the drop-off completes and the customer is told.

    Locks as a courier's move does (the courier's row, then the order's), so the shop's
    confirmation and the courier's own steps queue up.
    """
    _own_parcel(session, relay, order_id)
    stop = _door_stop(session, order_id)
    round_ = session.get(Round, stop.round_id) if stop else None
    if round_ is not None:
        courier = session.get(Courier, round_.courier_id)
        assert courier is not None
        couriers.lock_courier(session, courier)
    order, _ = lock_order(session, order_id)
    if order.status is not OrderStatus.OUT_FOR_DELIVERY:
        raise Conflict(
            {
                "reason": "already received"
                if order.status in (OrderStatus.AT_RELAY, OrderStatus.COLLECTED)
                else "no courier is bringing this parcel yet",
                "current_status": order.status.value,
            }
        )
    stop = _door_stop(session, order_id, fresh=True)  # as it is under the locks
    if stop is None or stop.done_at is not None:
        raise Conflict({"reason": "no courier is bringing this parcel", "current_status": "none"})
    couriers.finish_stop(session, stop, order, now)
    mark_delivered(
        session,
        order,
        now,
        OrderStatus.AT_RELAY,
        f"Ready at {relay.name}, {relay.address} (open {relay.hours_text()}): "
        "give the shop your code",
        round_.courier_id if round_ is not None else None,
    )
    session.flush()
    return _parcel(session, order)


def collect(
    session: Session, relay: RelayPoint, order_id: int, code: str, now: datetime
) -> ParcelPublic:
    """The customer told the shop its code: the right one hands the parcel over."""
    _own_parcel(session, relay, order_id)
    order, _ = lock_order(session, order_id)
    if order.status is not OrderStatus.AT_RELAY:
        raise Conflict(
            {
                "reason": "already collected"
                if order.status is OrderStatus.COLLECTED
                else "the shop has not received this parcel yet",
                "current_status": order.status.value,
            }
        )
    stop = _door_stop(session, order_id)
    assert stop is not None  # received means a courier's drop-off was done
    _check_code(session, stop, order, code, now)
    order.collected_at = now
    change_status(session, order, OrderStatus.COLLECTED, now, "")
    payments.record_payment(session, order, now, f"relay:{relay.id}")  # paid at the shop
    session.flush()
    return _parcel(session, order)


def _check_code(session: Session, stop: Stop, order: Order, code: str, now: datetime) -> None:
    """The order's code, or a refusal; a sixth guess is not even compared."""
    if stop.code_attempts >= MAX_CODE_ATTEMPTS:
        raise Conflict(_locked(order))
    if secrets.compare_digest(code.encode(), (order.relay_code or "").encode()):
        return
    # Counted in SQL and committed before answering: the refusal rolls nothing back.
    tries = session.execute(
        sa.update(_STOPS)
        .where(_STOPS.c.id == stop.id, _STOPS.c.code_attempts < MAX_CODE_ATTEMPTS)
        .values(code_attempts=_STOPS.c.code_attempts + 1)
        .returning(_STOPS.c.code_attempts)
    ).scalar_one_or_none()
    assert order.id is not None
    if tries == MAX_CODE_ATTEMPTS:
        publish(
            session,
            operator_channel(order.id),
            "relay.code_locked",
            {"order_id": order.id, "stop_id": stop.id, "at": now.isoformat()},
        )
        touch(session, orders=[order.id])
    session.commit()
    if tries is None or tries >= MAX_CODE_ATTEMPTS:
        raise Conflict(_locked(order))
    raise InvalidInput(
        [
            {
                "field": "code",
                "reason": f"does not match this parcel ({MAX_CODE_ATTEMPTS - tries} tries left)",
            }
        ]
    )


def _locked(order: Order) -> dict[str, object]:
    return {
        "reason": f"{MAX_CODE_ATTEMPTS} wrong codes: this parcel is locked until the alliance's "
        "operator unlocks it (they have been told)",
        "current_status": "code_locked",
        "order_id": order.id,
    }


def unlock_code(session: Session, stop_id: int, operator_id: int, now: datetime) -> CodeUnlocked:
    """The operator gives a parcel locked by wrong codes its tries back (the shop checked the
    customer's identity); told on the operator's channel."""
    stop = session.exec(
        for_update(select(Stop).where(Stop.id == stop_id, Stop.kind == StopKind.DROPOFF))
    ).one_or_none()
    order = session.get(Order, stop.order_id) if stop else None
    if stop is None or order is None or order.status is not OrderStatus.AT_RELAY:
        raise NotFound(f"no parcel waiting at a relay shop for drop-off {stop_id}")
    stop.code_attempts = 0
    session.add(stop)
    publish(
        session,
        operator_channel(stop.order_id),
        "relay.code_unlocked",
        {"order_id": stop.order_id, "stop_id": stop_id, "by": operator_id, "at": now.isoformat()},
    )
    touch(session, orders=[stop.order_id])
    assert stop.id is not None
    return CodeUnlocked(stop_id=stop.id, order_id=stop.order_id, code_attempts=0)
