"""Idempotency keys for unsafe requests: a retry gets the first answer, never a second order."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa
import structlog
from sqlmodel import Session, select

from api.errors import Conflict, InvalidInput
from api.models import IdempotencyRecord

_RECORDS: sa.Table = IdempotencyRecord.__table__  # type: ignore[attr-defined]
_INSERT = sa.insert(_RECORDS).returning(_RECORDS.c.id)
_COMPLETE = (
    sa.update(_RECORDS)
    .where(_RECORDS.c.id == sa.bindparam("record_id"))
    .values(status_code=sa.bindparam("status_code"), response=sa.bindparam("response"))
)
log = structlog.get_logger(__name__)
STALE_AFTER: Final = timedelta(seconds=60)
"""A key still in flight after this long belongs to a request that died: it may be retried."""


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: dict[str, Any]


def request_hash(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim(
    session: Session, user_id: int, key: str, fingerprint: str, now: datetime
) -> Replay | int:
    """Claim the key for this request (committed at once) and return the record id, or the
    stored answer of an earlier identical request.

    Raises Conflict while another request holds the key, InvalidInput when the key was used
    with a different body.
    """
    try:
        record_id = session.execute(
            _INSERT,
            {
                "user_id": user_id,
                "key": key,
                "request_hash": fingerprint,
                "created_at": now,
                "status_code": None,
                "response": None,
            },
        ).scalar_one()
        session.commit()
        return int(record_id)
    except sa.exc.IntegrityError:
        session.rollback()
    existing = session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
        )
    ).one()
    assert existing.id is not None
    session.commit()  # release the write lock before answering; the values stay loaded
    if existing.request_hash != fingerprint:
        raise InvalidInput(
            [
                {
                    "field": "Idempotency-Key",
                    "reason": "this key was already used with another request",
                }
            ]
        )
    if existing.status_code is not None and existing.response is not None:
        return Replay(existing.status_code, existing.response)
    if now - existing.created_at < STALE_AFTER:
        raise Conflict("a request with this Idempotency-Key is still being processed")
    taken = session.execute(
        sa.update(_RECORDS)
        .where(
            _RECORDS.c.id == existing.id,
            _RECORDS.c.created_at == existing.created_at,
            _RECORDS.c.status_code.is_(None),
        )
        .values(created_at=now)
    )
    session.commit()
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("a request with this Idempotency-Key is still being processed")
    return existing.id


def complete(session: Session, record_id: int, status_code: int, body: dict[str, Any]) -> None:
    """Store the answer, in the caller's transaction: it commits with the work it describes."""
    session.execute(
        _COMPLETE, {"record_id": record_id, "status_code": status_code, "response": body}
    )


def release(session: Session, record_id: int) -> None:
    """Forget a claim whose request failed, so the key can be used again.

    Best effort: when the database itself is what failed, the claim goes stale instead
    (STALE_AFTER), and the original error is the one reported.
    """
    try:
        session.rollback()
        session.execute(sa.delete(_RECORDS).where(_RECORDS.c.id == record_id))
        session.commit()
    except sa.exc.SQLAlchemyError:
        log.warning("idempotency key not released", record_id=record_id, exc_info=True)


KEPT_FOR: Final = timedelta(hours=24)
"""A key answers retries this long; then it is forgotten."""


def purge_expired(session: Session, now: datetime) -> int:
    """Forget keys older than KEPT_FOR, in the caller's transaction; how many went."""
    purged = session.execute(sa.delete(_RECORDS).where(_RECORDS.c.created_at < now - KEPT_FOR))
    return int(purged.rowcount)  # type: ignore[attr-defined]
