"""``ftr serve``: run the HTTP service with uvicorn (``--migrate`` first brings the database to head)."""

from __future__ import annotations

import argparse

import uvicorn

from app.commands.runtime import command_engine
from app.migrations import upgrade


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("serve", help="run the HTTP service")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--migrate", action="store_true", help="apply database migrations before serving")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.migrate:
        engine = command_engine()
        upgrade(engine)
        engine.dispose()
    uvicorn.run("app.main:create_app", factory=True, host=args.host, port=args.port)
    return 0
