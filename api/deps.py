"""Dependencies shared by the routes, as ``Annotated`` aliases."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from api.db import writer
from api.settings import Settings
from dispatch.geography import Geography


def get_settings_from_app(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    """A session per request; requests that may write start a write transaction."""
    engine = request.app.state.engine
    bind = engine if request.method in READ_ONLY_METHODS else writer(engine)
    with Session(bind, expire_on_commit=False) as session:
        yield session


def get_geography(request: Request) -> Geography:
    geography: Geography = request.app.state.geography
    return geography


SettingsDep = Annotated[Settings, Depends(get_settings_from_app)]
GeographyDep = Annotated[Geography, Depends(get_geography)]
SessionDep = Annotated[Session, Depends(get_session)]
