from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from api.settings import DEFAULT_SECRET_KEY, ConfigurationError, load_settings


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
        (
            {"environment": "production"},
            "CHAUD_SECRET_KEY: the default secret is only allowed in development",
        ),
        ({"map_dir": "/nonexistent"}, "CHAUD_MAP_DIR: missing map file paris_bss_bike.osm.bz2"),
        ({"port": 70000}, "CHAUD_PORT: Input should be less than or equal to 65535"),
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
    settings = load_settings(environment="production", secret_key="s3cret-from-the-vault")
    assert settings.secret_key.get_secret_value() != DEFAULT_SECRET_KEY


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
