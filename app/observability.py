"""Probes, Prometheus metrics and the JSON log format.

    /healthz   the process is alive (no database)
    /readyz    the database answers and its migrations are at the head of ``alembic/``; 503 otherwise
    /metrics   Prometheus text: request latency by route, bids accepted and refused (this process,
               or every API process of the host), the job metrics of the whole service, and the
               OA 7.3.7 posting deadlines (read from the tables at each scrape on the market clock):
               ``ftr_posting_deadline_seconds{auction_id,month,state}`` seconds left to the posting
               deadline of each closed auction whose results are not posted (negative: overdue;
               ``state`` is ``due``, ``due_soon`` within 24 h, or ``overdue``), and
               ``ftr_late_postings_total`` auctions posted after their deadline. Alert on
               ``ftr_posting_deadline_seconds < 86400`` (the OI is also warned in the log and by
               ``posting_state`` on the auction).

Job metrics are read from the ``job`` table at scrape (:class:`JobTableCollector`): queue depth and
running jobs by kind, and job durations by kind and outcome (``started_at`` to ``finished_at`` of
every finished job). Whichever API process answers the scrape, and whichever worker ran the jobs,
one scrape sees the same figures for the whole service. Request latency and bid counts are counted
in the process that answered; with several processes (``ftr serve --workers N``) set
``PROMETHEUS_MULTIPROC_DIR`` to an empty directory shared by them and ``/metrics`` adds up every
process's samples (each host of a fleet is scraped apart, as Prometheus does).

``FTR_LOG_FORMAT=json`` writes one JSON object per log line (time, level, logger, message). Log
messages never carry prices or keys; the formatter also drops any ``Bearer`` credential and any
field whose name says price or key, should one ever be passed as an ``extra``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auctions.posting_watch import late_posting_count, posting_dues
from app.db import read_engine
from app.jobs.repository import JobRepository
from app.jobs.status import JobKind, JobStatus
from app.migrations import alembic_config

REQUEST_SECONDS = Histogram(
    "ftr_request_duration_seconds", "HTTP request latency by route template", ["method", "route"]
)
BIDS = Counter("ftr_bid_requests", "Bid submissions (single and bulk) by outcome", ["outcome"])

BID_ROUTES = ("/api/v1/auctions/{auction_id}/bids", "/api/v1/auctions/{auction_id}/bids/bulk")
JOB_KINDS = tuple(k.value for k in JobKind)
JOB_BUCKETS_S = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


class JobTableCollector(Collector):
    """The job metrics of the whole service, read from the ``job`` table at each scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        with Session(read_engine(self.engine)) as session:
            repo = JobRepository(session)
            queued = repo.count_by_kind(JobStatus.QUEUED)
            running = repo.count_by_kind(JobStatus.RUNNING)
            durations = repo.run_times()
        for name, doc, counts in (
            ("ftr_jobs_queued", "Jobs waiting to run, by kind", queued),
            ("ftr_jobs_running", "Jobs running, by kind", running),
        ):
            gauge = GaugeMetricFamily(name, doc, labels=["kind"])
            for kind in JOB_KINDS:
                gauge.add_metric([kind], counts.get(kind, 0))
            yield gauge
        histogram = HistogramMetricFamily(
            "ftr_job_duration_seconds",
            "Run time of finished jobs (start to finish), by kind and outcome",
            labels=["kind", "status"],
        )
        by_label: dict[tuple[str, str], list[float]] = {}
        for kind, status, seconds in durations:
            by_label.setdefault((kind, status), []).append(seconds)
        for (kind, status), values in sorted(by_label.items()):
            buckets = [(str(float(b)), sum(1 for v in values if v <= b)) for b in JOB_BUCKETS_S]
            buckets.append(("+Inf", len(values)))
            histogram.add_metric([kind, status], buckets, sum(values))
        yield histogram


class PostingDeadlines(Collector):
    """The posting-deadline metrics, read from the tables when collected (never process state)."""

    def __init__(self, engine: Engine, now: datetime) -> None:
        self.engine = engine
        self.now = now

    def collect(self) -> Iterator[Metric]:
        with Session(read_engine(self.engine)) as session:
            dues = posting_dues(session, self.now)
            late = late_posting_count(session)
        left = GaugeMetricFamily(
            "ftr_posting_deadline_seconds",
            "Seconds to the OA 7.3.7 posting deadline of each closed, unposted auction (negative: overdue)",
            labels=["auction_id", "month", "state"],
        )
        for due in dues:
            left.add_metric(
                [str(due.auction_id), f"{due.year}-{due.month:02d}", due.state.value], due.seconds_left
            )
        yield left
        yield CounterMetricFamily(
            "ftr_late_postings", "Auctions whose results were posted after the posting deadline", value=late
        )


def metrics_text(engine: Engine, now: datetime) -> tuple[bytes, str]:
    """The ``/metrics`` body and content type: this process's (or every API process's) request
    and bid metrics, then the job metrics and posting deadlines read from the tables now.

    ``now`` is the market clock: the posting deadlines are counted on it, as the API counts them.
    """
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        local = generate_latest(registry)
    else:
        local = generate_latest()
    tables = CollectorRegistry()
    tables.register(JobTableCollector(engine))
    tables.register(PostingDeadlines(engine, now))
    return local + generate_latest(tables), CONTENT_TYPE_LATEST


class RequestMetrics:
    """ASGI middleware: latency by route template (never the raw path), bid outcomes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            REQUEST_SECONDS.labels(method=scope["method"], route=template).observe(
                time.perf_counter() - started
            )
            if scope["method"] == "POST" and template in BID_ROUTES:
                BIDS.labels(outcome="accepted" if status < 400 else "refused").inc()


def readiness(engine: Engine) -> dict[str, Any]:
    """Whether the database answers and is migrated to the head revision (``ready`` true/false)."""
    head = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(conn).get_current_heads())
    except Exception as exc:  # the probe reports, it does not raise
        return {"ready": False, "database": f"unreachable: {type(exc).__name__}"}
    return {
        "ready": current == head,
        "database": "ok",
        "migrations": "at head" if current == head else f"at {sorted(current)}, head is {sorted(head)}",
    }


SECRET = re.compile(r"(?i)(bearer\s+)\S+")
HIDDEN_FIELDS = re.compile(r"(?i)price|key|secret|authorization")
STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": SECRET.sub(r"\1[hidden]", record.getMessage()),
        }
        for name, value in vars(record).items():
            if name not in STANDARD and not HIDDEN_FIELDS.search(name):
                entry[name] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging() -> bool:
    """JSON lines on stderr when ``FTR_LOG_FORMAT=json``; returns whether it did."""
    if os.environ.get("FTR_LOG_FORMAT", "").lower() != "json":
        return False
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "procrastinate"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    return True
