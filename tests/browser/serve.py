"""Serve the app for the browser tests: ``python -m tests.browser.serve DATABASE_URL PORT AT``.

The market clock is the system clock shifted so that it read ``AT`` (ISO 8601) at start-up; the
settings come from the arguments alone (development: the session cookie is not ``Secure`` on
plain-HTTP localhost), never from the parent test process's state.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import uvicorn

from app.main import create_app
from app.settings import Environment, Settings


class ShiftedClock:
    """The system clock shifted by a fixed offset (not the stored, movable market clock: each server
    of the browser tests keeps the instant it was started at, whatever the database's clock says)."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def main(argv: list[str]) -> int:
    database_url, port, at = argv[0], int(argv[1]), datetime.fromisoformat(argv[2])
    settings = Settings(env=Environment.DEVELOPMENT, database_url=database_url, job_workers=1)
    clock = ShiftedClock(at - datetime.now(UTC))
    app = create_app(settings, clock=clock)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
