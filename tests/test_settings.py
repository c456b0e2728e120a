from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from api.clock import StartedClock, SystemClock, clock_starting
from api.settings import ConfigurationError, load_settings

VAULT_SECRET = "q8Jv1yM3kR0pZxT5wLc7NbE2uHs9GdAf-fromthevault"


def test_development_defaults_use_a_sqlite_file_in_the_data_folder(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path.as_posix()}/chaud.db"
    assert settings.is_sqlite
    assert settings.redis_url is None


def test_plain_postgresql_urls_use_the_psycopg_driver() -> None:
    settings = load_settings(database_url="postgresql://chaud@db:5432/chaud")
    assert settings.database_url == "postgresql+psycopg://chaud@db:5432/chaud"
    assert not settings.is_sqlite


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"database_url": "mysql://root@localhost/chaud"},
            "CHAUD_DATABASE_URL: unsupported scheme 'mysql'",
        ),
        ({"redis_url": "memcached://localhost"}, "CHAUD_REDIS_URL: unsupported scheme"),
        ({"environment": "production"}, "CHAUD_SECRET_KEY: required in production"),
        (
            {"environment": "production", "secret_key": "short"},
            "CHAUD_SECRET_KEY: too weak for production",
        ),
        (
            {"environment": "production", "secret_key": "a" * 64},
            "CHAUD_SECRET_KEY: too weak for production",
        ),
        ({"map_dir": "/nonexistent"}, "CHAUD_MAP_DIR: missing map file paris_bss_bike.osm.bz2"),
        ({"port": 70000}, "CHAUD_PORT: Input should be less than or equal to 65535"),
        ({"clock_start": "2026-11-27T19:30:00"}, "CHAUD_CLOCK_START: give the moment with"),
        ({"alliance_siret": "73282932000075"}, "CHAUD_ALLIANCE_SIRET: not a SIRET: The number"),
        (
            {"alliance_vat_number": "FR41303265045"},
            "CHAUD_ALLIANCE_VAT_NUMBER: not a French VAT number",
        ),
    ],
)
def test_bad_configuration_is_refused_naming_the_setting(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        load_settings(**overrides)
    assert str(refused.value).startswith(message)
    assert "\n" not in str(refused.value)


def test_production_accepts_a_real_secret() -> None:
    settings = load_settings(environment="production", secret_key=VAULT_SECRET)
    assert settings.secret_key.get_secret_value() == VAULT_SECRET


def test_development_makes_a_random_secret_once_and_keeps_it_private(tmp_path: Path) -> None:
    first = load_settings(data_dir=tmp_path).secret_key.get_secret_value()
    again = load_settings(data_dir=tmp_path).secret_key.get_secret_value()
    elsewhere = load_settings(data_dir=tmp_path / "other").secret_key.get_secret_value()
    assert first == again
    assert first != elsewhere
    assert len(first) >= 43
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".secret_key")] == []


def test_the_demo_alliance_is_refused_in_production(tmp_path: Path) -> None:
    env = {
        "CHAUD_DATA_DIR": str(tmp_path),
        "CHAUD_ENVIRONMENT": "production",
        "CHAUD_SECRET_KEY": VAULT_SECRET,
    }
    for command in (["seed", "--demo"], ["serve", "--demo"]):
        result = CliRunner().invoke(cli, command, env=env)
        assert result.exit_code == 2
        assert "refused in production" in result.stderr
    assert not (tmp_path / "chaud.db").exists()


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"CHAUD_DATABASE_URL": "oracle://scott@tiger/db"}, "CHAUD_DATABASE_URL"),
        ({"CHAUD_ENVIRONMENT": "production"}, "CHAUD_SECRET_KEY"),
        ({"CHAUD_MAP_DIR": "/nonexistent"}, "CHAUD_MAP_DIR"),
    ],
)
def test_start_up_stops_with_one_line_naming_the_setting(
    env: dict[str, str], setting: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(cli, ["serve"], env={"CHAUD_DATA_DIR": str(tmp_path), **env})
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"chaud: configuration error: {setting}: ")


def test_a_started_clock_runs_from_its_moment_at_the_real_pace() -> None:
    friday = datetime(2026, 11, 27, 18, 30, tzinfo=UTC)
    settings = load_settings(clock_start=friday.isoformat())
    clock = clock_starting(settings.clock_start)
    assert isinstance(clock, StartedClock)
    first, second = clock.now(), clock.now()
    assert friday <= first <= second < friday + timedelta(minutes=1)
    assert isinstance(clock_starting(load_settings().clock_start), SystemClock)


def test_a_moved_clock_is_refused_in_production() -> None:
    with pytest.raises(ConfigurationError, match=r"^CHAUD_CLOCK_START: "):
        load_settings(
            environment="production",
            secret_key=VAULT_SECRET,
            clock_start="2026-11-27T19:30:00+01:00",
        )
