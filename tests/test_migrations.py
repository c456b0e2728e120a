"""The migrations build exactly the models' schema, and unwind completely."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import api.models  # noqa: F401
from api import migrate
from api.db import create_db_engine
from tests.databases import drop_database, new_database


@pytest.fixture
def empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    url = new_database(backend, tmp_path)
    yield url
    drop_database(backend, url)


def _schema_differences(engine: sa.Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_upgrade_gives_the_models_schema_and_downgrade_empties_it(empty_database: str) -> None:
    engine = create_db_engine(empty_database)
    try:
        migrate.upgrade(empty_database)
        assert _schema_differences(engine) == []
        assert _tables(engine) == {*SQLModel.metadata.tables, "alembic_version"}

        migrate.downgrade(empty_database, "base")
        assert _tables(engine) == {"alembic_version"}
        assert migrate.current_revision(engine) is None

        migrate.upgrade(empty_database)
        assert _schema_differences(engine) == []
    finally:
        engine.dispose()


def test_migration_files_are_dated_and_form_one_line() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1
    for revision in script.walk_revisions():
        assert revision.path is not None
        name = Path(revision.path).name
        assert re.match(r"\d{4}_\d{2}_\d{2}_\d{4}-[0-9a-f]+_", name), name
