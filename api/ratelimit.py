"""Rate limits (the `limits` package): in memory for one process, in Redis across workers.

Each rule is stated once here with the setting that sizes it; routes name the rule and a key.
"""

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute, parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from api.errors import ServiceUnavailable
from api.settings import Settings

COUNTERS_RETRY_AFTER_S = 5


@dataclass(frozen=True)
class SignInRules:
    per_address: RateLimitItem
    """Sign-in attempts from one client address, whatever the e-mails tried."""
    failures_per_account: tuple[RateLimitItem, ...]
    """Failed sign-ins on one account: a minute's back-off, then an hour's."""
    sign_ups_per_address: RateLimitItem


def sign_in_rules(settings: Settings) -> SignInRules:
    return SignInRules(
        per_address=RateLimitItemPerMinute(settings.login_attempts_per_minute),
        failures_per_account=(
            RateLimitItemPerMinute(settings.login_failures_per_account_minute),
            parse(f"{settings.login_failures_per_account_minute * 4}/hour"),
        ),
        sign_ups_per_address=RateLimitItemPerHour(settings.signups_per_hour),
    )


class Limiter:
    """Moving-window counters by key; ``redis://…`` shares them across workers."""

    def __init__(self, storage_uri: str = "memory://") -> None:
        storage = storage_from_string(storage_uri, wrap_exceptions=True)
        self._strategy = MovingWindowRateLimiter(storage)

    def hit(self, rule: RateLimitItem, key: str) -> int | None:
        """Count one attempt; None when allowed, else the seconds to wait."""
        with _answering():
            if self._strategy.hit(rule, key):
                return None
            return self._wait(rule, key)

    def blocked(self, rules: tuple[RateLimitItem, ...], key: str) -> int | None:
        """Without counting: the seconds to wait while any rule is spent, else None."""
        with _answering():
            waits = [self._wait(rule, key) for rule in rules if not self._strategy.test(rule, key)]
        return max(waits) if waits else None

    def _wait(self, rule: RateLimitItem, key: str) -> int:
        reset = self._strategy.get_window_stats(rule, key).reset_time
        return max(1, math.ceil(reset - time.time()))


@contextmanager
def _answering() -> Iterator[None]:
    """Counters that cannot be read (Redis restarting) close the door, not open it: without
    them a password could be guessed at full speed. The client is told to come back."""
    try:
        yield
    except StorageError as error:
        raise ServiceUnavailable(
            "the sign-in counters are not answering; retry shortly",
            {"Retry-After": str(COUNTERS_RETRY_AFTER_S)},
        ) from error
