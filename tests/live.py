"""A real uvicorn server on a fresh, committed database, for concurrency and browser tests."""

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
import uvicorn
from sqlmodel import Session, select

from api.app import create_app
from api.cli import uvicorn_options
from api.clock import Clock
from api.db import create_db_engine
from api.models import User
from api.security import create_access_token
from api.settings import load_settings
from tests.databases import STANDBY_COURIER, drop_database, seeded_database


@dataclass
class LiveServer:
    url: str
    engine: sa.Engine
    settings_secret: str
    clock: Clock

    def token(self, email: str) -> str:
        """A bearer token for a seeded account, valid on the server's clock."""
        with Session(self.engine) as session:
            user = session.exec(select(User).where(User.email == email)).one()
        assert user.id is not None
        return create_access_token(
            user.id, user.role.value, self.settings_secret, self.clock.now(), timedelta(hours=1)
        )

    def headers(self, email: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(email)}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(
    backend: str,
    folder: Path,
    graph_cache: Path,
    clock: Clock,
    on_shift: Sequence[int] = (STANDBY_COURIER,),
    **overrides: object,
) -> Iterator[LiveServer]:
    """Started as `chaud serve` starts it (its uvicorn options), with settings overridden, on
    a fresh database with these demo couriers on shift."""
    database_url = seeded_database(backend, folder, on_shift)
    engine = create_db_engine(database_url)
    settings = load_settings(
        database_url=database_url, data_dir=folder, cache_dir=graph_cache, **overrides
    )
    app = create_app(settings, clock=clock)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
            **uvicorn_options(settings),
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(
            f"http://127.0.0.1:{port}", engine, settings.secret_key.get_secret_value(), clock
        )
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        engine.dispose()
        drop_database(backend, database_url)
