"""Sign-up, sign-in and customers' saved addresses."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select
from zxcvbn import zxcvbn

from api.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from api.models import CustomerAddress, Role, User
from api.ratelimit import Limiter, SignInRules
from api.schemas.accounts import (
    Account,
    AddressCreate,
    AddressPublic,
    Preferences,
    PreferencesEdit,
    SignUp,
    UserPublic,
)
from api.security import create_access_token

_USERS: sa.Table = User.__table__  # type: ignore[attr-defined]

MIN_PASSWORD_SCORE = 2
"""zxcvbn's scale 0-4: 0 and 1 are common passwords and their variants, the e-mail, the name."""


def user_public(user: User | Account) -> UserPublic:
    assert user.id is not None
    return UserPublic(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        restaurant_id=user.restaurant_id,
        relay_point_id=user.relay_point_id,
    )


def check_password(form: SignUp) -> None:
    """Refuse a password that is common or guessable from the account itself (zxcvbn)."""
    local_part = form.email.split("@")[0]
    # zxcvbn's cost grows with the length; past 64 characters a password is not guessable.
    verdict = zxcvbn(form.password[:64], user_inputs=[form.email, local_part, form.name])
    if verdict["score"] < MIN_PASSWORD_SCORE:
        warning = verdict["feedback"]["warning"] or "too easy to guess"
        raise InvalidInput(
            [{"field": "password", "reason": f"{warning.rstrip('.')}: choose a longer phrase"}]
        )


def admit_sign_up(limiter: Limiter, rules: SignInRules, client: str) -> None:
    wait = limiter.hit(rules.sign_ups_per_address, f"sign-up:{client}")
    if wait is not None:
        raise _too_many("sign-ups", wait)


def create_customer(session: Session, form: SignUp, password_hash: str) -> User:
    """A new customer account; an e-mail already in use answers 409."""
    user = User(
        email=form.email.lower(),
        name=form.name,
        password_hash=password_hash,
        role=Role.CUSTOMER,
    )
    session.add(user)
    try:
        session.commit()
    except sa.exc.IntegrityError:
        session.rollback()
        raise Conflict("an account with this e-mail already exists") from None
    return user


def _too_many(what: str, wait: int) -> TooManyRequests:
    return TooManyRequests(
        f"too many {what}: try again in {wait} s", headers={"Retry-After": str(wait)}
    )


def admit_sign_in(
    session: Session, limiter: Limiter, rules: SignInRules, *, email: str, client: str
) -> User | None:
    """Count the attempt against the client's address, refuse an account in back-off, then
    the account (None when no account has this e-mail). No password is checked here."""
    wait = limiter.hit(rules.per_address, f"sign-in:{client}")
    if wait is not None:
        raise _too_many("sign-in attempts from this address", wait)
    wait = limiter.blocked(rules.failures_per_account, f"sign-in-failures:{email}")
    if wait is not None:
        raise _too_many("failed sign-ins on this account", wait)
    user = session.exec(select(User).where(User.email == email)).first()
    session.commit()  # hold nothing open while the password is checked
    return user


def sign_in_failed(limiter: Limiter, rules: SignInRules, email: str) -> None:
    """A wrong password (or e-mail) moves the account towards its back-off."""
    for rule in rules.failures_per_account:
        limiter.hit(rule, f"sign-in-failures:{email}")


def issue_token(user: User, secret: str, now: datetime, ttl: timedelta) -> str:
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


def preferences(session: Session, user_id: int) -> Preferences:
    user = session.get(User, user_id)
    assert user is not None  # the signed-in account
    return Preferences(language=user.language, email_notifications=user.email_notifications)


def edit_preferences(session: Session, user_id: int, edit: PreferencesEdit) -> Preferences:
    """Only what is sent changes, in one UPDATE."""
    values = edit.model_dump(exclude_none=True)
    if values:
        session.execute(sa.update(_USERS).where(_USERS.c.id == user_id).values(**values))
    return preferences(session, user_id)
