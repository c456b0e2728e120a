"""Accounts: sign up, sign in, who am I, saved addresses."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import ClockDep, CurrentCustomer, CurrentUser, GeographyDep, SessionDep, SettingsDep
from api.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthorized,
    error_responses,
)
from api.schemas.accounts import AddressCreate, AddressPublic, SignUp, Token, UserPublic
from api.schemas.common import IdPath
from api.services import accounts as service
from api.services.geo import locate

router = APIRouter(tags=["accounts"])


@router.post(
    "/auth/signup",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(Conflict, InvalidInput),
)
def sign_up(form: SignUp, session: SessionDep) -> UserPublic:
    """Create a customer account."""
    return service.user_public(service.sign_up(session, form))


@router.post("/auth/token", responses=error_responses(Unauthorized, TooManyRequests))
def sign_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Token:
    """Exchange an e-mail (as username) and password for a bearer token."""
    token = service.sign_in(
        session,
        email=form.username,
        password=form.password,
        client=request.client.host if request.client else "unknown",
        limiter=request.app.state.login_limiter,
        secret=settings.secret_key.get_secret_value(),
        now=clock.now(),
        ttl=timedelta(minutes=settings.token_ttl_minutes),
    )
    return Token(access_token=token)


@router.get("/me", responses=error_responses(Unauthorized))
def me(user: CurrentUser) -> UserPublic:
    """The signed-in account."""
    return service.user_public(user)


@router.get("/me/addresses", responses=error_responses(Unauthorized))
def list_addresses(user: CurrentCustomer, session: SessionDep) -> list[AddressPublic]:
    """The customer's saved delivery addresses."""
    return service.list_addresses(session, user.id)


@router.post(
    "/me/addresses",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(Unauthorized, InvalidInput),
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
    responses=error_responses(Unauthorized, NotFound),
)
def delete_address(address_id: IdPath, user: CurrentCustomer, session: SessionDep) -> None:
    """Forget a saved address."""
    service.delete_address(session, user.id, address_id)
