"""The `chaud` command line."""

import csv
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, NoReturn

import sqlalchemy as sa
import typer
import uvicorn
from sqlmodel import Session, select

from api import migrate
from api.cli_alliance import menu_app, restaurant_app, user_app
from api.db import create_db_engine, writer
from api.demo.seed import seed_demo
from api.demo.simulation import QUOTE_RULE, demo_alliance
from api.dispatcher.worker import Dispatcher
from api.dispatcher.zones import zone_map_for
from api.logs import configure_logging
from api.mail import Mailer
from api.models import Restaurant
from api.services import addresses
from api.services.geo import geography_for
from api.settings import ConfigurationError, Settings, load_settings
from dispatch.geo.geography import Geography
from dispatch.planning.zones import ZoneError, suggest_zones
from dispatch.sim.engine import Policy
from dispatch.sim.engine import simulate as run_simulation
from dispatch.sim.fleet import DEFAULT_R2D_P90_MIN, Trial, smallest_team
from dispatch.sim.mdrp import read_mdrp
from dispatch.sim.mdrp_check import check_solution
from dispatch.sim.mdrp_solution import write_solution
from dispatch.sim.metrics import kpis
from dispatch.sim.policies import DispatcherPolicy, GreedyPolicy
from dispatch.sim.report import CourierDayDrawer, PlaneDrawer, write_report
from dispatch.sim.scenario import (
    DispatchSettings,
    Scenario,
    ScenarioError,
    demo_scenario,
    load_scenario,
    with_changes,
)
from dispatch.sim.world import StreetDrawer, scenario_world

app = typer.Typer(help="Chaud Devant: delivery for an alliance of independent restaurants.")
db_app = typer.Typer(help="Database schema migrations.")
app.add_typer(db_app, name="db")
dispatcher_app = typer.Typer(help="The dispatcher: delivery rounds over all couriers.")
app.add_typer(dispatcher_app, name="dispatcher")
mail_app = typer.Typer(help="The customers' mails.")
app.add_typer(mail_app, name="mail")
zones_app = typer.Typer(help="Dispatch zones: a city split, one dispatcher each.")
addresses_app = typer.Typer(help="Addresses down to the door.")
app.add_typer(addresses_app, name="addresses")
app.add_typer(zones_app, name="zones")
app.add_typer(restaurant_app, name="restaurant")
app.add_typer(menu_app, name="menu")
app.add_typer(user_app, name="user")


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """What every server of the app is started with, `chaud serve` and the tests' alike."""
    return {
        # X-Forwarded-For is believed from the configured proxies only: believed from anyone,
        # a rotated header made every guess come from a new client.
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": settings.trusted_proxies or None,
        "ws_max_size": settings.max_body_bytes,  # no screen sends more than a request body
        # Workers load the street map and compile the dispatcher's search as they start: on a
        # loaded machine (a whole stack starting) uvicorn's 5 s ping killed and restarted them
        # for minutes before one came up.
        "timeout_worker_healthcheck": 60,
    }


def _fail(message: str) -> NoReturn:
    typer.echo(f"chaud: {message}", err=True)
    raise typer.Exit(code=2)


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as error:
        _fail(f"configuration error: {error}")


def _database_unreachable(error: sa.exc.OperationalError) -> NoReturn:
    reason = str(error.orig or error).strip().splitlines()[0]
    _fail(f"CHAUD_DATABASE_URL: cannot use the database: {reason}")


def _upgrade(settings: Settings) -> None:
    try:
        migrate.upgrade(settings.database_url)
    except sa.exc.OperationalError as error:
        _database_unreachable(error)


def _refuse_demo_in_production(settings: Settings) -> None:
    if settings.environment == "production":
        # The demo's accounts, the operator's included, share a password printed in the README.
        _fail("the demo alliance is refused in production: its passwords are public")


def _seed(settings: Settings) -> None:
    _refuse_demo_in_production(settings)
    engine = create_db_engine(settings.database_url)
    try:
        if not migrate.is_up_to_date(engine):
            _fail("the database schema is not up to date: run `chaud db upgrade` first")
        with Session(writer(engine)) as session:
            result = seed_demo(session)
    finally:
        engine.dispose()
    verb = "created" if result.created else "already present:"
    typer.echo(
        f"demo alliance {verb} {result.restaurants} restaurants, {result.dishes} dishes, "
        f"{result.relay_points} relay points, {result.couriers} couriers, {result.users} accounts"
    )


