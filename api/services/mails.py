"""The customer's mails: which moments of an order send one, queued with the change itself.

Stated once: ``MAIL_OF_STATUS`` says which new states of an order are worth a mail, and
``queue`` writes it in the caller's transaction (nothing for a customer who switched them off).
The mail worker (api.mail) renders and sends what is queued.
"""

from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlmodel import Session

from api.models import Mail, MailKind, Order, OrderStatus, User

MAIL_OF_STATUS: Final = {
    OrderStatus.CONFIRMED: MailKind.CONFIRMED,
    OrderStatus.OUT_FOR_DELIVERY: MailKind.OUT_FOR_DELIVERY,
    OrderStatus.AT_RELAY: MailKind.AT_RELAY,
    OrderStatus.DELIVERED: MailKind.DELIVERED,
}
_MAILS: sa.Table = Mail.__table__  # type: ignore[attr-defined]
_USERS: sa.Table = User.__table__  # type: ignore[attr-defined]


def queue(session: Session, order: Order, kind: MailKind, now: datetime, **context: Any) -> None:
    """Queue the mail, unless the customer switched order mails off."""
    assert order.id is not None
    queue_for(session, order.id, order.customer_id, kind, now, **context)


def queue_for(
    session: Session,
    order_id: int,
    customer_id: int,
    kind: MailKind,
    now: datetime,
    **context: Any,
) -> None:
    """One INSERT … SELECT: the customer's switch is read in the statement that queues."""
    chosen = sa.select(
        sa.literal(order_id),
        _USERS.c.id,
        sa.literal(kind.value),
        sa.literal(context, sa.JSON),
        sa.literal(now, _MAILS.c.created_at.type),
        sa.literal(now, _MAILS.c.next_attempt_at.type),
    ).where(_USERS.c.id == customer_id, _USERS.c.email_notifications)
    session.execute(
        sa.insert(_MAILS).from_select(
            ["order_id", "user_id", "kind", "context", "created_at", "next_attempt_at"], chosen
        )
    )


def queue_for_status(session: Session, order: Order, status: OrderStatus, now: datetime) -> None:
    kind = MAIL_OF_STATUS.get(status)
    if kind is not None:
        queue(session, order, kind, now)
