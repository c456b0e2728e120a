"""Time as the service sees it; tests and simulations hand in a clock of their own."""

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stays where it is put (tests, benchmarks, simulations)."""

    def __init__(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("a clock needs a timezone-aware moment")
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


class StartedClock:
    """A clock set to a chosen moment when it is made, running at the real pace from there.

    `CHAUD_CLOCK_START` gives one to `chaud serve` and `chaud dispatcher run`, so a demo or a
    test's processes live on a Friday evening whatever the calendar says.
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a clock needs a timezone-aware moment")
        self.start = start
        self._began = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._began)


def clock_starting(start: datetime | None) -> Clock:
    """The system clock, or one started at ``start``."""
    return SystemClock() if start is None else StartedClock(start)
