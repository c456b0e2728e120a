"""Password hashing (Argon2id) and signed bearer tokens (JWT, HS256)."""

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from api.errors import ServiceUnavailable

T = TypeVar("T")
_hasher = PasswordHasher()
TOKEN_ALGORITHM = "HS256"  # noqa: S105  (an algorithm name, not a secret)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verifying against this keeps an unknown e-mail as slow as a wrong password.
DUMMY_HASH = _hasher.hash("not a password anyone has")


class PasswordWork:
    """Argon2 off the request threads, on a few threads of its own, with a bounded queue.

    Argon2 is made to be slow (~170 ms a verification here). Run in the route threads, a flood
    of sign-ins took every thread and the catalogue waited seconds behind it; here it takes
    `threads` cores at most, and past `queue` waiting hashes a sign-in is turned away at once.
    """

    def __init__(self, threads: int, queue: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="argon2")
        self._slots = threading.BoundedSemaphore(threads + queue)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await self._run(verify_password, password_hash, password)

    async def hash(self, password: str) -> str:
        return await self._run(hash_password, password)

    async def _run(self, work: Callable[..., T], *args: str) -> T:
        if not self._slots.acquire(blocking=False):
            raise ServiceUnavailable(
                "too many sign-ins at once: retry in a moment", headers={"Retry-After": "1"}
            )
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, work, *args)
        finally:
            self._slots.release()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def create_access_token(user_id: int, role: str, secret: str, now: datetime, ttl: timedelta) -> str:
    payload = {"sub": str(user_id), "role": role, "iat": now, "exp": now + ttl}
    return jwt.encode(payload, secret, algorithm=TOKEN_ALGORITHM)


def read_access_token(token: str, secret: str, now: datetime) -> int | None:
    """The user id in a validly signed token not expired at ``now``, else None.

    Expiry is checked against the service's clock rather than PyJWT's own, so that one
    notion of time governs the whole service (and its tests and simulations).
    """
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[TOKEN_ALGORITHM],
            options={"require": ["exp", "sub"], "verify_exp": False, "verify_iat": False},
        )
        if float(payload["exp"]) <= now.timestamp():
            return None
        return int(payload["sub"])
    except (jwt.InvalidTokenError, ValueError, TypeError):
        return None


def token_expiry(token: str, secret: str) -> datetime | None:
    """When a validly signed token expires (whether or not it has), else None."""
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[TOKEN_ALGORITHM],
            options={"require": ["exp"], "verify_exp": False, "verify_iat": False},
        )
        return datetime.fromtimestamp(float(payload["exp"]), UTC)
    except (jwt.InvalidTokenError, ValueError, TypeError, OverflowError):
        return None
