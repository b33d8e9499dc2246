"""Run the Alembic migrations programmatically (``ftr migrate``, start-up in the container, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy.engine import Engine

from alembic import command

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


QUEUE_PREFIX = "procrastinate_"
"""The job queue's own tables (migration ``0401_procrastinate``) are not in the service's metadata."""


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Autogenerate's filter: leave the job queue's tables out of the comparison."""
    return not (type_ == "table" and name is not None and name.startswith(QUEUE_PREFIX))
