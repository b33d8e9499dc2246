"""Service settlement speed: uploads of a month's inputs and the settlement job, per database.

    python -m benchmarks.settlement_service [--ftrs 500 2000] [--nodes 200] [--postgres URL [--only-postgres]]

For each database (a temporary SQLite file; PostgreSQL in a throwaway schema when ``--postgres`` is
given and reachable) and each FTR count: migrate, create the OI and 100 holders, record the FTRs as
allocations for January 2027 (744 hours), then time (a) the upload of the day-ahead prices
(nodes x 744 rows, checked row by row and by the engine), (b) the upload of the hourly charges,
(c) the settlement job (snapshot, engine, the per-FTR-hour detail written as one Parquet file to a
temporary file store, every other statement row stored in one transaction), (d) a re-settlement
after a corrected charges upload (the old version recomputed and diffed), and (e) one holder's
per-FTR-hour CSV statement read from the file and drained chunk by chunk. The peak resident memory
of the process (``ru_maxrss``) is recorded after each run: run one FTR count per invocation for a
clean figure. Inputs are random (seeded). Each run is written to
``benchmarks/results/settlement_service/`` as JSON; ``docs/benchmarks/settlement_service.md`` is the
reference page.
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing
import os
import platform
import pstats
import resource
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import func, select

from app.clock import FixedClock
from app.db import create_db_engine, transaction
from app.holdings.tables import FtrHolding
from app.jobs import JobContext, JobKind, JobRunner, JobStatus
from app.jobs.repository import JobRepository
from app.jobs.runner import _TASKS
from app.migrations import upgrade
from app.participants.roles import Role
from app.participants.service import Caller, ParticipantService
from app.settlement.detail_store import LocalDirectoryStore, register_store
from app.settlement.flows import start_settlement
from app.settlement.input_kinds import InputKind
from app.settlement.service import SettlementService
from app.settlement.tables import SettlementHolderHour, SettlementRun
from benchmarks.results import write_run
from market_calendar import month_hour_index

YEAR, MONTH = 2027, 1
HOLDERS = 100
NOW = datetime(2027, 2, 3, 12, 0, tzinfo=UTC)


@contextmanager
def database(backend: str, postgres_url: str | None) -> Iterator[tuple[str, dict[str, Any]]]:
    """A migrated empty database: ``(url, connect_args)`` for :func:`app.db.create_db_engine`."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.sqlite3"
            engine = create_db_engine(url)
            upgrade(engine)
            engine.dispose()
            yield url, {}
        return
    assert postgres_url is not None
    schema = f"b_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    connect_args = {"options": f"-csearch_path={schema}"}
    try:
        engine = create_db_engine(postgres_url, connect_args=connect_args)
        upgrade(engine)
        engine.dispose()
        yield postgres_url, connect_args
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_one(
    url: str,
    connect_args: dict[str, Any],
    n_ftrs: int,
    n_nodes: int,
    profile: Path | None,
    seed: int = 11,
    layout: str = "wide",
) -> dict[str, float | int]:
    """Set up and upload in a forked child (its own peak memory), then settle in this process."""
    with tempfile.TemporaryDirectory() as files:
        store = LocalDirectoryStore(Path(files))
        fork = multiprocessing.get_context("fork")
        with fork.Pool(1) as pool:
            setup = pool.apply(_setup, (url, connect_args, n_ftrs, n_nodes, seed, layout, files))
        engine = create_db_engine(url, connect_args=connect_args)
        register_store(engine, store)
        try:
            settled = _settle(engine, store, setup, profile)
            return {**setup, **settled}
        finally:
            engine.dispose()


def _caller(engine: Engine) -> Caller:
    with transaction(engine) as session:
        oi = ParticipantService(session, "bench-secret").create(
            name="The OI", role=Role.OPERATOR, credit_limit_cents=0, now=NOW
        )
    assert oi.id is not None
    return Caller(participant_id=oi.id, name="The OI", role=Role.OPERATOR)


def _upload(engine: Engine, caller: Caller, kind: InputKind, content: bytes) -> None:
    with transaction(engine) as session:
        SettlementService(session).upload(
            caller,
            year=YEAR,
            month=MONTH,
            kind=kind,
            content=content,
            media_type="text/csv",
            max_rows=50_000_000,
            now=NOW,
        )


