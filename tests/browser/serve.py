"""Serve the app for the browser tests: ``python -m tests.browser.serve DATABASE_URL PORT AT``.

The market clock is the system clock shifted so that it read ``AT`` (ISO 8601) at start-up; the
settings come from the arguments alone (development: the session cookie is not ``Secure`` on
plain-HTTP localhost), never from the parent test process's state.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import uvicorn

from app.clock import OffsetClock
from app.main import create_app
from app.settings import Environment, Settings


def main(argv: list[str]) -> int:
    database_url, port, at = argv[0], int(argv[1]), datetime.fromisoformat(argv[2])
    settings = Settings(env=Environment.DEVELOPMENT, database_url=database_url, job_workers=1)
    clock = OffsetClock(at - datetime.now(UTC))
    app = create_app(settings, clock=clock)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
