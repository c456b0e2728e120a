"""`chaud restaurant`, `chaud menu` and `chaud user`: the operator's set-up, scripted.

The same services as the operator's console (api.services.alliance, api.services.people),
the same checks and errors; run by whoever holds the database's settings, so not audited.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from sqlmodel import Session, select

from api.clock import SystemClock
from api.db import create_db_engine, writer
from api.errors import ChaudError
from api.models import Restaurant, Role, Vehicle
from api.schemas.alliance import Invite, RestaurantCreate
from api.services import alliance, people
from api.services.geo import geography_for
from api.settings import ConfigurationError, Settings, load_settings

restaurant_app = typer.Typer(help="The alliance's restaurants.")
menu_app = typer.Typer(help="A restaurant's menu, as CSV.")
user_app = typer.Typer(help="The alliance's staff accounts.")

T = TypeVar("T")


def _fail(message: str) -> NoReturn:
    typer.echo(f"chaud: {message}", err=True)
    raise typer.Exit(code=2)


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as error:
        _fail(f"configuration error: {error}")


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    engine = create_db_engine(settings.database_url)
    try:
        with Session(writer(engine), expire_on_commit=False) as session:
            yield session
    finally:
        engine.dispose()


def _checked(build: Callable[[], T]) -> T:
    """The form or the service's result, or each problem as "--field: reason"."""
    try:
        return build()
    except ValidationError as error:
        problems = [
            f"--{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}" for e in error.errors()
        ]
        _fail("; ".join(problems))
    except ChaudError as error:
        detail = error.detail
        if isinstance(detail, list):
            _fail("; ".join(f"{p['field']}: {p['reason']}" for p in detail))
        _fail(detail["reason"] if isinstance(detail, dict) else str(detail))


def _restaurant_id(session: Session, slug: str) -> int:
    found = session.exec(select(Restaurant.id).where(Restaurant.slug == slug)).first()
    if found is None:
        _fail(f"no restaurant {slug}")
    return found


@restaurant_app.command("add")
def restaurant_add(
    slug: Annotated[str, typer.Option(help="Its address on the site: /r/SLUG.")],
    name: Annotated[str, typer.Option()],
    cuisine: Annotated[str, typer.Option()],
    address: Annotated[str, typer.Option()],
    lat: Annotated[float, typer.Option()],
    lon: Annotated[float, typer.Option()],
    prep_minutes: Annotated[int, typer.Option(help="Default preparation time.")] = 15,
    phone: Annotated[str, typer.Option()] = "",
    email: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Add a restaurant (its place must be near a street of the service area)."""
    settings = _settings()
    form = _checked(
        lambda: RestaurantCreate(
            slug=slug,
            name=name,
            cuisine=cuisine,
            address=address,
            lat=lat,
            lon=lon,
            default_prep_minutes=prep_minutes,
            phone=phone,
            email=email,
        )
    )
    geography = geography_for(settings)
    with _session(settings) as session:
        created = _checked(lambda: alliance.create_restaurant(session, geography, form))
        session.commit()
        typer.echo(f"restaurant {created.id}: {created.name} (/r/{created.slug})")


@menu_app.command("import")
def menu_import(
    slug: Annotated[str, typer.Argument(help="The restaurant's slug.")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Create or update a restaurant's dishes from a CSV file, all or nothing."""
    settings = _settings()
    text = file.read_text(encoding="utf-8-sig")
    with _session(settings) as session:
        restaurant_id = _restaurant_id(session, slug)
        created, updated = _checked(lambda: alliance.import_menu(session, restaurant_id, text))
        session.commit()
    typer.echo(f"{created} dishes created, {updated} updated")


@menu_app.command("export")
def menu_export(slug: Annotated[str, typer.Argument(help="The restaurant's slug.")]) -> None:
    """Print a restaurant's menu as CSV."""
    settings = _settings()
    with _session(settings) as session:
        typer.echo(alliance.menu_csv(session, _restaurant_id(session, slug)), nl=False)


@user_app.command("invite")
def user_invite(
    email: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Option()],
    role: Annotated[Role, typer.Option(help="kitchen, courier or operator")],
    restaurant: Annotated[str | None, typer.Option(help="Kitchen staff's restaurant slug.")] = None,
    vehicle: Annotated[Vehicle, typer.Option()] = Vehicle.BIKE,
    bag_capacity: Annotated[int, typer.Option()] = 3,
    base_url: Annotated[str, typer.Option(help="Printed before the link.")] = "",
) -> None:
    """Invite a kitchen's staff, a courier or an operator: prints their one-time link."""
    settings = _settings()
    with _session(settings) as session:
        restaurant_id = _restaurant_id(session, restaurant) if restaurant else None
        form = _checked(
            lambda: Invite(
                email=email,
                name=name,
                role=role,
                restaurant_id=restaurant_id,
                vehicle=vehicle,
                bag_capacity=bag_capacity,
            )
        )
        user, token, expires = _checked(lambda: people.invite(session, form, SystemClock().now()))
        session.commit()
    typer.echo(f"user {user.id} ({role.value}): {base_url}/welcome?token={token}")
    typer.echo(f"the link works once, until {expires:%Y-%m-%d %H:%M} UTC", err=True)
