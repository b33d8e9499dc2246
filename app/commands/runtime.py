"""What the OI's commands share: settings, the engine, and the errors they report."""

from __future__ import annotations

import sys

from sqlalchemy.engine import Engine

from app.audit.signing import register_signing_key
from app.db import create_db_engine
from app.errors import ServiceError
from app.settings import Settings


def command_engine(settings: Settings | None = None) -> Engine:
    settings = settings if settings is not None else Settings()
    engine = create_db_engine(settings.database_url)
    register_signing_key(engine, settings.audit_signing_key_file)
    return engine


def report(error: ServiceError) -> int:
    """Print a service error the way the HTTP API would word it; exit code 2 (the user can fix it)."""
    print(f"error: {error.title}: {error.detail}", file=sys.stderr)
    for field_error in error.errors:
        where = f"row {field_error.row}, " if field_error.row is not None else ""
        print(f"  {where}{field_error.field}: {field_error.reason}", file=sys.stderr)
    return 2
