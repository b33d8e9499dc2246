"""Bulk upload of bids: streamed CSV, column-wise checks, batches, limits, all-or-nothing."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi import FastAPI

from app.bids import upload as upload_module
from app.bids.credit import Side, order_credit_cents, orders_credit_cents
from app.bids.upload import check_batch, spool_upload
from app.errors import PayloadTooLarge
from app.limits import ConcurrencyCap
from tests.app.conftest import Member
from tests.app.http import SyncClient

HEADER = "side,period_class,source,sink,hedge,mw,price\n"


def csv_post(client: SyncClient, auction_id: int, member: Member, text: str, **headers: str) -> Any:
    return client.post(
        f"/api/v1/auctions/{auction_id}/bids/bulk",
        content=text.encode(),
        headers={**member.headers, "content-type": "text/csv", **headers},
    )


def count_bids(client: SyncClient, auction_id: int, member: Member) -> int:
    r = client.get(f"/api/v1/auctions/{auction_id}/bids?limit=1", headers=member.headers)
    assert r.status_code == 200, r.text
    total: int = r.json()["total"]
    return total


def good_rows(n: int) -> str:
    return "".join(f"buy,on_peak,1,3,obligation,{i % 9 + 1}.5,{i % 50}.25\n" for i in range(n))


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> int:
    """Batches of 40 rows, so that a few hundred rows cross several batches."""
    monkeypatch.setattr(upload_module, "BATCH_ROWS", 40)
    return 40


def frame(**columns: list[str]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {name: [""] * n for name in upload_module.CSV_COLUMNS}
    base.update(columns)
    return pd.DataFrame(base, dtype=object)


class TestColumnChecks:
    @pytest.mark.parametrize(
        "cell", ["1e2", "1E+2", " 5", "5 ", "1 0", "١٢", "12.3.4", "0x10", "1,5", "--1", ""]
    )
    def test_strict_numbers_refused(self, cell: str) -> None:
        batch = check_batch(
            frame(period_class=["on_peak"], source=["1"], sink=["3"], mw=[cell], price=["1"]),
            np.array([1]),
            [],
        )
        assert [(e.row, e.field) for e in batch.errors] == [(1, "mw")]
        assert len(batch) == 0

    @pytest.mark.parametrize(
        ("mw", "price", "tenths", "cents"),
        [
            ("10", "800", 100, 80_000),
            ("0.1", "-0.01", 1, -1),
            (".5", "+3.", 5, 300),
            ("2.50", "7.100", 25, 710),
            ("100000", "-1000000", 1_000_000, -100_000_000),
            ("007.0", "0", 70, 0),
        ],
    )
    def test_numbers_to_stored_units(self, mw: str, price: str, tenths: int, cents: int) -> None:
        batch = check_batch(
            frame(period_class=["on_peak"], source=["1"], sink=["3"], mw=[mw], price=[price]),
            np.array([1]),
            [],
        )
        assert batch.errors == []
        assert (int(batch.mw_tenths[0]), int(batch.price_cents[0])) == (tenths, cents)

    def test_every_problem_of_every_row(self) -> None:
        batch = check_batch(
            frame(
                side=["buy", "hold", "", "sell"],
                period_class=["on_peak", "on_peak", "weekend", "off_peak"],
                source=["1", "1", "1", "x" * 101],
                sink=["3", "1", "3", "3"],
                hedge=["", "option", "swap", ""],
                mw=["1.0", "0.05", "0", "100000.1"],
                price=["1", "-1", "1.001", "1"],
            ),
            np.array([10, 11, 12, 13]),
            [],
        )
        assert [(e.row, e.field) for e in batch.errors] == [
            (11, "side"),
            (11, "sink"),
            (11, "mw"),
            (11, "price"),
            (12, "period_class"),
            (12, "hedge"),
            (12, "mw"),
            (12, "price"),
            (13, "source"),
            (13, "mw"),
        ]
        assert batch.rows.tolist() == [10]

    def test_vectorised_credit_matches_the_rule(self) -> None:
        rng = np.random.default_rng(7)
        n = 500
        sell = rng.random(n) < 0.3
        price = rng.integers(-100_000, 100_000, n)
        mw = rng.integers(1, 10_000, n)
        hours = rng.choice([336, 408], n)
        vector = orders_credit_cents(
            sell=sell, price_cents=price, mw_tenths=mw, class_hours=hours, floor_cents_per_mwh=10
        )
        scalar = [
            order_credit_cents(
                side=Side.SELL if s else Side.BUY,
                price_cents=int(p),
                mw_tenths=int(q),
                class_hours=int(h),
                floor_cents_per_mwh=10,
            )
            for s, p, q, h in zip(sell, price, mw, hours, strict=True)
        ]
        assert vector.tolist() == scalar


class TestSpool:
    def test_row_limit_refused_while_the_body_arrives(self) -> None:
        sent: list[int] = []

        async def body() -> AsyncIterator[bytes]:
            yield HEADER.encode()
            for i in range(1_000):
                sent.append(i)
                yield b"buy,on_peak,1,3,,1.0,1\n" * 10

        with pytest.raises(PayloadTooLarge) as refused:
            asyncio.run(spool_upload(body(), auction_id=1, media_type="text/csv", max_rows=95))
        assert refused.value.extensions == {"max_rows": 95}
        assert "95" in refused.value.detail
        assert len(sent) == 10  # stopped at the chunk that passed the limit, not at the end

    def test_large_body_spills_to_disk_and_hash_is_of_the_body(self) -> None:
        chunks = [HEADER.encode()] + [good_rows(1_000).encode()] * 60

        async def body() -> AsyncIterator[bytes]:
            for c in chunks:
                yield c

        spooled = asyncio.run(spool_upload(body(), auction_id=4, media_type="text/csv", max_rows=100_000))
        try:
            assert spooled.data_lines == 60_000
            assert spooled.file._rolled  # type: ignore[attr-defined]  # on disk, not in memory
            assert spooled.request_hash == hashlib.sha256(b"4|text/csv|" + b"".join(chunks)).hexdigest()
        finally:
            spooled.close()


class TestUpload:
    def test_rows_across_batches_stored_in_order(
        self,
        client: SyncClient,
        auction_id: int,
        make_participant: Callable[..., Member],
        small_batches: int,
    ) -> None:
        alice = make_participant()
        r = csv_post(client, auction_id, alice, HEADER + good_rows(5 * small_batches + 3))
        assert r.status_code == 201, r.text
        ids = r.json()["bid_ids"]
        assert len(ids) == 203 and ids == sorted(ids) and len(set(ids)) == 203
        last = client.get(f"/api/v1/bids/{ids[-1]}", headers=alice.headers).json()
        assert (last["mw"], last["price"]) == (f"{202 % 9 + 1}.5", f"{202 % 50}.25")
        listed = client.get(f"/api/v1/auctions/{auction_id}/bids?limit=1000", headers=alice.headers).json()
        held = sum(Decimal(b["credit_held"]) for b in listed["items"])
        credit = client.get("/api/v1/participants/me/credit", headers=alice.headers)
        assert credit.status_code == 200 and Decimal(credit.json()["credit_in_use"]) == held > 0

    def test_bad_rows_in_later_batches_all_reported_nothing_stored(
        self,
        client: SyncClient,
        auction_id: int,
        make_participant: Callable[..., Member],
        small_batches: int,
    ) -> None:
        alice = make_participant()
        rows = good_rows(300).splitlines(keepends=True)
        rows[4] = "buy,on_peak,1,3,,1e2,5\n"  # row 5: exponent
        rows[99] = "buy,on_peak,1,77,,1.0,5\n"  # row 100: unknown node
        rows[180] = "buy,on_peak,1,3,,١٢,5\n"  # row 181: Arabic-Indic digits
        rows[249] = "buy,on_peak,1,3,, 5,5 0\n"  # row 250: spaces inside the price
        rows[299] = "buy,on_peak,1,3,,1.0,5,EXTRA\n"  # row 300: a value too many
        r = csv_post(client, auction_id, alice, HEADER + "".join(rows))
        assert r.status_code == 422, r.text
        found = [(e["row"], e["field"]) for e in r.json()["errors"]]
        assert found == [(5, "mw"), (100, "sink"), (181, "mw"), (250, "mw"), (250, "price"), (300, "row")]
        assert "77" in r.json()["errors"][1]["reason"]
        assert count_bids(client, auction_id, alice) == 0

    def test_credit_checked_once_over_all_batches(
        self,
        client: SyncClient,
        auction_id: int,
        make_participant: Callable[..., Member],
        small_batches: int,
    ) -> None:
        alice = make_participant(credit_limit="100000.00")
        text = HEADER + "buy,on_peak,1,3,,1.0,1000\n" * 120  # $1,000 and a floor each: > $100,000
        r = csv_post(client, auction_id, alice, text)
        assert r.status_code == 422 and r.json()["type"].endswith("/insufficient-credit")
        assert count_bids(client, auction_id, alice) == 0
        r = csv_post(client, auction_id, alice, HEADER + "buy,on_peak,1,3,,1.0,1000\n" * 90)
        assert r.status_code == 201, r.text

    def test_over_the_row_limit_names_the_limit(
        self, client: SyncClient, app: FastAPI, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        limit = app.state.settings.max_bulk_rows
        assert limit == 100_000
        r = csv_post(client, auction_id, make_participant(), HEADER + good_rows(1) * (limit + 1))
        assert r.status_code == 413
        assert r.json()["max_rows"] == limit and str(limit) in r.json()["detail"]

    def test_a_single_bid_key_cannot_take_the_name_of_a_bulk_row(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        """Bulk row ``n`` is stored under ``<key>#<n>``; a client's key may not contain ``#``, so a
        single bid can never clash with the rows of an upload."""
        alice = make_participant()
        single = {"period_class": "on_peak", "source": "1", "sink": "3", "mw": "1.0", "price": "1.00"}
        r = client.post(
            f"/api/v1/auctions/{auction_id}/bids",
            json=single,
            headers={**alice.headers, "Idempotency-Key": "batch-9#2"},
        )
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == ["header.Idempotency-Key"]
        r = csv_post(client, auction_id, alice, HEADER + good_rows(3), **{"Idempotency-Key": "batch-9"})
        assert r.status_code == 201, r.text
        assert count_bids(client, auction_id, alice) == 3

    def test_idempotent_csv_replay(
        self,
        client: SyncClient,
        auction_id: int,
        make_participant: Callable[..., Member],
        small_batches: int,
    ) -> None:
        alice = make_participant()
        text = HEADER + good_rows(100)
        first = csv_post(client, auction_id, alice, text, **{"Idempotency-Key": "u-1"})
        again = csv_post(client, auction_id, alice, text, **{"Idempotency-Key": "u-1"})
        assert first.status_code == 201 and again.status_code == 200
        assert again.json()["bid_ids"] == first.json()["bid_ids"]
        assert count_bids(client, auction_id, alice) == 100

    def test_concurrent_upload_cap(
        self, client: SyncClient, app: FastAPI, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant()
        cap = app.state.bulk_upload_cap = ConcurrencyCap(1)
        assert cap.try_acquire()  # another upload is in progress
        r = csv_post(client, auction_id, alice, HEADER + good_rows(2))
        assert r.status_code == 503 and r.json()["max_concurrent_bulk_uploads"] == 1
        cap.release()
        r = csv_post(client, auction_id, alice, HEADER + good_rows(2))
        assert r.status_code == 201, r.text
        assert cap.held == 0
