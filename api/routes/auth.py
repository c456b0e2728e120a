"""Accounts: sign up, sign in, who am I, saved addresses."""

import ipaddress
from datetime import timedelta
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import ClockDep, CurrentCustomer, CurrentUser, GeographyDep, SessionDep, SettingsDep
from api.errors import (
    ROLE_ERRORS,
    BadRequest,
    Conflict,
    InvalidInput,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    error_responses,
)
from api.schemas.accounts import (
    AddressCreate,
    AddressPublic,
    Preferences,
    PreferencesEdit,
    SignUp,
    Token,
    UserPublic,
)
from api.schemas.alliance import PasswordSet
from api.schemas.common import IdPath
from api.security import DUMMY_HASH
from api.services import accounts as service
from api.services import people
from api.services.geo import locate

router = APIRouter(tags=["accounts"])


def client_address(request: Request) -> str:
    """Whom the limits count: the caller's address as the server saw it (a proxy's header
    only if trusted); for IPv6 its /64, since one subscriber holds a whole /64."""
    host = request.client.host if request.client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return host


@router.post(
    "/auth/signup",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(Conflict, InvalidInput, TooManyRequests, ServiceUnavailable),
)
async def sign_up(form: SignUp, request: Request, session: SessionDep) -> UserPublic:
    """Create a customer account (limited per client address)."""
    state = request.app.state
    await run_in_threadpool(
        service.admit_sign_up, state.limiter, state.sign_in_rules, client_address(request)
    )
    await run_in_threadpool(service.check_password, form)
    password_hash = await state.passwords.hash(form.password)
    user = await run_in_threadpool(service.create_customer, session, form, password_hash)
    return service.user_public(user)


@router.post(
    "/auth/token",
    responses=error_responses(BadRequest, Unauthorized, TooManyRequests, ServiceUnavailable),
)
async def sign_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Token:
    """Exchange an e-mail (as username) and password for a bearer token."""
    state = request.app.state
    email = form.username.strip().lower()
    user = await run_in_threadpool(
        partial(
            service.admit_sign_in,
            session,
            state.limiter,
            state.sign_in_rules,
            email=email,
            client=client_address(request),
        )
    )
    # An unknown e-mail costs the same verification as a wrong password: no timing tells.
    valid = await state.passwords.verify(user.password_hash if user else DUMMY_HASH, form.password)
    if user is None or not valid or not user.is_active:
        await run_in_threadpool(service.sign_in_failed, state.limiter, state.sign_in_rules, email)
        raise Unauthorized("wrong e-mail or password")
    secret = settings.secret_key.get_secret_value()
    ttl = timedelta(minutes=settings.token_ttl_minutes)
    return Token(access_token=service.issue_token(user, secret, clock.now(), ttl))


@router.get("/me", responses=error_responses(Unauthorized))
def me(user: CurrentUser) -> UserPublic:
    """The signed-in account."""
    return service.user_public(user)


@router.get("/me/preferences", responses=ROLE_ERRORS)
def get_preferences(user: CurrentCustomer, session: SessionDep) -> Preferences:
    """The customer's mail language and whether order mails are sent."""
    return service.preferences(session, user.id)


@router.patch("/me/preferences", responses=ROLE_ERRORS)
def edit_preferences(
    edit: PreferencesEdit, user: CurrentCustomer, session: SessionDep
) -> Preferences:
    """Switch order mails on or off, or change their language."""
    preferences = service.edit_preferences(session, user.id, edit)
    session.commit()
    return preferences


@router.get("/me/addresses", responses=ROLE_ERRORS)
def list_addresses(user: CurrentCustomer, session: SessionDep) -> list[AddressPublic]:
    """The customer's saved delivery addresses."""
    return service.list_addresses(session, user.id)


@router.post(
    "/me/addresses",
    status_code=status.HTTP_201_CREATED,
    responses={**ROLE_ERRORS, **error_responses(InvalidInput)},
)
def add_address(
    address: AddressCreate, user: CurrentCustomer, session: SessionDep, geography: GeographyDep
) -> AddressPublic:
    """Save a delivery address; it must be inside the service zone, near a street."""
    locate(geography, address.lat, address.lon, field="body")
    return service.add_address(session, user.id, address)


@router.delete(
    "/me/addresses/{address_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**ROLE_ERRORS, **error_responses(NotFound)},
)
def delete_address(address_id: IdPath, user: CurrentCustomer, session: SessionDep) -> None:
    """Forget a saved address."""
    service.delete_address(session, user.id, address_id)


@router.post(
    "/auth/password", responses=error_responses(InvalidInput, TooManyRequests, ServiceUnavailable)
)
async def set_password(
    form: PasswordSet, request: Request, session: SessionDep, clock: ClockDep
) -> UserPublic:
    """Set a password with a one-time link from an invitation or a reset."""
    state = request.app.state
    await run_in_threadpool(
        service.admit_sign_up, state.limiter, state.sign_in_rules, client_address(request)
    )
    user = await run_in_threadpool(people.user_of_token, session, form.token, clock.now())
    session.commit()
    if user is None:
        raise InvalidInput([{"field": "token", "reason": "this link is not valid any more"}])
    check = SignUp(email=user.email, password=form.password[:128], name=user.name)
    await run_in_threadpool(service.check_password, check)
    password_hash = await state.passwords.hash(form.password)

    def store() -> UserPublic:
        done = people.set_password(session, form.token, password_hash, clock.now())
        session.commit()
        return service.user_public(done)

    return await run_in_threadpool(store)
