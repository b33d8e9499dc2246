# ruff: noqa: F811  (the worked example's fixtures are imported, then named as parameters)
"""Hourly prices stored by column: one Parquet file per input set, checked by its hash.

Uses the docs/rules.md worked example of :mod:`tests.app.test_settlement`: the same prices uploaded
long or wide, as CSV or Parquet, are one input set; a bad cell is named by row and column (the
pricing point in the wide layout) and nothing is stored, not even a file; a changed file stops the
settlement job; migration 0760 moves a set stored as CSV text into a file and the statements are
those the worked example always gave (``TODAY`` of the detail file tests).
"""

from __future__ import annotations

import importlib.util
import io
import zlib
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import sqlalchemy as sa
from fastapi import FastAPI
from sqlmodel import col, select

from app.db import transaction
from app.settings import Settings
from app.settlement.detail_store import LocalDirectoryStore, store_of
from app.settlement.input_kinds import InputKind
from app.settlement.month_data import load_month
from app.settlement.price_file import read_prices
from app.settlement.tables import SettlementInputSet
from app.settlement.upload import canonical_table, read_csv
from market_calendar import month_hour_index
from tests.app.conftest import Member, bearer
from tests.app.http import SyncClient
from tests.app.test_settlement import (  # noqa: F401  (fixtures)
    M1,
    M1_PRICES,
    M2,
    YEAR,
    example,
    holders,
    prices_csv,
    settle,
    upload,
    wait_job,
)
from tests.app.test_settlement_detail_file import TODAY, _bodies

PARQUET = "application/vnd.apache.parquet"
MIGRATION = Path(__file__).resolve().parents[2] / "alembic" / "versions" / "0760_settlement_price_files.py"


def _wide(long_csv: str) -> pd.DataFrame:
    frame = pd.read_csv(io.StringIO(long_csv), dtype={"node": str})
    wide = frame.pivot(index="hour_ending", columns="node", values="price").reset_index()
    wide.columns = [str(c) for c in wide.columns]
    return wide[["hour_ending", "3", "1", "2"]]  # any column order


def _price_sets(app: FastAPI, month: int) -> list[SettlementInputSet]:
    with transaction(app.state.engine) as session:
        found = list(
            session.exec(
                select(SettlementInputSet)
                .where(SettlementInputSet.month == month, SettlementInputSet.kind == "da_prices")
                .order_by(col(SettlementInputSet.id))
            ).all()
        )
        for s in found:
            session.expunge(s)
        return found


def _stored_files(settings: Settings) -> list[Path]:
    return sorted(Path(settings.settlement_store).rglob("*.parquet"))


def _inputs(client: SyncClient, key: str, month: int) -> list[Any]:
    r = client.get(f"/api/v1/settlement/months/{YEAR}/{month}/inputs", headers=bearer(key))
    assert r.status_code == 200, r.text
    rows: list[Any] = r.json()
    return rows


class TestIntake:
    def test_long_wide_csv_and_parquet_are_one_input_set(
        self, app: FastAPI, client: SyncClient, operator_key: str
    ) -> None:
        long_csv = prices_csv(M1, M1_PRICES)
        first = upload(client, operator_key, M1, "da_prices", long_csv)
        assert first.status_code == 201, first.text
        wide = _wide(long_csv)
        again = upload(client, operator_key, M1, "da_prices", wide.to_csv(index=False))
        buffer = io.BytesIO()
        wide.to_parquet(buffer, index=False)
        parquet = upload(client, operator_key, M1, "da_prices", buffer.getvalue(), PARQUET)
        for r in (again, parquet):
            assert r.status_code == 200 and r.headers["idempotent-replayed"] == "true", r.text
            assert r.json()["content_hash"] == first.json()["content_hash"] == first.json()["file_sha256"]
        [stored] = _price_sets(app, M1)
        assert stored.content == b"" and stored.file_key == stored.file_sha256 == stored.content_hash
        assert stored.row_count == 3 * len(month_hour_index(YEAR, M1))
        hours = month_hour_index(YEAR, M1)
        with transaction(app.state.engine) as session:
            matrix = read_prices(store_of(session), stored.file_key, stored.file_sha256, hours, "price")
        expected = pd.read_csv(io.StringIO(long_csv), dtype={"node": str}).pivot(
            index="node", columns="hour_ending", values="price"
        )
        assert matrix.nodes == ("1", "2", "3")
        assert np.array_equal(matrix.values, expected.to_numpy(np.float64))
        body = client.get(f"/api/v1/settlement/input-sets/{stored.id}/rows.csv", headers=bearer(operator_key))
        assert body.status_code == 200 and body.headers["content-type"].startswith("text/csv")
        back = pd.read_csv(io.StringIO(body.text), dtype={"node": str})
        assert list(back.columns) == ["hour_ending", "node", "price"]
        assert np.array_equal(
            back.pivot(index="node", columns="hour_ending", values="price").to_numpy(), matrix.values
        )

    def test_a_bad_wide_cell_is_named_by_row_and_pricing_point_and_nothing_is_stored(
        self, client: SyncClient, operator_key: str, settings: Settings
    ) -> None:
        wide = _wide(prices_csv(M1, M1_PRICES)).astype(object)
        wide.loc[4, "2"] = "abc"  # data row 5, pricing point "2"
        wide.loc[6, "hour_ending"] = "2027-11-02T00:00:00"  # data row 7: no UTC offset
        before = _stored_files(settings)
        r = upload(client, operator_key, M1, "da_prices", wide.to_csv(index=False))
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        errors = {(e["row"], e["field"]) for e in r.json()["errors"]}
        assert errors == {(5, "2"), (7, "hour_ending")}
        assert "nothing was stored" in r.json()["detail"]
        assert _inputs(client, operator_key, M1) == []
        assert _stored_files(settings) == before

    def test_a_parquet_column_of_lists_is_a_format_error(self, client: SyncClient, operator_key: str) -> None:
        wide = _wide(prices_csv(M1, M1_PRICES))
        wide["2"] = [[1.0, 2.0]] * len(wide)
        buffer = io.BytesIO()
        wide.to_parquet(buffer, index=False)
        r = upload(client, operator_key, M1, "da_prices", buffer.getvalue(), PARQUET)
        assert r.status_code == 400 and r.json()["type"].endswith("/upload-format"), r.text
        assert _inputs(client, operator_key, M1) == []

    def test_a_missing_hour_and_a_repeated_point_are_refused(
        self, client: SyncClient, operator_key: str
    ) -> None:
        wide = _wide(prices_csv(M1, M1_PRICES))
        r = upload(client, operator_key, M1, "da_prices", wide.drop(index=10).to_csv(index=False))
        assert r.status_code == 422
        [error] = r.json()["errors"]
        assert error["field"] == "hour_ending" and "has no row" in error["reason"]
        text = wide.to_csv(index=False).replace("hour_ending,3,1,2", "hour_ending,3,1,1", 1)
        r = upload(client, operator_key, M1, "da_prices", text)
        assert r.status_code == 422
        assert {(e["row"], e["field"]) for e in r.json()["errors"]} == {(0, "1")}
        assert _inputs(client, operator_key, M1) == []

    def test_the_congestion_component_is_stored_and_settled_on(
        self, app: FastAPI, client: SyncClient, operator_key: str
    ) -> None:
        """OA 5.2.4: with a congestion column the job prices FTRs at the congestion components."""
        frame = pd.read_csv(io.StringIO(prices_csv(M1, M1_PRICES)), dtype={"node": str})
        frame["congestion"] = frame["price"] - 20.0 + frame["node"].astype(int) * 0.25
        r = upload(client, operator_key, M1, "da_prices", frame.to_csv(index=False))
        assert r.status_code == 201, r.text
        [stored] = _price_sets(app, M1)
        assert stored.columns == "hour_ending,node,price,congestion" and stored.id is not None
        with transaction(app.state.engine) as session:
            data = load_month(session, YEAR, M1, {"da_prices": stored.id})
        expected = frame.pivot(index="node", columns="hour_ending", values="congestion").to_numpy(np.float64)
        assert np.array_equal(data.prices[InputKind.DA_PRICES].values, expected)
        assert not np.array_equal(expected, frame.pivot(index="node", columns="hour_ending", values="price"))


