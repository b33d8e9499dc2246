"""Probes, Prometheus metrics and the JSON log format.

    /healthz   the process is alive (no database)
    /readyz    the database answers and its migrations are at the head of ``alembic/``; 503 otherwise
    /metrics   Prometheus text: request latency by route, queue depth by job kind, job durations by
               kind, bids accepted and refused, and the OA 7.3.7 posting deadlines (read from the
               tables at each scrape on the market clock):
               ``ftr_posting_deadline_seconds{auction_id,month,state}`` seconds left to the posting
               deadline of each closed auction whose results are not posted (negative: overdue;
               ``state`` is ``due``, ``due_soon`` within 24 h, or ``overdue``), and
               ``ftr_late_postings_total`` auctions posted after their deadline. Alert on
               ``ftr_posting_deadline_seconds < 86400`` (the OI is also warned in the log and by
               ``posting_state`` on the auction).

Several processes (``ftr serve --workers N``): set ``PROMETHEUS_MULTIPROC_DIR`` to an empty
directory shared by them and ``/metrics`` adds up every process's samples. ``ftr worker
--metrics-port`` serves the job durations of a worker process.

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
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auctions.posting_watch import late_posting_count, posting_dues
from app.jobs.repository import JobRepository
from app.jobs.runner import observe_durations
from app.migrations import alembic_config

REQUEST_SECONDS = Histogram(
    "ftr_request_duration_seconds", "HTTP request latency by route template", ["method", "route"]
)
QUEUE_DEPTH = Gauge(
    "ftr_jobs_queued", "Jobs waiting to run, by kind (read at scrape)", ["kind"], multiprocess_mode="max"
)
JOB_SECONDS = Histogram(
    "ftr_job_duration_seconds",
    "Job run time from start to finish, by kind and outcome",
    ["kind", "status"],
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
BIDS = Counter("ftr_bid_requests", "Bid submissions (single and bulk) by outcome", ["outcome"])

BID_ROUTES = ("/api/v1/auctions/{auction_id}/bids", "/api/v1/auctions/{auction_id}/bids/bulk")


def observe_job(kind: str, status: str, seconds: float) -> None:
    JOB_SECONDS.labels(kind=kind, status=status).observe(seconds)


observe_durations(observe_job)


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


class PostingDeadlines(Collector):
    """The posting-deadline metrics, read from the tables when collected (never process state)."""

    def __init__(self, engine: Engine, now: datetime) -> None:
        self.engine = engine
        self.now = now

    def collect(self) -> Iterator[Metric]:
        with Session(self.engine) as session:
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
    """The ``/metrics`` body and content type (queue depth and posting deadlines read now).

    ``now`` is the market clock: the posting deadlines are counted on it, as the API counts them.
    """
    with Session(engine) as session:
        depth = JobRepository(session).queued_by_kind()
    for kind in ("clearing", "settlement", "forecast"):
        QUEUE_DEPTH.labels(kind=kind).set(depth.get(kind, 0))
    tables = CollectorRegistry()
    tables.register(PostingDeadlines(engine, now))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry) + generate_latest(tables), CONTENT_TYPE_LATEST
    return generate_latest() + generate_latest(tables), CONTENT_TYPE_LATEST


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
