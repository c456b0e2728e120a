"""The FastAPI application factory."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from importlib.metadata import entry_points
from pathlib import Path

import sqlalchemy as sa
from anyio import to_thread
from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator import Instrumentator
from redis.asyncio import Redis

from api.body_limit import BodySizeLimitMiddleware
from api.clock import Clock, clock_starting
from api.db import create_db_engine
from api.errors import COMMON_RESPONSES, document_unreadable_bodies, install_error_handlers
from api.headers import SECURITY_HEADERS, SecureASGIMiddleware
from api.input_guard import NulGuardMiddleware
from api.logs import AccessLogMiddleware, configure_logging
from api.pages import customer as customer_pages
from api.pages import docs as docs_page
from api.pages import not_found
from api.pages import ops as ops_pages
from api.ratelimit import Limiter, sign_in_rules
from api.routes import (
    alliance,
    auth,
    courier,
    geo,
    health,
    kitchen,
    ops,
    orders,
    relay,
    restaurants,
)
from api.security import PasswordWork
from api.services.geo import geography_for
from api.settings import Settings, get_settings

API_PREFIX = "/api/v1"


def create_app(
    settings: Settings | None = None, engine: sa.Engine | None = None, clock: Clock | None = None
) -> FastAPI:
    """Build the app; uvicorn calls this with no arguments (settings from the environment)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)
    owns_engine = engine is None
    app_engine = engine or create_db_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Routes run in worker threads; past a few, threads only fight over the GIL.
        to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        async with AsyncExitStack() as stack:
            for running in extension_lifespans:
                await stack.enter_async_context(running(app))
            yield
        if app.state.redis is not None:
            await app.state.redis.aclose()
        app.state.passwords.close()
        if owns_engine:
            app_engine.dispose()

    app = FastAPI(
        title="Chaud Devant",
        summary="One cart across allied kitchens, delivered together and hot.",
        version="0.1.0",
        lifespan=lifespan,
        # Served below from the bundled Swagger UI: FastAPI's pages load it from a CDN, which
        # is a blank page offline and needs inline script.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = app_engine
    app.state.geography = geography_for(settings)
    app.state.clock = clock or clock_starting(settings.clock_start)
    app.state.limiter = Limiter(settings.redis_url or "memory://")
    app.state.sign_in_rules = sign_in_rules(settings)
    app.state.passwords = PasswordWork(settings.password_hash_threads, settings.password_hash_queue)
    app.state.redis = (
        Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
        if settings.redis_url
        else None
    )

    install_error_handlers(app)
    not_found.install(app)  # a browser's missing page is a page, not JSON
    framework_openapi = app.openapi
    app.openapi = lambda: document_unreadable_bodies(framework_openapi())  # type: ignore[method-assign]
    app.include_router(health.router)
    # Each router straight into the app: FastAPI builds a route's state at every include, so a
    # router of routers would build each API route twice.
    for module in (auth, restaurants, orders, kitchen, courier, relay, ops, alliance, geo):
        app.include_router(module.router, prefix=API_PREFIX, responses=COMMON_RESPONSES)
    app.include_router(customer_pages.router)
    app.include_router(ops_pages.router)
    app.include_router(docs_page.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    # Parts built on top of the api (the kitchen display) plug in here: the api never imports
    # them (the layer rule), they register under the "chaud.extensions" entry point.
    extension_lifespans = [
        hook
        for entry in sorted(entry_points(group="chaud.extensions"), key=lambda e: e.name)
        if (hook := entry.load()(app)) is not None
    ]

    # A registry per app: several apps in one process (tests) must not collide. Requests are
    # measured only when metrics are on: the instrumentator names a request's route by walking
    # every route, which costs the first request of each app a few hundred milliseconds.
    app.state.metrics = CollectorRegistry()
    if settings.metrics_token is not None:
        Instrumentator(registry=app.state.metrics, excluded_handlers=["/metrics"]).instrument(app)
    app.add_middleware(NulGuardMiddleware)  # inside the size limit: it reads bounded bodies
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID")
    app.add_middleware(SecureASGIMiddleware, secure=SECURITY_HEADERS)
    return app
