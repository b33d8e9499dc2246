"""``ftr import-network``: store a network model version from a MATPOWER ``.m`` or our JSON file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.clock import SystemClock
from app.commands.runtime import command_engine, report
from app.db import transaction
from app.errors import ServiceError
from app.networks.loading import NetworkFormat
from app.networks.service import NetworkService
from app.participants.repository import ParticipantRepository
from app.participants.roles import Role


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("import-network", help="store a network model version")
    parser.add_argument("path", type=Path)
    parser.add_argument(
        "--format", choices=[f.value for f in NetworkFormat], help="default: from the file suffix"
    )
    parser.add_argument("--name", help="version name (default: the case name)")
    parser.add_argument("--operator", required=True, help="name of the OI participant recorded as uploader")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path: Path = args.path
    if not path.is_file():
        print(f"error: {path}: no such file", file=sys.stderr)
        return 2
    fmt = (
        NetworkFormat(args.format)
        if args.format
        else (NetworkFormat.JSON if path.suffix.lower() == ".json" else NetworkFormat.MATPOWER)
    )
    engine = command_engine()
    try:
        with transaction(engine) as session:
            operator = ParticipantRepository(session).get_by_name(args.operator)
            if operator is None or operator.role != Role.OPERATOR.value or operator.id is None:
                print(f"error: {args.operator!r} is not an operator participant", file=sys.stderr)
                return 2
            stored = NetworkService(session).upload(
                fmt=fmt,
                content=path.read_bytes(),
                name=args.name,
                uploader_id=operator.id,
                now=SystemClock().now(),
            )
            version = stored.version
    except ServiceError as exc:
        return report(exc)
    finally:
        engine.dispose()
    state = "stored" if stored.created else "already stored"
    print(f"network version {version.id} {state}: {version.name}, {version.n_buses} buses")
    print(f"content hash {version.content_hash}")
    return 0
