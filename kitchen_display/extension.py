"""Plugs the kitchen display into the app (registered as a "chaud.extensions" entry point)."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import make_url

from kitchen_display import page, screen
from kitchen_display.hub import Hub

STATIC = Path(__file__).parent / "static"


def _postgres_dsn(app: FastAPI) -> str | None:
    url = make_url(str(app.state.engine.url.render_as_string(hide_password=False)))
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def install(app: FastAPI) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    app.include_router(screen.router)
    app.include_router(page.router)
    app.mount("/kitchen-static", StaticFiles(directory=STATIC), name="kitchen-static")

    @asynccontextmanager
    async def running(app: FastAPI) -> AsyncIterator[None]:
        expand = partial(screen.expand_board_events, app.state)
        hub = Hub(app.state.engine, _postgres_dsn(app), {"operator:": expand})
        app.state.kitchen_hub = hub
        async with hub.running():
            yield

    return running
