"""`chaud dispatcher run`: lead or wait; while leading, plan every cycle and on events."""

import logging
import os
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from api.clock import Clock, clock_starting
from api.db import create_db_engine, writer
from api.dispatcher.cycle import CycleReport, ZoneScope, rules_from, run_cycle
from api.dispatcher.leader import Leadership, leadership_for
from api.dispatcher.persist import NOT_NEWS
from api.dispatcher.zones import zone_map_for
from api.models import OutboxEvent
from api.services import idempotency
from api.services.geo import geography_for
from api.settings import Settings
from dispatch.planning import rounds
from dispatch.planning.zones import ZoneError

log = logging.getLogger("chaud.dispatcher")

_EVENTS: sa.Table = OutboxEvent.__table__  # type: ignore[attr-defined]
_NEWS = sa.select(
    sa.func.max(_EVENTS.c.id),
    sa.func.count().filter(_EVENTS.c.kind.not_in(sorted(NOT_NEWS))),
).where(_EVENTS.c.id > sa.bindparam("after"))


def sqlite_file(engine: sa.Engine) -> Path | None:
    database = engine.url.database
    return Path(database).resolve() if database and database != ":memory:" else None


class Dispatcher:
    """The worker loop, stoppable from another thread (tests, signals)."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        parent_pid: int | None = None,
        zone: str | None = None,
    ) -> None:
        """Plans `zone` of the configured zones (dispatch_zones_file); without zones, the city.

        Raises ZoneError when the zone is not one of them, or is needed and not given."""
        self.settings = settings
        zones = zone_map_for(settings)
        if zone is None and len(zones.names) > 1:
            raise ZoneError(f"--zone: the city has zones {', '.join(zones.names)}; name one")
        if zone is not None and zone not in zones.names:
            raise ZoneError(f"--zone: no zone {zone!r}; the zones are {', '.join(zones.names)}")
        self.scope = ZoneScope(
            zones, zone or zones.names[0], lend_reserve=settings.dispatch_lend_reserve
        )
        self.parent_pid = parent_pid
        """Started by `chaud serve`: stop when that process is gone, however it ended."""
        self.clock = clock or clock_starting(settings.clock_start)
        self.engine = create_db_engine(settings.database_url)
        self.geography = geography_for(settings)
        self.rules = rules_from(settings)
        self.stopping = threading.Event()
        self.leadership: Leadership = leadership_for(
            self.engine, sqlite_file(self.engine), self.scope.zone
        )
        self._last_event_id = 0

    def _wait(self, seconds: float) -> None:
        self.stopping.wait(seconds)
        if self.parent_pid is not None and os.getppid() != self.parent_pid:
            log.info("dispatcher: the serving process is gone, stopping")
            self.stopping.set()

    def run(self) -> None:
        # The compiled search is loaded (or built) before leading, not in the first cycle.
        rounds.warm_up()
        standing_by = False
        try:
            while not self.stopping.is_set():
                if self.leadership.try_acquire():
                    log.info("dispatcher leading zone %s", self.scope.zone)
                    self._lead()
                    log.info("dispatcher lost the lead of zone %s", self.scope.zone)
                    standing_by = False
                else:
                    if not standing_by:
                        # Ready to lead within a poll: the operator's sign of a hot standby.
                        log.info("dispatcher standing by for zone %s", self.scope.zone)
                        standing_by = True
                    self._wait(self.settings.dispatch_poll_s)
        finally:
            self.leadership.release()
            self.engine.dispose()

    def _lead(self) -> None:
        self._last_event_id = self._news()[0]
        next_cycle = 0.0
        while not self.stopping.is_set() and self.leadership.still_held():
            last, triggers = self._news()
            self._last_event_id = max(self._last_event_id, last)
            if triggers or time.monotonic() >= next_cycle:
                try:
                    report = self.cycle()
                except Exception:
                    # One bad cycle (a database hiccup, a model the solver rejects) must not
                    # stop dispatching: the plan in the database stays, the next cycle retries.
                    log.exception("dispatcher cycle failed; retrying next cycle")
                else:
                    log.info(
                        "dispatcher cycle %d: %d orders, %d couriers, %d unassigned, "
                        "solve %.2f s, total %.2f s",
                        report.version,
                        report.orders,
                        report.couriers,
                        len(report.unassigned),
                        report.solve_s,
                        report.total_s,
                    )
                self.housekeeping()
                next_cycle = time.monotonic() + self.settings.dispatch_cycle_s
                # What arrived while solving triggers the next cycle at once; our own events
                # are not triggers.
                continue
            self._wait(self.settings.dispatch_poll_s)

    def _news(self) -> tuple[int, int]:
        """The newest outbox id, and how many events since the last look should trigger a plan."""
        with self.engine.connect() as connection:
            last, triggers = connection.execute(_NEWS, {"after": self._last_event_id}).one()
        return int(last or self._last_event_id), int(triggers or 0)

    def housekeeping(self) -> None:
        """Forget expired idempotency keys, in a transaction of its own (the plan's write-back
        holds the couriers' rows; a table scan has no business there)."""
        try:
            with Session(writer(self.engine)) as session:
                idempotency.purge_expired(session, self.clock.now())
                session.commit()
        except sa.exc.SQLAlchemyError:
            log.exception("housekeeping failed; retrying next cycle")

    def cycle(self) -> CycleReport:
        with Session(self.engine) as read, Session(writer(self.engine)) as write:
            report = run_cycle(
                read, write, self.geography, self.rules, self.clock.now(), self.scope
            )
        return report
