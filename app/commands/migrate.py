"""``ftr migrate``: apply the Alembic migrations to ``DATABASE_URL`` (or go down to a revision)."""

from __future__ import annotations

import argparse

from app.commands.runtime import command_engine
from app.migrations import downgrade, upgrade


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("migrate", help="bring the database schema up to date")
    parser.add_argument("--revision", default="head", help="target revision (default: head)")
    parser.add_argument("--downgrade", action="store_true", help="go down to --revision instead of up")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    engine = command_engine()
    try:
        if args.downgrade:
            downgrade(engine, args.revision)
        else:
            upgrade(engine, args.revision)
    finally:
        engine.dispose()
    print(f"database at {'revision ' + args.revision if args.downgrade else args.revision}")
    return 0
