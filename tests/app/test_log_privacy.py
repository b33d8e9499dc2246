"""Logs never carry bid prices or API keys: a whole market cycle runs with every logger at DEBUG
(the SQL statements included) and its records are searched for each price and key used."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from app.clock import FixedClock
from tests.app.conftest import JANUARY_2027_CLOSES, Member, bearer
from tests.app.http import SyncClient
from tests.app.test_clearing import clear

# Prices no id, timestamp or count of the test can contain by chance.
PRICES = ("9137.41", "8263.59", "7391.27", "6428.83")
BULK_PRICES = ("5617.93", "4759.37")


class Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(text)


@pytest.fixture
def collected(caplog: pytest.LogCaptureFixture) -> Iterator[Collector]:
    """Every record of every logger: the root (caplog) and loggers that do not propagate."""
    caplog.set_level(logging.DEBUG)
    collector = Collector()
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    for logger in loggers:
        logger.addHandler(collector)
    engine_logger = logging.getLogger("sqlalchemy.engine")
    level = engine_logger.level
    engine_logger.setLevel(logging.DEBUG)
    try:
        yield collector
    finally:
        engine_logger.setLevel(level)
        for logger in loggers:
            logger.removeHandler(collector)


def _forms(price: str) -> set[str]:
    """The wire decimal and the stored cents (what a statement parameter would show)."""
    return {price, price.replace(".", "")}


def test_a_market_cycle_logs_no_price_and_no_key(
    collected: Collector,
    caplog: pytest.LogCaptureFixture,
    client: SyncClient,
    operator_key: str,
    auction_id: int,
    clock: FixedClock,
    make_participant: Callable[..., Member],
) -> None:
    members = [make_participant(name=f"trader-{i}") for i in range(len(PRICES))]
    for member, price, (source, sink) in zip(
        members, PRICES, [("1", "3"), ("2", "3"), ("3", "1"), ("1", "2")], strict=True
    ):
        body = {"period_class": "on_peak", "source": source, "sink": sink, "mw": "10.0", "price": price}
        headers = {**member.headers, "Idempotency-Key": f"idem-{member.id}"}
        r = client.post(f"/api/v1/auctions/{auction_id}/bids", json=body, headers=headers)
        assert r.status_code == 201, r.text
    rows = [
        {"period_class": "on_peak", "source": "1", "sink": "3", "mw": "5.0", "price": price}
        for price in BULK_PRICES
    ]
    url = f"/api/v1/auctions/{auction_id}/bids/bulk"
    # A key first used for a single bid, then for an upload: refused, and nothing logged.
    headers = {**members[0].headers, "Idempotency-Key": f"idem-{members[0].id}"}
    assert client.post(url, json=rows, headers=headers).status_code == 422
    assert client.post(url, json=rows, headers=members[1].headers).status_code == 201
    assert (
        client.get("/api/v1/auctions", headers=bearer("ftr_000000000000_not-a-real-key")).status_code == 401
    )

    clock.set(JANUARY_2027_CLOSES + timedelta(minutes=5))
    job = clear(client, operator_key, auction_id)
    assert job["status"] == "succeeded", job
    assert client.post(f"/api/v1/auctions/{auction_id}/post", headers=bearer(operator_key)).status_code == 200
    for member in members:
        assert client.get(f"/api/v1/auctions/{auction_id}/bids", headers=member.headers).status_code == 200

    text = "\n".join(collected.lines + [r.getMessage() for r in caplog.records])
    assert "INSERT INTO bid" in text, "the SQL statements were logged, so parameters would show"
    secrets = {form for price in PRICES + BULK_PRICES for form in _forms(price)}
    secrets |= {operator_key} | {m.key for m in members} | {m.key.split("_", 2)[2] for m in members}
    leaked = sorted(s for s in secrets if s in text)
    assert leaked == []
