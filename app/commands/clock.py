"""``ftr clock``: read or move the market clock of a non-production deployment (audited).

    ftr clock                                  print the market time
    ftr clock --advance P7D                    move it forward by an ISO 8601 duration (or "6h", "2d")
    ftr clock --to 2027-01-16T05:00:00+00:00   move it forward to an instant

The clock is stored in the database, so a running ``ftr serve`` or ``ftr demo`` on the same database
sees the move at its next request. Refused where the market clock is the system clock (production,
or ``FTR_MARKET_CLOCK=system``); the market clock only moves forward.
"""

from __future__ import annotations

import argparse
import re
from datetime import datetime, timedelta

from pydantic import TypeAdapter, ValidationError

from app.clock import Clock, MovableClock, SystemClock
from app.commands.runtime import command_engine, report
from app.db import transaction
from app.errors import ServiceError
from app.market_clock.service import ClockReading, MarketClockService
from app.settings import MarketClockMode, Settings

_SHORT = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNIT = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("clock", help="read or move the market clock (non-production)")
    move = parser.add_mutually_exclusive_group()
    move.add_argument("--advance", type=_duration, help="move forward by P7D, PT6H, 90m, 2d ...")
    move.add_argument("--to", type=_instant, help="move forward to this instant (ISO 8601 with offset)")
    parser.set_defaults(func=run)


def _duration(text: str) -> timedelta:
    short = _SHORT.match(text.strip())
    if short:
        return timedelta(**{_UNIT[short.group(2)]: float(short.group(1))})
    try:
        return TypeAdapter(timedelta).validate_python(text)
    except ValidationError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (P7D, PT6H, 90m, 2d)") from None


def _instant(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 instant") from None
    if at.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset (write e.g. 2027-01-16T05:00:00+00:00)")
    return at


def _line(reading: ClockReading) -> str:
    hours = reading.offset.total_seconds() / 3600
    return f"market clock {reading.now.isoformat(timespec='seconds')} (system clock {hours:+.2f} h)"


def run(args: argparse.Namespace) -> int:
    settings = Settings()
    movable = settings.market_clock_mode is MarketClockMode.MOVABLE
    clock: Clock = MovableClock(SystemClock()) if movable else SystemClock()
    engine = command_engine(settings)
    try:
        with transaction(engine) as session:
            service = MarketClockService(session)
            if args.advance is None and args.to is None:
                reading = service.read(clock)
            else:
                reading = service.move(clock, to=args.to, advance=args.advance, actor="cli:ftr clock")
    except ServiceError as exc:
        return report(exc)
    finally:
        engine.dispose()
    print(_line(reading))
    return 0
