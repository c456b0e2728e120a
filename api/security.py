"""Password hashing (Argon2id) and signed bearer tokens (JWT, HS256)."""

from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

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
_DUMMY_HASH = _hasher.hash("not a password anyone has")


def spend_verification_time(password: str) -> None:
    verify_password(_DUMMY_HASH, password)


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
