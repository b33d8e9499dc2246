"""How long ``ftr demo`` takes to build its market, the first time and again.

    python -m benchmarks.demo_build

Builds the demo (:func:`app.demo.market.build_demo`) into a temporary SQLite file twice, timing
each step of the first build (the lines the demo prints mark them) and the whole second build
(which must find everything and add nothing). Each run is written to ``benchmarks/results/demo/`` as JSON;
``docs/benchmarks/demo.md`` is the reference page.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from app.commands.demo import demo_clock
from app.db import create_db_engine
from app.demo.market import build_demo
from app.migrations import upgrade
from app.settings import Environment, Settings
from benchmarks.results import write_run


def _machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores, {mem:.0f} GiB; load average (1/5/15 min) {load}"


def main() -> None:
    clock, year, month = demo_clock(datetime.now(UTC))
    marks: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.sqlite3'}"
        settings = Settings(env=Environment.DEVELOPMENT, database_url=url)
        engine = create_db_engine(url)
        before = _machine()
        started = time.perf_counter()
        upgrade(engine)
        marks.append(("migrate", time.perf_counter() - started))

        def say(line: str) -> None:
            marks.append((line.strip(), time.perf_counter() - started))

        build_demo(engine, settings, clock, (year, month), say)
        first = time.perf_counter() - started
        again = time.perf_counter()
        build_demo(engine, settings, clock, (year, month), lambda _: None)
        second = time.perf_counter() - again
        engine.dispose()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout
    lines = [
        "# Demo market build",
        "",
        f"Command: `python -m benchmarks.demo_build` (commit {commit.strip()}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC).",
        f"Machine: {before} before; {_machine()} after (the machine is shared).",
        "",
        "| first build: step reached | seconds since start |",
        "|---|---|",
        *[f"| {label} | {t:.1f} |" for label, t in marks],
        f"| **done** | **{first:.1f}** |",
        "",
        f"Second build (finds everything, adds nothing): **{second:.2f} s**.",
        "",
    ]
    print("\n".join(lines))
    write_run(
        "demo",
        "python -m benchmarks.demo_build",
        {"machine_before": before, "first_build_s": first, "second_build_s": second, "marks_s": marks},
    )


if __name__ == "__main__":
    main()
