"""Readiness probes of the services the API depends on."""

import sqlalchemy as sa
from redis.asyncio import Redis
from redis.exceptions import RedisError


def check_database(engine: sa.Engine) -> str | None:
    """None when the database answers, else the reason."""
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        return f"{type(error).__name__}: {str(error).splitlines()[0]}"
    return None


async def check_redis(redis: Redis | None) -> str | None:
    """None when Redis answers (or is not configured), else the reason."""
    if redis is None:
        return None
    try:
        await redis.ping()
    except (RedisError, OSError) as error:
        return f"{type(error).__name__}: {error}"
    return None