def _charges_csv(values: np.ndarray) -> bytes:
    hours = month_hour_index(YEAR, MONTH)
    rows = [f"{t.isoformat()},{v}" for t, v in zip(hours, values, strict=True)]
    return ("hour_ending,da_congestion\n" + "\n".join(rows) + "\n").encode()


def _setup(
    url: str, connect_args: dict[str, Any], n_ftrs: int, n_nodes: int, seed: int, layout: str, files: str
) -> dict[str, Any]:
    """Participants, the FTRs as allocations, and the uploads (run in a child process; the price
    file goes to the same temporary file store as the jobs' files)."""
    engine = create_db_engine(url, connect_args=connect_args)
    register_store(engine, LocalDirectoryStore(Path(files)))
    try:
        return _setup_in(engine, n_ftrs, n_nodes, seed, layout)
    finally:
        engine.dispose()


def _prices_csv(prices: np.ndarray, hours: pd.DatetimeIndex, layout: str) -> bytes:
    """The month's prices as an upload: ``wide`` (one row per hour, one column per pricing point) or
    ``long`` (one row per point and hour), written by Arrow."""
    stamps = pa.array([t.isoformat() for t in hours])
    n_nodes = prices.shape[0]
    if layout == "wide":
        table = pa.table({"hour_ending": stamps, **{f"n{n}": pa.array(prices[n]) for n in range(n_nodes)}})
    else:
        table = pa.table(
            {
                "hour_ending": pc.take(stamps, pa.array(np.tile(np.arange(len(hours)), n_nodes))),
                "node": pc.take(
                    pa.array([f"n{n}" for n in range(n_nodes)]),
                    pa.array(np.repeat(np.arange(n_nodes), len(hours))),
                ),
                "price": pa.array(prices.reshape(-1)),
            }
        )
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(quoting_style="none"))
    return sink.getvalue().to_pybytes()


def _setup_in(engine: Engine, n_ftrs: int, n_nodes: int, seed: int, layout: str) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    hours = month_hour_index(YEAR, MONTH)
    caller = _caller(engine)
    with transaction(engine) as session:
        people = ParticipantService(session, "bench-secret")
        holders = [
            people.create(name=f"h{i}", role=Role.LSE, credit_limit_cents=0, now=NOW) for i in range(HOLDERS)
        ]
        src = rng.integers(0, n_nodes, n_ftrs)
        snk = (src + rng.integers(1, n_nodes, n_ftrs)) % n_nodes
        session.execute(
            sa.insert(FtrHolding),
            [
                {
                    "holder_id": holders[i % HOLDERS].id,
                    "year": YEAR,
                    "month": MONTH,
                    "period_class": "on_peak" if i % 2 else "off_peak",
                    "source": f"n{src[i]}",
                    "sink": f"n{snk[i]}",
                    "hedge": "obligation",
                    "mw_tenths": int(rng.integers(1, 1001)),
                    "origin": "nsu_allocation",
                    "effective_from": hours[0].to_pydatetime(),
                    "reference": f"benchmark:{i}",
                    "created_at": NOW,
                }
                for i in range(n_ftrs)
            ],
        )
    prices = rng.normal(30.0, 10.0, size=(n_nodes, len(hours))).round(2)
    price_csv = _prices_csv(prices, hours, layout)
    del prices
    charges = rng.uniform(0, 50_000, len(hours)).round(2)
    out: dict[str, Any] = {
        "upload_prices_s": _timed(lambda: _upload(engine, caller, InputKind.DA_PRICES, price_csv)),
        "price_rows": n_nodes * len(hours),
        "price_layout": layout,
        "price_csv_bytes": len(price_csv),
        "upload_charges_s": _timed(
            lambda: _upload(engine, caller, InputKind.DA_CONGESTION, _charges_csv(charges))
        ),
        "setup_peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "caller_id": caller.participant_id,
        "first_holder": holders[0].id,
        "charges": charges.tolist(),
    }
    return out


def _profiled(profiler: cProfile.Profile) -> None:
    """Run the settlement task under ``profiler`` (the job runs in a worker thread)."""
    body = _TASKS[JobKind.SETTLEMENT]

    def run(ctx: JobContext) -> None:
        profiler.enable()
        try:
            body(ctx)
        finally:
            profiler.disable()

    _TASKS[JobKind.SETTLEMENT] = run


