"""Fixtures of the browser tests: a demo market, live servers and Chromium, each bounded in time.

- The demo market (:mod:`app.demo`) is built once per run into a SQLite file by a subprocess
  (``ftr demo --no-serve``, the shared ``demo_build`` of tests/demo_build.py); every server gets its own copy.
- A server is ``python -m tests.browser.serve`` in a new process group, with its environment and
  market clock from its arguments (nothing of this pytest process leaks in), on a free port; it is
  killed with its group at teardown.
- Chromium is Debian's (``/usr/bin/chromium``; browsers cannot be downloaded). Missing, the tests
  are skipped with the reason, unless ``FTR_REQUIRE_BROWSER=1``: then they fail.
- Every page has a 15 s default timeout on each action and wait; each test a pytest-timeout.
- Each page records console errors, page errors and requests to another origin (refused); the
  ``page`` fixture fails the test if any happened.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.commands.demo import demo_clock
from market_calendar import bid_window
from tests.demo_build import DemoBuild, clean_env

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("FTR_CHROMIUM", "/usr/bin/chromium")
START_TIMEOUT_S = 60
ACTION_TIMEOUT_MS = 15_000


def _chromium_or_skip() -> str:
    if Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK):
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright package is not installed (pip install -e '.[dev]')"
        else:
            return CHROMIUM
    else:
        reason = f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    if os.environ.get("FTR_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required (FTR_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


@dataclass(frozen=True)
class DemoTemplate:
    path: Path
    keys: dict[str, str]
    """participant name -> API key"""
    at: datetime
    """a market time inside the upcoming auction's bid window"""
    closes_at: datetime
    """the close of that window"""


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return _chromium_or_skip()


@pytest.fixture(scope="session")
def demo_template(chromium_path: str, demo_build: DemoBuild) -> DemoTemplate:
    assert demo_build.returncode == 0, f"the demo build failed:\n{demo_build.stdout}\n{demo_build.stderr}"
    clock, year, month = demo_clock(datetime.now(UTC))
    _, closes_at = bid_window(year, month)
    return DemoTemplate(path=demo_build.path, keys=demo_build.keys, at=clock.now(), closes_at=closes_at)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    keys: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def _start_server(template: DemoTemplate, tmp: Path, at: datetime) -> LiveServer:
    db = tmp / "market.sqlite3"
    shutil.copyfile(template.path, db)
    port = _free_port()
    log = tmp / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.browser.serve", f"sqlite:///{db}", str(port), at.isoformat()],
            cwd=ROOT,
            env=clean_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log, dict(template.keys))
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{server.url}/api/v1/health", timeout=2) as r:
                if r.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    server.stop()
    raise AssertionError(f"the server did not answer in {START_TIMEOUT_S} s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def open_market(
    demo_template: DemoTemplate, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The demo market with its clock inside the upcoming auction's window (bids accepted)."""
    server = _start_server(demo_template, tmp_path_factory.mktemp("open-market"), demo_template.at)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def closed_market(
    demo_template: DemoTemplate, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The demo market with its clock just after the upcoming auction's window closed."""
    at = demo_template.closes_at + timedelta(minutes=5)
    server = _start_server(demo_template, tmp_path_factory.mktemp("closed-market"), at)
    yield server
    server.stop()


@dataclass
class Watch:
    """What a page did that it must not: console errors, page errors, requests to another origin."""

    origin: str
    console_errors: list[tuple[str, str]] = field(default_factory=list)
    """(message, url of the resource it is about)"""
    foreign_requests: list[str] = field(default_factory=list)
    error_documents: set[str] = field(default_factory=set)
    """pages answered with a 4xx on purpose (a form with errors): Chromium logs each as an error"""

    def problems(self) -> list[str]:
        unexpected = [
            text
            for text, url in self.console_errors
            if not (
                text.startswith("Failed to load resource: the server responded")
                and url in self.error_documents
            )
        ]
        return [*unexpected, *(f"request to another origin: {u}" for u in self.foreign_requests)]


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    # Module scope: Playwright's sync API keeps an event loop running in this thread while it is
    # open, so it must close before the process goes on to other files (a parallel run sends other
    # test files to the same process, and asyncio.run() refuses to start inside a running loop).
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=chromium_path, args=["--no-sandbox", "--disable-gpu"], timeout=60_000
        )
        yield launched
        launched.close()


def new_page(browser: Any, server: LiveServer) -> tuple[Any, Any, Watch]:
    """A fresh context (no cookies) and page on ``server``, watched."""
    context = browser.new_context(base_url=server.url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(ACTION_TIMEOUT_MS)
    watch = Watch(server.url)

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(server.url + "/") or url.startswith("data:"):
            r.continue_()
        else:
            watch.foreign_requests.append(url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(ACTION_TIMEOUT_MS)

    def console(message: Any) -> None:
        if message.type == "error":
            watch.console_errors.append((message.text, str(message.location.get("url", ""))))

    def response(r: Any) -> None:
        if r.request.resource_type == "document" and 400 <= r.status < 500:
            watch.error_documents.add(r.url)

    page.on("console", console)
    page.on("response", response)
    page.on("pageerror", lambda e: watch.console_errors.append((f"page error: {e}", "")))
    page.on("dialog", lambda d: d.accept())
    return context, page, watch


@pytest.fixture
def visit(browser: Any) -> Iterator[Any]:
    """``visit(server)`` -> a watched page; at the end every page must be free of problems."""
    opened: list[tuple[Any, Watch]] = []

    def open_page(server: LiveServer) -> Any:
        context, page, watch = new_page(browser, server)
        opened.append((context, watch))
        return page

    yield open_page
    problems = [p for _, w in opened for p in w.problems()]
    for context, _ in opened:
        context.close()
    assert problems == [], problems