class TestStoredFile:
    def test_a_changed_price_file_stops_the_job(
        self,
        app: FastAPI,
        client: SyncClient,
        operator_key: str,
        settings: Settings,
        example: dict[str, Member],
    ) -> None:
        [stored] = _price_sets(app, M1)
        assert stored.file_key is not None
        path = LocalDirectoryStore(Path(settings.settlement_store)).path(stored.file_key)
        original = path.read_bytes()
        changed = bytearray(original)
        changed[len(changed) // 2] ^= 0x01
        path.write_bytes(bytes(changed))
        r = client.post(f"/api/v1/settlement/months/{YEAR}/{M1}/runs", json={}, headers=bearer(operator_key))
        job = wait_job(client, operator_key, r.json()["id"])
        assert job["status"] == "failed" and "does not match its recorded sha256" in job["error"], job
        assert job["run_ids"] == []
        path.write_bytes(original)
        settle(client, operator_key, M1)


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0760", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestMigration:
    def test_prices_stored_as_text_move_into_files(
        self,
        app: FastAPI,
        client: SyncClient,
        operator_key: str,
        settings: Settings,
        example: dict[str, Member],
    ) -> None:
        """Both months' price sets put back as they were stored before the files (canonical CSV in
        ``content``), then migrated: the same statements, the CSV download the stored text."""
        old_hashes: dict[int, str] = {}
        for month in (M1, M2):
            [stored] = _price_sets(app, month)
            assert stored.file_key is not None and stored.id is not None
            text = client.get(
                f"/api/v1/settlement/input-sets/{stored.id}/rows.csv", headers=bearer(operator_key)
            ).content
            # the canonical form the service stored before the files
            table = canonical_table(
                InputKind.DA_PRICES,
                read_csv(text),
                year=YEAR,
                month=month,
                source_format="csv",
                participants=None,
            )
            old_hashes[stored.id] = table.content_hash
            with app.state.engine.begin() as conn:
                conn.execute(
                    sa.update(SettlementInputSet)
                    .where(col(SettlementInputSet.id) == stored.id)
                    .values(
                        content=table.compressed(),
                        content_hash=table.content_hash,
                        file_key=None,
                        file_sha256=None,
                    )
                )
            LocalDirectoryStore(Path(settings.settlement_store)).path(stored.file_key).unlink()
        with app.state.engine.begin() as conn:
            moved = _migration().move_prices_to_files(conn, Path(settings.settlement_store))
        assert moved == sorted(old_hashes)
        for month in (M1, M2):
            [stored] = _price_sets(app, month)
            assert stored.file_key is not None and stored.file_sha256 == stored.file_key
            assert stored.id is not None
            assert stored.content_hash == old_hashes[stored.id], "the historic content hash is kept"
            body = client.get(
                f"/api/v1/settlement/input-sets/{stored.id}/rows.csv", headers=bearer(operator_key)
            )
            assert body.content == zlib.decompress(stored.content)
            file = LocalDirectoryStore(Path(settings.settlement_store)).path(stored.file_key)
            assert pq.ParquetFile(file).metadata.num_rows == stored.row_count
        settle(client, operator_key, M1)
        settle(client, operator_key, M2)
        assert _bodies(client, example) == TODAY