@app.command()
def serve(
    demo: Annotated[
        bool, typer.Option(help="Upgrade the database and seed the demo alliance when empty.")
    ] = False,
    host: Annotated[str | None, typer.Option(help="Bind address [CHAUD_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port [CHAUD_PORT].")] = None,
    workers: Annotated[int, typer.Option(min=1, help="API worker processes.")] = 1,
) -> None:
    """Serve the API, the customer and courier pages and the kitchen display."""
    settings = _settings()
    if demo:
        _refuse_demo_in_production(settings)
        _upgrade(settings)
        _seed(settings)
    # The dispatcher plans in a process of its own, never inside a request. It watches this
    # process: uvicorn re-raises SIGTERM after its shutdown, so `finally` may never run.
    # One dispatcher per zone of the city.
    helpers = [
        subprocess.Popen(  # noqa: S603 (our own interpreter and fixed arguments)
            [
                sys.executable,
                "-m",
                "api.cli",
                "dispatcher",
                "run",
                "--zone",
                zone,
                "--parent-pid",
                str(os.getpid()),
            ]
        )
        for zone in (zone_map_for(settings).names if demo else ())
    ]
    if settings.smtp_host is not None:  # the customers' mails, sent by a process of their own
        helpers.append(
            subprocess.Popen(  # noqa: S603 (our own interpreter and fixed arguments)
                [sys.executable, "-m", "api.cli", "mail", "run", "--parent-pid", str(os.getpid())]
            )
        )
    try:
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=workers,
            log_config=None,
            **uvicorn_options(settings),
        )
    finally:
        for helper in helpers:
            helper.terminate()
        for helper in helpers:
            helper.wait(timeout=10)


