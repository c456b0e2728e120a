"""Opening hours, read in the alliance's local time."""

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from api.services.views import HoursView


def local(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(ZoneInfo(timezone))


def periods_of(hours: Iterable[HoursView], day: date) -> list[HoursView]:
    """The periods that hold on a local date: its exceptions if it has any (none open on a
    day closed all day), else its weekday's."""
    hours = list(hours)
    dated = [p for p in hours if p.day == day]
    if dated:
        return [p for p in dated if p.opens < p.closes]
    return [p for p in hours if p.day is None and p.weekday == day.weekday()]


def period_around(hours: Iterable[HoursView], moment: datetime) -> HoursView | None:
    """The opening period that contains a local moment, if any."""
    clock = moment.time()
    for period in periods_of(hours, moment.date()):
        if period.opens <= clock < period.closes:
            return period
    return None


def is_open(hours: Iterable[HoursView], moment: datetime) -> bool:
    return period_around(hours, moment) is not None


def open_throughout(hours: Iterable[HoursView], start: datetime, end: datetime) -> bool:
    """One opening period covers [start, end] (both local, same day)."""
    period = period_around(hours, start)
    return period is not None and start.date() == end.date() and end.time() <= period.closes


def describe(hours: Iterable[HoursView], day: date) -> str:
    periods = sorted((p.opens, p.closes) for p in periods_of(hours, day))
    if not periods:
        return "closed all day"
    return ", ".join(f"{_hhmm(a)}–{_hhmm(b)}" for a, b in periods)


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def bounds(start: date, end: date, timezone: str) -> tuple[datetime, datetime]:
    """Local dates from `start` to `end` (both included) as moments, the end exclusive."""
    zone = ZoneInfo(timezone)
    return (
        datetime.combine(start, time(0), zone),
        datetime.combine(end + timedelta(days=1), time(0), zone),
    )
