"""Migrations: upgrade and downgrade work on both databases and match the tables in code."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from app.db import create_db_engine
from app.migrations import QUEUE_PREFIX, alembic_config, downgrade, include_name, upgrade
from app.tables import metadata
from tests.app.conftest import TEST_POSTGRES_URL, Database


@pytest.fixture
def fresh_engine(database: Database, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of the same backend as ``database``."""
    if database.backend == "sqlite":
        engine = create_db_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
        yield engine
        engine.dispose()
        return
    schema = f"m_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(TEST_POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = create_db_engine(TEST_POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _tables(engine: Engine) -> set[str]:
    """The service's tables (the job queue's own, ``procrastinate_*``, are Procrastinate's schema)."""
    names = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    return {n for n in names if not n.startswith(QUEUE_PREFIX)}


class TestMigrations:
    def test_upgrade_downgrade_upgrade(self, fresh_engine: Engine) -> None:
        upgrade(fresh_engine)
        assert _tables(fresh_engine) == set(metadata.tables)
        downgrade(fresh_engine, "base")
        assert _tables(fresh_engine) == set()
        assert not set(sa.inspect(fresh_engine).get_table_names()) - {"alembic_version"}
        upgrade(fresh_engine)
        assert _tables(fresh_engine) == set(metadata.tables)

    def test_each_step_down_and_up(self, fresh_engine: Engine) -> None:
        script = ScriptDirectory.from_config(alembic_config())
        revisions = [r.revision for r in script.walk_revisions()][::-1]
        for rev in revisions:
            upgrade(fresh_engine, rev)
        for rev in reversed(revisions):
            downgrade(fresh_engine, f"{rev}-1" if rev != revisions[0] else "base")
        assert _tables(fresh_engine) == set()

    def test_models_match_migrations(self, database: Database) -> None:
        with database.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": include_name}
            )
            diff = compare_metadata(context, metadata)
        assert diff == []

    def test_constraints_are_named(self, database: Database) -> None:
        inspector = sa.inspect(database.engine)
        for table in metadata.tables:
            for fk in inspector.get_foreign_keys(table):
                assert fk["name"] and fk["name"].startswith("fk_"), (table, fk)
            for uq in inspector.get_unique_constraints(table):
                assert uq["name"] and uq["name"].startswith("uq_"), (table, uq)