def _settle(
    engine: Engine, store: LocalDirectoryStore, setup: dict[str, Any], profile: Path | None
) -> dict[str, float | int]:
    caller = Caller(participant_id=int(setup["caller_id"]), name="The OI", role=Role.OPERATOR)
    charges = np.asarray(setup.pop("charges"))
    profiler = cProfile.Profile() if profile is not None else None
    if profiler is not None:
        _profiled(profiler)
    clock = FixedClock(NOW)
    jobs = JobRunner(engine, clock, max_workers=1)

    def settle() -> None:
        with transaction(engine) as session:
            start_settlement(
                session,
                year=YEAR,
                month=MONTH,
                reason="benchmark",
                requested_by=caller.participant_id,
                clock=clock,
                jobs=jobs,
            )
        jobs.wait_idle()
        with transaction(engine) as session:
            last = JobRepository(session).unfinished(JobKind.SETTLEMENT, year=YEAR)
            assert last is None, "the settlement job did not finish"
            runs = SettlementService(session).runs_of(YEAR, MONTH)
            assert runs and runs[-1].job_id is not None
            job = JobRepository(session).get(runs[-1].job_id)
            assert job is not None and job.status == JobStatus.SUCCEEDED, job.error if job else None

    out: dict[str, float | int] = {"settle_s": _timed(settle)}
    _upload(engine, caller, InputKind.DA_CONGESTION, _charges_csv(charges * 0.9))
    out["resettle_s"] = _timed(settle)
    jobs.shutdown()
    if profiler is not None and profile is not None:
        profiler.dump_stats(str(profile))
        pstats.Stats(str(profile)).sort_stats("cumulative").print_stats(40)
    first_holder = int(setup["first_holder"])

    def export() -> None:
        with transaction(engine) as session:
            chunks, _ = SettlementService(session).statement_ftr_csv(caller, YEAR, MONTH, first_holder, None)
            out["csv_bytes"] = sum(len(c.encode()) for c in chunks)

    out["holder_csv_s"] = _timed(export)
    with transaction(engine) as session:
        keys = [r.detail_key for r in session.exec(select(SettlementRun)).all() if r.detail_key is not None]
        out["ftr_hour_rows"] = sum(pq.ParquetFile(store.path(k)).metadata.num_rows for k in keys)
        out["detail_file_bytes"] = sum(store.path(k).stat().st_size for k in keys)
        out["holder_hour_rows"] = int(
            session.exec(select(func.count()).select_from(SettlementHolderHour)).one()
        )
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return out


def _machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    uptime = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    return f"{platform.machine()}, nproc {os.cpu_count()}, memory {mem} MiB; `uptime`: {uptime}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ftrs", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument(
        "--price-layout",
        choices=("wide", "long"),
        default="wide",
        help="how the day-ahead prices are uploaded",
    )
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--only-postgres", action="store_true", help="skip SQLite")
    parser.add_argument("--profile", type=Path, default=None, help="cProfile the settlement jobs into FILE")
    args = parser.parse_args()
    if args.only_postgres and not args.postgres:
        parser.error("--only-postgres needs --postgres URL (otherwise there is nothing to run)")
    backends = ([] if args.only_postgres else ["sqlite"]) + (["postgresql"] if args.postgres else [])
    rows = []
    runs: list[dict[str, Any]] = []
    for backend in backends:
        for n in args.ftrs:
            with database(backend, args.postgres) as (url, connect_args):
                r = run_one(url, connect_args, n, args.nodes, args.profile, layout=args.price_layout)
            print(backend, n, r, flush=True)
            runs.append({"database": backend, "ftrs": n, **r})
            rows.append(
                f"| {backend} | {n} | {r['price_rows']} | {r['upload_prices_s']:.2f} s | "
                f"{r['upload_charges_s']:.2f} s | {r['settle_s']:.2f} s | {r['resettle_s']:.2f} s | "
                f"{r['ftr_hour_rows']} | {r['detail_file_bytes']} | {r['holder_hour_rows']} | "
                f"{r['holder_csv_s']:.2f} s | {r['peak_rss_mib']} MiB | {r['setup_peak_rss_mib']} MiB |"
            )
    command = "python -m benchmarks.settlement_service " + " ".join(
        ["--ftrs", *map(str, args.ftrs), "--nodes", str(args.nodes), "--price-layout", args.price_layout]
        + (["--postgres", "$URL"] if args.postgres else [])
        + (["--only-postgres"] if args.only_postgres else [])
    )
    print("\n".join(rows))
    write_run("settlement_service", command, {"holders": HOLDERS, "nodes": args.nodes, "runs": runs})


if __name__ == "__main__":
    main()
