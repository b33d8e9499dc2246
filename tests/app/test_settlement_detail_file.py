# ruff: noqa: F811  (the worked example's fixtures are imported, then named as parameters)
"""A settlement run's per-FTR-hour detail as one Parquet file: content, hash checks, migration.

Uses the docs/rules.md worked example of :mod:`tests.app.test_settlement`. The statement detail and
its CSV must be byte for byte what the service returned when the detail was stored as table rows:
``TODAY`` holds the sha256 of each response body (JSON list and CSV) produced by that storage on
both databases, for holders P, Q and R in both months, with the holding id that starts each FTR id
written as ``H`` (ids depend on what the database handed out before the test).
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import re
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlmodel import col, select

from app.db import transaction
from app.settings import Settings
from app.settlement.detail_file import SCHEMA, holder_sums, read_detail
from app.settlement.detail_store import LocalDirectoryStore, content_key, store_of
from app.settlement.tables import SettlementFtrHour, SettlementHolderMonth, SettlementRun
from tests.app.conftest import Member, bearer
from tests.app.http import SyncClient
from tests.app.test_settlement import (  # noqa: F401  (fixtures)
    M1,
    M2,
    YEAR,
    _settlement_links,
    charges_csv,
    example,
    holders,
    settle,
    upload,
)

TODAY = {
    ("P", 11, "csv"): "2fd72c222d78467c3870e8e5b7a381301851b3b95e9a3b8dd4afe926d831befc",
    ("P", 11, "json"): "53ae5cdd80bbaf17dbcfe4844a80ef08b88700303a3f263dd50e761515c43413",
    ("P", 12, "csv"): "fe939711175b6c93fe1b14e8cb190c38634d1883447aca83302765da690a9abe",
    ("P", 12, "json"): "f171d8d10ef9ea73148f554c43c2c4861d931e8da55c0bc58e2e374472935851",
    ("Q", 11, "csv"): "4efb973d181afa05ba414ff66a022ac36499b412db5f0f15a2aedf0e416b2eb3",
    ("Q", 11, "json"): "8ff44574f06eb876b36f3f9b4ddec8a8dce13ef7f62e9af81768489590092b09",
    ("Q", 12, "csv"): "d28a6f2d4076262aca78bf00687b3c9ac48ea79238d2f5896e444dad75f043f9",
    ("Q", 12, "json"): "83557f4b85a219396aa19b6d0b151306c0724f8d1ef2dd8ff7015c5e7051c9ba",
    ("R", 11, "csv"): "a69096d62cdee547ba8695efa72fa799e1c33d806fd7d978a2fe048c47a50df4",
    ("R", 11, "json"): "25be7628e174f17273c102c553374725d1e338b7e23a3769494579b8ea5fcf8d",
    ("R", 12, "csv"): "3e7a90f9ee564ad0caa2d4b1af3f553007d35fe53f1d421aec5107682d1ac4a7",
    ("R", 12, "json"): "db4169f90665e683e4596bba42accce94830b87932544399a55fe313daff8df7",
}
MIGRATION = Path(__file__).resolve().parents[2] / "alembic" / "versions" / "0550_settlement_detail_file.py"


def _without_ids(text: str, kind: str) -> str:
    if kind == "csv":
        return re.sub(r"(?m)^([^,\n]*),\d+:", r"\1,H:", text)
    return re.sub(r'"ftr_id":"\d+:', '"ftr_id":"H:', text)


def _bodies(client: SyncClient, holders: dict[str, Member]) -> dict[tuple[str, int, str], str]:
    out = {}
    for name in ("P", "Q", "R"):
        member = holders[name]
        for month in (M1, M2):
            base = f"/api/v1/settlement/months/{YEAR}/{month}/statements/{member.id}"
            for kind, path in (("json", f"{base}/ftrs"), ("csv", f"{base}/ftrs.csv")):
                r = client.get(path, headers=member.headers)
                assert r.status_code == 200, r.text
                out[(name, month, kind)] = hashlib.sha256(_without_ids(r.text, kind).encode()).hexdigest()
    return out


def _runs(app: FastAPI) -> list[SettlementRun]:
    with transaction(app.state.engine) as session:
        runs = list(session.exec(select(SettlementRun).order_by(col(SettlementRun.id))).all())
        for r in runs:
            session.expunge(r)
        return runs


def _file(settings: Settings, key: str) -> Path:
    return LocalDirectoryStore(Path(settings.settlement_store)).path(key)


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0550", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestDetailFile:
    def test_statement_detail_and_csv_are_unchanged(
        self, client: SyncClient, operator_key: str, example: dict[str, Member]
    ) -> None:
        settle(client, operator_key, M1)
        settle(client, operator_key, M2)
        assert _bodies(client, example) == TODAY

    def test_one_file_per_run_summing_to_the_holder_totals_to_the_cent(
        self,
        app: FastAPI,
        settings: Settings,
        client: SyncClient,
        operator_key: str,
        example: dict[str, Member],
    ) -> None:
        settle(client, operator_key, M1)
        settle(client, operator_key, M2)
        runs = _runs(app)
        assert len(runs) == 2
        with transaction(app.state.engine) as session:
            assert session.exec(select(sa.func.count()).select_from(SettlementFtrHour)).one() == 0
            for run in runs:
                assert run.detail_key is not None and run.detail_sha256 is not None
                path = _file(settings, run.detail_key)
                assert content_key(path.read_bytes()) == run.detail_sha256 == run.detail_key
                table = read_detail(store_of(session), run.detail_key, run.detail_sha256)
                assert table.schema.equals(SCHEMA) and table.num_rows > 0
                totals = {
                    m.participant_id: {
                        "target_allocation": m.target_allocation_cents,
                        "credit": m.credit_cents,
                        "forfeited": m.forfeited_cents,
                    }
                    for m in session.exec(
                        select(SettlementHolderMonth).where(SettlementHolderMonth.run_id == run.id)
                    ).all()
                }
                sums = holder_sums(table)
                assert set(sums) == set(totals) == {example[n].id for n in ("P", "Q", "R")}
                for holder, amounts in totals.items():
                    assert {k: sums[holder][k] for k in amounts} == amounts, holder
                    assert (
                        sums[holder]["target_allocation_before_forfeiture"]
                        == amounts["target_allocation"] + amounts["forfeited"]
                    )
        links = _settlement_links(client, operator_key)
        assert [run["detail_sha256"] for link in links for run in link["payload"]["runs"]] == [
            r.detail_sha256 for r in runs
        ]

    @pytest.mark.parametrize("damage", ["changed", "missing"])
    def test_a_changed_or_missing_file_is_detected(
        self,
        app: FastAPI,
        settings: Settings,
        client: SyncClient,
        operator_key: str,
        example: dict[str, Member],
        damage: str,
    ) -> None:
        oi = bearer(operator_key)
        settle(client, operator_key, M1)
        [run] = _runs(app)
        [link] = _settlement_links(client, operator_key)
        assert client.get("/api/v1/audit-log/verify", headers=oi).json()["ok"] is True
        assert run.detail_key is not None
        path = _file(settings, run.detail_key)
        if damage == "missing":
            path.unlink()
        else:
            table = pq.read_table(path)
            column = table.column("credit_cents").to_pylist()
            column[0] += 1
            changed = table.set_column(table.schema.get_field_index("credit_cents"), "credit_cents", [column])
            pq.write_table(changed, path, compression="zstd")
        p = example["P"]
        base = f"/api/v1/settlement/months/{YEAR}/{M1}/statements/{p.id}"
        for suffix in ("/ftrs", "/ftrs.csv"):
            r = client.get(base + suffix, headers=p.headers)
            assert r.status_code == 500, r.text
            problem = r.json()
            assert problem["type"].endswith("settlement-detail-damaged")
            assert run.detail_key in problem["detail"]
            assert ("missing" in problem["detail"]) == (damage == "missing")
        assert client.get(base, headers=p.headers).status_code == 200
        verdict = client.get("/api/v1/audit-log/verify", headers=oi).json()
        assert (verdict["ok"], verdict["first_bad_seq"], verdict["problem"]) == (
            False,
            link["seq"],
            "results-changed",
        )
        assert f"settlement run {run.id}" in verdict["detail"]

    def test_a_changed_recorded_hash_is_caught_by_verification(
        self, app: FastAPI, client: SyncClient, operator_key: str, example: dict[str, Member]
    ) -> None:
        """Replacing the file and its recorded hash together still breaks the audit link."""
        oi = bearer(operator_key)
        settle(client, operator_key, M1)
        [run] = _runs(app)
        [link] = _settlement_links(client, operator_key)
        with transaction(app.state.engine) as session:
            store = store_of(session)
            assert run.detail_key is not None and run.detail_sha256 is not None
            table = read_detail(store, run.detail_key, run.detail_sha256)
            out = io.BytesIO()
            pq.write_table(table.slice(1), out, compression="zstd")
            key = store.put(out.getvalue())
            stored = session.get(SettlementRun, run.id)
            assert stored is not None
            stored.detail_key = stored.detail_sha256 = key
            session.add(stored)
        verdict = client.get("/api/v1/audit-log/verify", headers=oi).json()
        assert (verdict["ok"], verdict["first_bad_seq"], verdict["problem"]) == (
            False,
            link["seq"],
            "results-changed",
        )


class TestMigration:
    def test_existing_rows_move_into_a_file(
        self,
        app: FastAPI,
        settings: Settings,
        client: SyncClient,
        operator_key: str,
        example: dict[str, Member],
    ) -> None:
        """A run stored as rows (before the files) -> one file with the same statements; rows deleted."""
        settle(client, operator_key, M1)
        settle(client, operator_key, M2)
        runs = _runs(app)
        with transaction(app.state.engine) as session:
            store = store_of(session)
            for run in runs:
                assert run.detail_key is not None and run.detail_sha256 is not None
                rows = read_detail(store, run.detail_key, run.detail_sha256).to_pylist()
                session.execute(sa.insert(SettlementFtrHour), [r | {"run_id": run.id} for r in rows])
                stored = session.get(SettlementRun, run.id)
                assert stored is not None
                stored.detail_key = stored.detail_sha256 = None
                session.add(stored)
                _file(settings, run.detail_key).unlink()
        with app.state.engine.begin() as conn:
            moved = _migration().move_rows_to_files(conn, Path(settings.settlement_store))
        assert moved == [r.id for r in runs]
        after = _runs(app)
        with transaction(app.state.engine) as session:
            assert session.exec(select(sa.func.count()).select_from(SettlementFtrHour)).one() == 0
        assert [r.detail_sha256 for r in after] == [r.detail_sha256 for r in runs]
        assert _bodies(client, example) == TODAY
        assert client.get("/api/v1/audit-log/verify", headers=bearer(operator_key)).json()["ok"] is True


class TestFtrDifferences:
    def test_a_correction_is_compared_column_by_column_with_the_replaced_file(
        self, client: SyncClient, operator_key: str, example: dict[str, Member]
    ) -> None:
        oi = bearer(operator_key)
        settle(client, operator_key, M1)
        assert (
            upload(client, operator_key, M1, "da_congestion", charges_csv(M1, [1375, 2600, 0])).status_code
            == 201
        )
        settle(client, operator_key, M1, reason="corrected hour 2 charges")
        first, second = client.get(f"/api/v1/settlement/months/{YEAR}/{M1}/runs", headers=oi).json()
        money = ["target_allocation_before_forfeiture", "forfeited", "target_allocation", "credit"]
        expected = set()
        for name in ("P", "Q", "R"):
            member = example[name]
            base = f"/api/v1/settlement/months/{YEAR}/{M1}/statements/{member.id}/ftrs"
            old, new = (
                {
                    (row["hour_ending"], row["ftr_id"]): tuple(row[m] for m in money)
                    for row in client.get(base, params={"version": v}, headers=oi).json()
                }
                for v in (1, 2)
            )
            assert set(old) == set(new)
            for key in old:
                if old[key] != new[key]:
                    pairs = [x for o, n in zip(old[key], new[key], strict=True) for x in (o, n)]
                    expected.add((str(member.id), *key, *pairs))
        assert expected, "the correction changes some FTR-hours"
        r = client.get(f"/api/v1/settlement/runs/{second['id']}/ftr-differences.csv", headers=oi)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), r.text
        header, *lines = list(csv.reader(io.StringIO(r.text)))
        assert header == ["participant_id", "hour_ending", "ftr_id"] + [
            f"{m}_{side}" for m in money for side in ("old", "new")
        ]
        assert {tuple(line) for line in lines} == expected and len(lines) == len(expected)
        credit_change: dict[str, Decimal] = {}
        for line in lines:
            row = dict(zip(header, line, strict=True))
            change = Decimal(row["credit_new"]) - Decimal(row["credit_old"])
            credit_change[row["participant_id"]] = (
                credit_change.get(row["participant_id"], Decimal(0)) + change
            )
        stored = client.get(f"/api/v1/settlement/runs/{second['id']}/differences", headers=oi).json()
        assert credit_change == {
            str(c["participant_id"]): Decimal(c["change"]) for c in stored if c["amount"] == "credit"
        }
        r = client.get(f"/api/v1/settlement/runs/{first['id']}/ftr-differences.csv", headers=oi)
        assert r.status_code == 200 and r.text.splitlines() == [",".join(header)]
