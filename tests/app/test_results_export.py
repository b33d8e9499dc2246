"""Posted results stream (awards as CSV and Parquet, read a batch at a time) and carry the posting's
audit anchor: the ``auction.posted`` link, the sub-chain heads sealed before it, the signed head."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import app.clearing.results as results_module
from api_schemas.clearing import ClassResultsPublic
from app.audit.signing import checkpoint_signed, generate_key_file, load_public_key
from app.clearing.results import results_csv
from app.clock import FixedClock
from app.settings import Environment, Settings
from tests.app.conftest import JANUARY_2027_CLOSES, TEST_SECRET, Member, bearer
from tests.app.http import SyncClient
from tests.app.test_clearing import clear, submit_worked_example


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "audit-key.pem"
    generate_key_file(path)
    return path


@pytest.fixture
def settings(key_file: Path) -> Settings:
    return Settings(
        env=Environment.TEST,
        secret_key=TEST_SECRET,
        database_url="sqlite://",
        audit_signing_key_file=key_file,
    )


@pytest.fixture
def bidders(
    client: SyncClient,
    operator_key: str,
    auction_id: int,
    clock: FixedClock,
    make_participant: Callable[..., Member],
) -> dict[str, tuple[Member, int]]:
    """The worked example bid, cleared and posted."""
    bids = submit_worked_example(client, auction_id, make_participant)
    clock.set(JANUARY_2027_CLOSES + timedelta(minutes=5))
    assert clear(client, operator_key, auction_id)["status"] == "succeeded"
    r = client.post(f"/api/v1/auctions/{auction_id}/post", headers=bearer(operator_key))
    assert r.status_code == 200, r.text
    return bids


def _links(client: SyncClient, operator_key: str, action: str) -> list[dict[str, Any]]:
    r = client.get("/api/v1/audit-log", params={"action": action}, headers=bearer(operator_key))
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def test_awards_stream_as_the_same_csv_and_as_parquet_in_batches(
    client: SyncClient,
    operator_key: str,
    auction_id: int,
    bidders: dict[str, tuple[Member, int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(results_module, "AWARD_BATCH", 1)  # every award its own batch
    trader = bidders["B1"][0]
    base = f"/api/v1/auctions/{auction_id}/results/on_peak"
    whole = ClassResultsPublic.model_validate(client.get(base, headers=trader.headers).json())
    assert len(whole.awards) == 4
    streamed = client.get(base + "/awards.csv", headers=trader.headers)
    assert streamed.status_code == 200 and streamed.text == results_csv(whole, "awards")
    parquet = client.get(base + "/awards.parquet", headers=trader.headers)
    assert parquet.status_code == 200 and parquet.headers["content-type"] == "application/vnd.apache.parquet"
    file = pq.ParquetFile(io.BytesIO(parquet.content))
    assert file.metadata.num_row_groups == 4, "one row group per batch"
    rows = file.read().to_pylist()
    as_csv = list(csv.DictReader(io.StringIO(streamed.text)))
    assert [(r["participant"], r["mw_tenths"], r["clearing_price_cents"]) for r in rows] == [
        (c["participant"], round(float(c["mw"]) * 10), round(float(c["clearing_price"]) * 100))
        for c in as_csv
    ]


def test_a_posting_carries_its_link_sealed_heads_and_signed_head(
    client: SyncClient,
    operator_key: str,
    auction_id: int,
    key_file: Path,
    bidders: dict[str, tuple[Member, int]],
) -> None:
    [link] = _links(client, operator_key, "auction.posted")
    trader = bidders["B1"][0]
    base = f"/api/v1/auctions/{auction_id}/results/on_peak"
    audit = client.get(base, headers=trader.headers).json()["audit"]
    assert (audit["action"], audit["link_seq"], audit["link_hash"]) == (
        "auction.posted",
        link["seq"],
        link["hash"],
    )
    checkpoint = audit["checkpoint"]
    assert checkpoint_signed(load_public_key(key_file), link["seq"], link["hash"], checkpoint["signature"])
    [own] = audit["sub_chain_heads"]
    assert own["chain"] == f"participant:{trader.id}", "a trader sees its own sub-chain head"
    everyone = client.get(base, headers=bearer(operator_key)).json()["audit"]["sub_chain_heads"]
    assert {h["chain"] for h in everyone} == {f"participant:{m.id}" for m, _ in bidders.values()}
    [seal] = [s for s in _links(client, operator_key, "audit.sealed") if s["seq"] == link["seq"] - 1]
    sealed = seal["payload"]["heads"]
    assert {h["chain"]: {"seq": h["seq"], "hash": h["hash"]} for h in everyone} == sealed
    csv_response = client.get(base + "/awards.csv", headers=trader.headers)
    assert csv_response.headers["x-audit-link"] == f"auction.posted:{link['seq']}:{link['hash']}"
    assert csv_response.headers["x-audit-checkpoint"].startswith(f"{link['seq']}:{link['hash']}:")
    parquet = client.get(base + "/awards.parquet", headers=trader.headers)
    assert json.loads(pq.read_schema(io.BytesIO(parquet.content)).metadata[b"audit"]) == audit
