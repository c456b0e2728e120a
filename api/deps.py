"""Dependencies shared by the routes, as ``Annotated`` aliases."""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from api.clock import Clock
from api.db import writer
from api.errors import Forbidden, Unauthorized
from api.models import Role, User
from api.schemas.accounts import Account
from api.security import read_access_token
from api.settings import Settings
from dispatch.geo.geography import Geography

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_URL = "/api/v1/auth/token"  # noqa: S105  (a path)


# The small dependencies are async on purpose: sync ones each take a worker thread, and a
# request must never wait for a thread while its transaction holds SQLite's write lock.


async def get_settings_from_app(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session per request; requests that may write start a write transaction."""
    engine = request.app.state.engine
    bind = engine if request.method in READ_ONLY_METHODS else writer(engine)
    with Session(bind, expire_on_commit=False) as session:
        yield session


async def get_read_session(
    request: Request, session: Annotated[Session, Depends(get_session)]
) -> AsyncIterator[Session]:
    """A session for reads. SQLite's has its own, so that it never takes the write lock;
    PostgreSQL reads lock nothing, so the request's session serves (fewer round trips)."""
    engine: sa.Engine = request.app.state.engine
    if engine.dialect.name != "sqlite":
        yield session
        return
    with Session(engine, expire_on_commit=False) as reader:
        yield reader


async def get_geography(request: Request) -> Geography:
    geography: Geography = request.app.state.geography
    return geography


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


SettingsDep = Annotated[Settings, Depends(get_settings_from_app)]
SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
GeographyDep = Annotated[Geography, Depends(get_geography)]
ClockDep = Annotated[Clock, Depends(get_clock)]

_USERS: sa.Table = User.__table__  # type: ignore[attr-defined]
_ACCOUNT = sa.select(
    _USERS.c.id,
    _USERS.c.email,
    _USERS.c.name,
    _USERS.c.role,
    _USERS.c.restaurant_id,
    _USERS.c.relay_point_id,
    _USERS.c.is_active,
).where(_USERS.c.id == sa.bindparam("id"))

bearer_token = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


def get_current_user(
    session: ReadSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    token: Annotated[str | None, Depends(bearer_token)],
) -> Account:
    if not token:
        raise Unauthorized("sign in: this needs a bearer token")
    account = account_for_token(session, token, settings.secret_key.get_secret_value(), clock.now())
    if account is None:
        raise Unauthorized("the token is invalid or has expired")
    return account


def account_for_token(session: Session, token: str, secret: str, now: datetime) -> Account | None:
    """The active account a bearer token names, read with one light query; None if invalid."""
    user_id = read_access_token(token, secret, now)
    row = session.execute(_ACCOUNT, {"id": user_id}).first() if user_id is not None else None
    session.commit()  # end the read at once: nothing else happens in this session
    if row is None or not row.is_active:
        return None
    return Account(row.id, row.email, row.name, row.role, row.restaurant_id, row.relay_point_id)


CurrentUser = Annotated[Account, Depends(get_current_user)]


def _role(role: Role) -> object:
    async def check(user: CurrentUser) -> Account:
        if user.role is not role:
            raise Forbidden(f"this needs a {role.value} account")
        return user

    return Depends(check)


CurrentCustomer = Annotated[Account, _role(Role.CUSTOMER)]
CurrentKitchen = Annotated[Account, _role(Role.KITCHEN)]
CurrentCourier = Annotated[Account, _role(Role.COURIER)]
CurrentOperator = Annotated[Account, _role(Role.OPERATOR)]
CurrentRelay = Annotated[Account, _role(Role.RELAY)]


def kitchen_restaurant_id(user: Account) -> int:
    assert user.restaurant_id is not None  # enforced by a check constraint on users
    return user.restaurant_id
