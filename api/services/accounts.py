"""Sign-up, sign-in and customers' saved addresses."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.errors import Conflict, NotFound, TooManyRequests, Unauthorized
from api.models import CustomerAddress, Role, User
from api.ratelimit import RateLimiter
from api.schemas.accounts import Account, AddressCreate, AddressPublic, SignUp, UserPublic
from api.security import (
    create_access_token,
    hash_password,
    spend_verification_time,
    verify_password,
)


def user_public(user: User | Account) -> UserPublic:
    assert user.id is not None
    return UserPublic(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        restaurant_id=user.restaurant_id,
    )


def sign_up(session: Session, form: SignUp) -> User:
    """A new customer account; an e-mail already in use answers 409."""
    user = User(
        email=form.email.lower(),
        name=form.name.strip(),
        password_hash=hash_password(form.password),
        role=Role.CUSTOMER,
    )
    session.add(user)
    try:
        session.commit()
    except sa.exc.IntegrityError:
        session.rollback()
        raise Conflict("an account with this e-mail already exists") from None
    return user


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    client: str,
    limiter: RateLimiter,
    secret: str,
    now: datetime,
    ttl: timedelta,
) -> str:
    """A bearer token for the right password; attempts are limited per client and account."""
    email = email.strip().lower()
    wait = limiter.hit(f"login:{client}:{email}")
    if wait is not None:
        raise TooManyRequests(
            f"too many sign-in attempts: try again in {wait} s", headers={"Retry-After": str(wait)}
        )
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None:
        spend_verification_time(password)
        raise Unauthorized("wrong e-mail or password")
    if not verify_password(user.password_hash, password) or not user.is_active:
        raise Unauthorized("wrong e-mail or password")
    assert user.id is not None
    return create_access_token(user.id, user.role.value, secret, now, ttl)


def list_addresses(session: Session, user_id: int) -> list[AddressPublic]:
    rows = session.exec(
        select(CustomerAddress)
        .where(CustomerAddress.user_id == user_id)
        .order_by(col(CustomerAddress.id))
    ).all()
    return [AddressPublic.model_validate(row, from_attributes=True) for row in rows]


def add_address(session: Session, user_id: int, address: AddressCreate) -> AddressPublic:
    row = CustomerAddress(user_id=user_id, **address.model_dump())
    session.add(row)
    session.commit()
    return AddressPublic.model_validate(row, from_attributes=True)


def delete_address(session: Session, user_id: int, address_id: int) -> None:
    row = session.get(CustomerAddress, address_id)
    if row is None or row.user_id != user_id:
        raise NotFound(f"no address {address_id}")
    session.delete(row)
    session.commit()
