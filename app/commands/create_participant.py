"""``ftr create-participant``: create a participant (the first OI, typically) and print its API key."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation

from app.clock import SystemClock
from app.commands.runtime import command_engine, report
from app.db import transaction
from app.errors import ServiceError
from app.participants.roles import Role
from app.participants.service import ParticipantService
from app.settings import Settings
from app.units import to_cents


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("create-participant", help="create a participant and print its API key")
    parser.add_argument("--name", required=True)
    parser.add_argument("--role", required=True, choices=[r.value for r in Role])
    parser.add_argument("--credit-limit", default="0", help="credit limit in $ (default 0)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        limit = Decimal(args.credit_limit)
    except InvalidOperation:
        print(f"error: --credit-limit {args.credit_limit!r} is not a number", file=sys.stderr)
        return 2
    if limit < 0 or limit != limit.quantize(Decimal("0.01")):
        print("error: --credit-limit must be >= 0 with at most 2 decimals", file=sys.stderr)
        return 2
    settings = Settings()
    engine = command_engine(settings)
    now = SystemClock().now()
    try:
        with transaction(engine) as session:
            service = ParticipantService(session, settings.secret_key)
            participant = service.create(
                name=args.name, role=Role(args.role), credit_limit_cents=to_cents(limit), now=now
            )
            key = service.issue_key(participant, now=now)
    except ServiceError as exc:
        return report(exc)
    finally:
        engine.dispose()
    print(f"participant {key.participant_id} ({args.role}) created; API key (shown once):")
    print(key.secret_key)
    return 0
