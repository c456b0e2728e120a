"""The alliance's people: invitations, one-time password links, deactivation, couriers."""

import hashlib
import secrets
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.errors import Conflict, InvalidInput, NotFound
from api.models import Courier, PasswordToken, Restaurant, Role, User
from api.schemas.alliance import CourierEdit, Invite, PersonPublic
from api.security import hash_password
from api.services.ops_board import touch

LINK_TTL = timedelta(hours=72)
"""How long an invitation or reset link works."""
USUAL_SHIFT = (time(11, 0), time(23, 0))
"""A new courier's planned day until the roster says otherwise."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def person(session: Session, user: User) -> PersonPublic:
    assert user.id is not None
    courier = session.exec(select(Courier).where(Courier.user_id == user.id)).first()
    return PersonPublic(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        restaurant_id=user.restaurant_id,
        is_active=user.is_active,
        courier_id=courier.id if courier else None,
        vehicle=courier.vehicle if courier else None,
        bag_capacity=courier.bag_capacity if courier else None,
    )


def people(session: Session, role: Role | None) -> list[PersonPublic]:
    query = select(User).where(User.role != Role.CUSTOMER).order_by(col(User.id))
    if role is not None:
        query = query.where(User.role == role)
    return [person(session, user) for user in session.exec(query).all()]


def password_link(session: Session, user: User, now: datetime) -> tuple[str, datetime]:
    """A new one-time token for the user (earlier unused ones stop working)."""
    assert user.id is not None
    session.execute(
        sa.update(PasswordToken)
        .where(col(PasswordToken.user_id) == user.id, col(PasswordToken.used_at).is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    expires = now + LINK_TTL
    session.add(PasswordToken(user_id=user.id, token_hash=_digest(token), expires_at=expires))
    session.flush()
    return token, expires


def invite(session: Session, form: Invite, now: datetime) -> tuple[User, str, datetime]:
    """A new kitchen, courier or operator account with no password yet, and its link."""
    if form.restaurant_id is not None and session.get(Restaurant, form.restaurant_id) is None:
        raise InvalidInput([{"field": "restaurant_id", "reason": "no such restaurant"}])
    email = form.email.lower()
    if session.exec(select(User.id).where(User.email == email)).first() is not None:
        raise Conflict({"reason": "an account with this e-mail exists", "current_status": "taken"})
    user = User(
        email=email,
        name=form.name,
        # Nothing can match it: the person chooses a password through the link.
        password_hash=hash_password(secrets.token_urlsafe(32)),
        role=form.role,
        restaurant_id=form.restaurant_id,
    )
    session.add(user)
    try:
        session.flush()
    except sa.exc.IntegrityError:  # the same e-mail, invited at the same moment
        raise Conflict(
            {"reason": "an account with this e-mail exists", "current_status": "taken"}
        ) from None
    assert user.id is not None
    if form.role is Role.COURIER:
        session.add(
            Courier(
                user_id=user.id,
                name=form.name,
                vehicle=form.vehicle,
                bag_capacity=form.bag_capacity,
                usual_shift_starts=USUAL_SHIFT[0],
                usual_shift_ends=USUAL_SHIFT[1],
            )
        )
    token, expires = password_link(session, user, now)
    return user, token, expires


def staff(session: Session, user_id: int) -> User:
    """An account the operator manages (not a customer's): 404 otherwise."""
    user = session.get(User, user_id)
    if user is None or user.role is Role.CUSTOMER:
        raise NotFound(f"no staff account {user_id}")
    return user


def deactivate(session: Session, user_id: int, actor_id: int) -> User:
    """Its tokens stop working at once (every request reads the account)."""
    if user_id == actor_id:
        raise Conflict({"reason": "you cannot deactivate yourself", "current_status": "self"})
    user = staff(session, user_id)
    if not user.is_active:
        raise Conflict({"reason": "already deactivated", "current_status": "inactive"})
    user.is_active = False
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, token: str, password_hash: str, now: datetime) -> User:
    """Use a one-time link: the password is set, the link is spent."""
    row = session.exec(
        select(PasswordToken).where(PasswordToken.token_hash == _digest(token)).with_for_update()
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise InvalidInput([{"field": "token", "reason": "this link is not valid any more"}])
    spent = session.execute(
        sa.update(PasswordToken)
        .where(col(PasswordToken.id) == row.id, col(PasswordToken.used_at).is_(None))
        .values(used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidInput([{"field": "token", "reason": "this link is not valid any more"}])
    user = session.get(User, row.user_id)
    assert user is not None
    user.password_hash = password_hash
    session.add(user)
    session.flush()
    return user


def user_of_token(session: Session, token: str, now: datetime) -> User | None:
    row = session.exec(
        select(PasswordToken).where(PasswordToken.token_hash == _digest(token))
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    return session.get(User, row.user_id)


def edit_courier(session: Session, courier_id: int, changes: CourierEdit) -> Courier:
    courier = session.exec(
        select(Courier).where(Courier.id == courier_id).with_for_update()
    ).first()
    if courier is None:
        raise NotFound(f"no courier {courier_id}")
    if changes.vehicle is not None:
        courier.vehicle = changes.vehicle
    if changes.bag_capacity is not None:
        courier.bag_capacity = changes.bag_capacity
    session.add(courier)
    session.flush()
    touch(session, couriers=[courier_id])
    return courier
