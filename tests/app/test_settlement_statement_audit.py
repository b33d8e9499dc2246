# ruff: noqa: F811  (the worked example's fixtures are imported, then named as parameters)
"""A holder's statement carries its audit anchor (the run's link, the holder's sealed sub-chain head,
the signed head); the FTR-hour detail streams as CSV and Parquet; the detail file's hash is checked once
per process, and a tampered file is still found by ``ftr audit verify`` (docs/audit.md)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from fastapi import FastAPI

import app.settlement.detail_file as detail_file
from app.audit.service import actor_of, record_audit
from app.audit.signing import checkpoint_signed, generate_key_file, load_public_key
from app.cli import main
from app.db import transaction
from app.settings import Environment, Settings
from app.settlement.detail_store import LocalDirectoryStore
from app.settlement.tables import SettlementRun
from tests.app.conftest import TEST_SECRET, Database, Member
from tests.app.http import SyncClient
from tests.app.test_audit_trail import _url
from tests.app.test_settlement import (  # noqa: F401  (fixtures)
    M1,
    YEAR,
    _settlement_links,
    example,
    holders,
    settle,
)
from tests.app.test_settlement_detail_file import _runs

MONEY = ("target_allocation", "credit", "forfeited")


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "audit-key.pem"
    generate_key_file(path)
    return path


@pytest.fixture
def settings(key_file: Path, tmp_path: Path) -> Settings:
    return Settings(
        env=Environment.TEST,
        secret_key=TEST_SECRET,
        database_url="sqlite://",
        audit_signing_key_file=key_file,
        settlement_store=str(tmp_path / "settlement-detail"),
    )


def _base(member: Member) -> str:
    return f"/api/v1/settlement/months/{YEAR}/{M1}/statements/{member.id}"


def _bid_link(app: FastAPI, member: Member) -> None:
    """A link in the holder's own sub-chain, so that the seal before the run records its head."""
    with transaction(app.state.engine) as session:
        record_audit(session, actor_of(member.id), "bid.created", {"bid_id": 1})


def _file(settings: Settings, run: SettlementRun) -> Path:
    assert run.detail_key is not None
    return LocalDirectoryStore(Path(settings.settlement_store)).path(run.detail_key)


class TestAnchor:
    def test_statement_json_csv_and_parquet_carry_the_runs_link_and_signed_head(
        self,
        app: FastAPI,
        client: SyncClient,
        operator_key: str,
        key_file: Path,
        example: dict[str, Member],
    ) -> None:
        p, q = example["P"], example["Q"]
        _bid_link(app, p)
        settle(client, operator_key, M1)
        [link] = _settlement_links(client, operator_key)
        audit = client.get(_base(p), headers=p.headers).json()["audit"]
        assert (audit["action"], audit["link_seq"], audit["link_hash"]) == (
            "settlement.run",
            link["seq"],
            link["hash"],
        )
        checkpoint = audit["checkpoint"]
        assert (checkpoint["seq"], checkpoint["hash"]) == (link["seq"], link["hash"])
        assert checkpoint_signed(
            load_public_key(key_file), link["seq"], link["hash"], checkpoint["signature"]
        )
        [head] = audit["sub_chain_heads"]
        assert (head["chain"], head["seq"]) == (actor_of(p.id), 1)
        assert client.get(_base(q), headers=q.headers).json()["audit"]["sub_chain_heads"] == [], (
            "a holder sees its own sub-chain head only"
        )
        csv = client.get(_base(p) + "/ftrs.csv", headers=p.headers)
        assert csv.status_code == 200
        assert csv.headers["x-audit-link"] == f"settlement.run:{link['seq']}:{link['hash']}"
        assert csv.headers["x-audit-sub-chain-heads"] == f"{head['chain']}:{head['seq']}:{head['hash']}"
        assert csv.headers["x-audit-checkpoint"].startswith(f"{link['seq']}:{link['hash']}:")
        parquet = client.get(_base(p) + "/ftrs.parquet", headers=p.headers)
        assert parquet.status_code == 200 and parquet.headers["x-audit-link"] == csv.headers["x-audit-link"]
        metadata = pq.read_schema(io.BytesIO(parquet.content)).metadata
        assert json.loads(metadata[b"audit"]) == audit

    def test_parquet_detail_sums_to_the_month_totals_to_the_cent(
        self, client: SyncClient, operator_key: str, example: dict[str, Member]
    ) -> None:
        settle(client, operator_key, M1)
        for name in ("P", "Q", "R"):
            member = example[name]
            totals = client.get(_base(member), headers=member.headers).json()["month_totals"]
            r = client.get(_base(member) + "/ftrs.parquet", headers=member.headers)
            assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.apache.parquet"
            table = pq.read_table(io.BytesIO(r.content))
            rows = client.get(_base(member) + "/ftrs", headers=member.headers).json()
            assert table.num_rows == len(rows) > 0
            assert set(table.column("participant_id").to_pylist()) == {member.id}
            for amount in MONEY:
                cents = pc.sum(table.column(f"{amount}_cents")).as_py()
                assert cents == round(float(totals[amount]) * 100), (name, amount)


class TestHashChecks:
    def test_a_statement_read_does_not_hash_the_file_again_until_it_changes(
        self,
        app: FastAPI,
        settings: Settings,
        client: SyncClient,
        operator_key: str,
        example: dict[str, Member],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        settle(client, operator_key, M1)
        hashed: list[int] = []
        real = detail_file.stream_key

        def counting(reader: io.BufferedReader) -> str:
            hashed.append(1)
            return real(reader)

        monkeypatch.setattr(detail_file, "stream_key", counting)
        p = example["P"]
        for _ in range(3):
            assert client.get(_base(p) + "/ftrs.csv", headers=p.headers).status_code == 200
        assert hashed == [], "written by this process: verified when it was stored"
        [run] = _runs(app)
        path = _file(settings, run)
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        for _ in range(2):
            assert client.get(_base(p) + "/ftrs.csv", headers=p.headers).status_code == 200
        assert hashed == [1], "hashed again once after the file's modification time moved"

    def test_a_tampered_file_with_its_size_and_time_kept_is_found_by_audit_verify(
        self,
        app: FastAPI,
        settings: Settings,
        database: Database,
        client: SyncClient,
        operator_key: str,
        example: dict[str, Member],
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        settle(client, operator_key, M1)
        [link] = _settlement_links(client, operator_key)
        [run] = _runs(app)
        p = example["P"]
        assert client.get(_base(p) + "/ftrs.csv", headers=p.headers).status_code == 200
        path = _file(settings, run)
        stat = path.stat()
        content = bytearray(path.read_bytes())
        content[len(content) // 2] ^= 0xFF
        path.write_bytes(bytes(content))
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
        monkeypatch.setenv("DATABASE_URL", _url(database))
        monkeypatch.setenv("FTR_ENV", "development")
        monkeypatch.setenv("FTR_SETTLEMENT_STORE", settings.settlement_store)
        assert main(["audit", "verify"]) == 1
        out = capsys.readouterr()
        assert f"settlement run {run.id}" in out.out + out.err
        assert str(link["seq"]) in out.out + out.err
        verdict = client.get("/api/v1/audit-log/verify", headers={"Authorization": f"Bearer {operator_key}"})
        assert (verdict.json()["ok"], verdict.json()["problem"]) == (False, "results-changed")