@app.command()
def simulate(
    scenario: Annotated[
        Path | None, typer.Option(help="A TOML scenario file; default: the Paris demo.")
    ] = None,
    mdrp: Annotated[
        Path | None, typer.Option(help="An MDRP instance folder instead of a scenario.")
    ] = None,
    orders_per_hour: Annotated[
        float | None, typer.Option(min=1, help="At the busiest hour [demo: 120].")
    ] = None,
    couriers: Annotated[
        int | None,
        typer.Option(min=1, help="Team size; a scenario's shifts scaled to it [demo: 12]."),
    ] = None,
    hours: Annotated[
        float | None, typer.Option(min=0.25, max=24, help="Service period [demo: 3].")
    ] = None,
    multi_share: Annotated[
        float | None, typer.Option(min=0, max=1, help="Share of 2-3-kitchen carts [demo: 1/3].")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random world [demo: 1].")] = None,
    time_limit: Annotated[
        float | None, typer.Option(min=0.05, help="Solver cap per cycle, s [scenario: 0.5].")
    ] = None,
    cycle: Annotated[
        int | None, typer.Option(min=10, help="Seconds between plans [scenario: 60].")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write the KPIs (JSON) here.")] = None,
    report: Annotated[
        Path | None, typer.Option(help="Write the HTML report and its PNGs in this folder.")
    ] = None,
    solutions: Annotated[
        Path | None,
        typer.Option(help="With --mdrp: write each policy's solution files here and check them."),
    ] = None,
    fleet_search: Annotated[
        bool,
        typer.Option(
            help="Find each policy's smallest team that delivers every order with a "
            "ready-to-door p90 within --r2d-p90 (bisecting team sizes up to --fleet-max)."
        ),
    ] = False,
    fleet_max: Annotated[
        int | None, typer.Option(min=1, help="Largest team tried [twice the scenario's].")
    ] = None,
    r2d_p90: Annotated[
        float, typer.Option(min=1, help="Ready-to-door p90 target of --fleet-search, min.")
    ] = DEFAULT_R2D_P90_MIN,
) -> None:
    """Simulate a service period with the dispatcher and the greedy baseline; print KPIs."""
    settings = _settings()
    instance = None
    drawer: CourierDayDrawer
    world_options = {
        "--couriers": couriers,
        "--orders-per-hour": orders_per_hour,
        "--hours": hours,
        "--multi-share": multi_share,
        "--seed": seed,
    }
    if mdrp is not None and (
        scenario is not None or any(v is not None for v in world_options.values())
    ):
        given = [name for name, value in world_options.items() if value is not None]
        _fail(
            f"--mdrp takes its world from the instance: drop {', '.join(given or ['--scenario'])}"
        )
    if fleet_search and (mdrp is not None or couriers is not None):
        _fail("--fleet-search chooses the team size itself: drop --mdrp and --couriers")
    if fleet_search and (report is not None or solutions is not None):
        _fail("--fleet-search simulates many evenings: drop --report and --solutions")
    if mdrp is not None:
        instance = read_mdrp(mdrp)
        world = instance.world
        dispatch = DispatchSettings(objective="click_to_door")
        drawer = PlaneDrawer(instance.travel.x.tolist(), instance.travel.y.tolist())
    else:
        if scenario is not None:
            try:
                chosen = with_changes(
                    load_scenario(scenario, demo_alliance()),
                    couriers=couriers,
                    orders_per_hour=orders_per_hour,
                    hours=hours,
                    multi_share=multi_share,
                    seed=seed,
                )
            except ScenarioError as error:
                _fail(str(error))
        else:
            chosen = demo_scenario(
                demo_alliance(),
                orders_per_hour=orders_per_hour or 120,
                couriers=couriers or 12,
                hours=hours or 3.0,
                multi_share=1 / 3 if multi_share is None else multi_share,
                seed=1 if seed is None else seed,
            )
        geography = geography_for(settings)
        try:
            world = scenario_world(geography, chosen, QUOTE_RULE)
        except ScenarioError as error:
            _fail(f"{scenario or 'the demo scenario'}: {error}")
        dispatch = chosen.dispatch
        drawer = StreetDrawer(geography)
    time_limit_s = time_limit if time_limit is not None else dispatch.time_limit_s
    cycle_s = cycle if cycle is not None else dispatch.cycle_s
    if fleet_search:
        team = sum(shift.count for shift in chosen.couriers)
        high = fleet_max if fleet_max is not None else 2 * team
        # A fresh policy per simulated evening: the greedy one keeps its next planning time.
        makers: list[Callable[[], Policy]] = [
            lambda: DispatcherPolicy(time_limit_s, dispatch.objective),
            GreedyPolicy,
        ]
        answers = {
            maker().name: _smallest_team(chosen, geography, maker, cycle_s, dispatch, high, r2d_p90)
            for maker in makers
        }
        found = json.dumps({"world": chosen.name, "r2d_p90_target_min": r2d_p90, **answers})
        if out is not None:
            out.write_text(found)
        typer.echo(found)
        return
    if solutions is not None and (instance is None or cycle_s % 60):
        _fail("--solutions needs --mdrp and a cycle of whole minutes")
    summary: dict[str, object] = {"world": world.name, "orders": len(world.orders)}
    policies: list[Policy] = [DispatcherPolicy(time_limit_s, dispatch.objective), GreedyPolicy()]
    results = []
    for policy in policies:
        with typer.progressbar(length=1000, label=f"{policy.name:>10}", file=sys.stderr) as bar:
            done = 0

            def advance(elapsed: int, total: int) -> None:
                nonlocal done
                target = int(1000 * elapsed / max(total, 1))
                bar.update(target - done)
                done = target

            result = run_simulation(
                world,
                policy,
                cycle_s=cycle_s,
                plan_on_orders=dispatch.plan_on_orders,
                progress=advance,
            )
            bar.update(1000 - done)
        results.append(result)
        figures = kpis(result)
        if solutions is not None and instance is not None:
            folder = solutions / policy.name
            write_solution(instance, result, folder)
            problems = check_solution(instance.folder, folder)
            figures["solution_files"] = str(folder)
            figures["solution_problems"] = problems[:20]
            figures["feasible"] = figures["feasible"] and not problems
        summary[policy.name] = figures
    if report is not None:
        index = write_report(results, report, drawer)
        summary["report"] = str(index)
    text = json.dumps(summary, indent=2)
    if out is not None:
        out.write_text(text)
    typer.echo(text)


def _smallest_team(
    scenario: Scenario,
    geography: Geography,
    make_policy: Callable[[], Policy],
    cycle_s: int,
    dispatch: DispatchSettings,
    high: int,
    r2d_p90_target_min: float,
) -> dict[str, object]:
    """One policy's smallest serving team, each tried size printed as it is measured."""

    def run(couriers: int) -> Trial:
        world = scenario_world(geography, with_changes(scenario, couriers=couriers), QUOTE_RULE)
        policy = make_policy()
        result = run_simulation(
            world, policy, cycle_s=cycle_s, plan_on_orders=dispatch.plan_on_orders
        )
        figures = kpis(result)
        trial = Trial(
            couriers=couriers,
            orders=len(world.orders),
            delivered=int(str(figures["delivered"])),
            r2d_p90_min=_float_or_none(figures["r2d_p90"]),
            ctd_mean_min=_float_or_none(figures["ctd_mean"]),
        )
        typer.echo(f"{policy.name:>10} {couriers:3d} couriers: {trial}", err=True)
        return trial

    answer = smallest_team(run, 1, high, r2d_p90_target_min)
    return {
        "smallest_team": answer.smallest,
        "trials": [asdict(t) | {"serves": t.serves(r2d_p90_target_min)} for t in answer.trials],
    }


def _float_or_none(value: object) -> float | None:
    return None if value is None else float(str(value))


@dispatcher_app.command("run")
def dispatcher_run(
    once: Annotated[bool, typer.Option(help="Plan once (when leading) and exit.")] = False,
    zone: Annotated[
        str | None, typer.Option(help="The zone to plan, when the city has several.")
    ] = None,
    parent_pid: Annotated[
        int | None, typer.Option(hidden=True, help="Stop when this process is gone.")
    ] = None,
) -> None:
    """Lead (or wait to lead) and plan every cycle and at once on new events."""
    settings = _settings()
    configure_logging(settings.log_level, settings.log_json)
    try:
        worker = Dispatcher(settings, parent_pid=parent_pid, zone=zone)
    except ZoneError as error:
        _fail(str(error))
    except ValueError as error:
        _fail(f"CHAUD_DATABASE_URL: {error}")
    if once:
        if not worker.leadership.try_acquire():
            _fail("another dispatcher is leading")
        try:
            report = worker.cycle()
        finally:
            worker.leadership.release()
        typer.echo(
            f"planned {report.orders} orders over {report.couriers} couriers, "
            f"{len(report.unassigned)} unassigned, in {report.total_s:.2f} s"
        )
        return
    signal.signal(signal.SIGTERM, lambda *_: worker.stopping.set())
    try:
        worker.run()
    except KeyboardInterrupt:
        worker.stopping.set()


@mail_app.command("run")
def mail_run(
    parent_pid: Annotated[
        int | None, typer.Option(hidden=True, help="Stop when this process is gone.")
    ] = None,
) -> None:
    """Send the customers' queued mails through CHAUD_SMTP_HOST, retrying while it refuses."""
    settings = _settings()
    configure_logging(settings.log_level, settings.log_json)
    try:
        mailer = Mailer(settings, parent_pid=parent_pid)
    except ValueError as error:
        _fail(str(error))
    signal.signal(signal.SIGTERM, lambda *_: mailer.stopping.set())
    try:
        mailer.run()
    except KeyboardInterrupt:
        mailer.stopping.set()
    finally:
        mailer.engine.dispose()


@addresses_app.command("import")
def addresses_import(
    file: Annotated[Path, typer.Argument(help="The BAN's CSV of a département (adresses-75.csv).")],
) -> None:
    """Import a national address file's doors within the map, replacing the last import."""
    settings = _settings()
    if not file.is_file():
        _fail(f"{file}: no such file")
    engine = create_db_engine(settings.database_url)
    try:
        with Session(writer(engine)) as session:
            report = addresses.import_ban(session, file, geography_for(settings).bounds())
            session.commit()
    except (ValueError, UnicodeDecodeError, csv.Error) as error:
        _fail(str(error))
    finally:
        engine.dispose()
    typer.echo(f"{report.kept} doors within the map imported, of {report.read} read")


@zones_app.command("suggest")
def zones_suggest(
    count: Annotated[int, typer.Option(min=1, max=50, help="How many zones.")] = 3,
    out: Annotated[Path | None, typer.Option(help="Write the GeoJSON here, not to stdout.")] = None,
) -> None:
    """Suggest zones around clusters of the alliance's kitchens, for CHAUD_DISPATCH_ZONES_FILE."""
    settings = _settings()
    engine = create_db_engine(settings.database_url)
    try:
        with Session(engine) as session:
            kitchens = [(r.lat, r.lon) for r in session.exec(select(Restaurant)).all()]
    finally:
        engine.dispose()
    try:
        zones = suggest_zones(kitchens, count, geography_for(settings).bounds())
    except ZoneError as error:
        _fail(f"--count: {error}")
    text = zones.to_geojson()
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
    held = Counter(zones.zone_of(lat, lon) for lat, lon in kitchens)
    for name in zones.names:
        typer.echo(f"{name}: {held[name]} kitchens", err=True)


@app.command()
def seed(
    demo: Annotated[bool, typer.Option(help="Seed the demo alliance.")] = False,
) -> None:
    """Fill an empty, migrated database."""
    if not demo:
        _fail("nothing to seed: pass --demo")
    settings = _settings()
    try:
        _seed(settings)
    except sa.exc.OperationalError as error:
        _database_unreachable(error)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations up to a revision (default: the latest)."""
    settings = _settings()
    try:
        migrate.upgrade(settings.database_url, revision)
    except sa.exc.OperationalError as error:
        _database_unreachable(error)
    typer.echo(f"database at {revision}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, or 'base'.")] = "-1",
) -> None:
    """Revert migrations down to a revision (default: one step; 'base' empties the schema)."""
    settings = _settings()
    try:
        migrate.downgrade(settings.database_url, revision)
    except sa.exc.OperationalError as error:
        _database_unreachable(error)
    typer.echo(f"database at {revision}")


if __name__ == "__main__":
    app()
