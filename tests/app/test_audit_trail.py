"""The audit trail (both databases): every state change links into the chain in its own transaction;
``ftr audit verify`` names the first link altered or removed by raw SQL; the bid book seal; logs
never carry a bid's price or MW."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from app.cli import main
from app.clock import FixedClock
from tests.app.conftest import JANUARY_2027_CLOSES, Database, Member, bearer
from tests.app.http import SyncClient
from tests.app.test_clearing import clear, order, wait_for_job


def _url(database: Database) -> str:
    if database.backend == "sqlite":
        return database.url
    search_path = database.connect_args["options"].removeprefix("-csearch_path=")
    return f"{database.url}?options=-csearch_path%3D{search_path}"


@pytest.fixture
def verify(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], int]]:
    monkeypatch.setenv("DATABASE_URL", _url(database))
    monkeypatch.setenv("FTR_ENV", "development")
    yield lambda: main(["audit", "verify"])


def _actions(app: FastAPI, table: str = "audit_log") -> list[str]:
    with app.state.engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text(f"SELECT action FROM {table} ORDER BY seq"))]


def _busy_day(
    client: SyncClient, operator_key: str, auction_id: int, make_participant: Callable[..., Member]
) -> Member:
    alice = make_participant()
    r = client.post(
        f"/api/v1/auctions/{auction_id}/bids", json=order("1", "3", "10.0", "7.00"), headers=alice.headers
    )
    bid_id = r.json()["id"]
    client.patch(f"/api/v1/bids/{bid_id}", json={"mw": "12.0"}, headers=alice.headers)
    client.delete(f"/api/v1/bids/{bid_id}", headers=alice.headers)
    client.patch(
        f"/api/v1/participants/{alice.id}", json={"credit_limit": "5.00"}, headers=bearer(operator_key)
    )
    return alice


class TestChain:
    def test_state_changes_are_linked_and_verify(
        self,
        app: FastAPI,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        make_participant: Callable[..., Member],
        verify: Callable[[], int],
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        alice = _busy_day(client, operator_key, auction_id, make_participant)
        assert _actions(app) == ["window.opened", "credit.changed"]
        assert _actions(app, "audit_sub_log") == ["bid.created", "bid.modified", "bid.withdrawn"]
        assert verify() == 0
        assert "intact: 2 entries" in capsys.readouterr().out
        oi = bearer(operator_key)
        chain = f"participant:{alice.id}"
        page = client.get(
            "/api/v1/audit-log", params={"action": "bid.modified", "chain": chain}, headers=oi
        ).json()
        assert page["total"] == 1 and page["items"][0]["chain"] == chain
        [entry] = page["items"]
        assert (
            entry["payload"]["before"]["mw_tenths"] == 100 and entry["payload"]["after"]["mw_tenths"] == 120
        )
        assert client.get("/api/v1/audit-log/verify", headers=oi).json()["ok"] is True
        trader = make_participant()
        assert client.get("/api/v1/audit-log", headers=trader.headers).status_code == 403

    @pytest.mark.parametrize(
        ("tamper", "seq", "problem", "in_sub_chain"),
        [
            (
                ["UPDATE audit_sub_log SET payload = replace(payload, '700', '100') WHERE seq = 1"],
                1,
                "altered",
                True,
            ),
            (["UPDATE audit_sub_log SET actor = 'participant:1' WHERE seq = 2"], 2, "altered", True),
            (["DELETE FROM audit_sub_log WHERE seq = 2"], 2, "removed", True),
            (["DELETE FROM audit_sub_log WHERE seq = 3"], 3, "removed", True),
            (  # reordered: links 1 and 2 swap places
                [
                    "UPDATE audit_sub_log SET seq = 10 WHERE seq = 1",
                    "UPDATE audit_sub_log SET seq = 1 WHERE seq = 2",
                    "UPDATE audit_sub_log SET seq = 2 WHERE seq = 10",
                ],
                1,
                "altered",
                True,
            ),
            (  # inserted: a copy of link 1 at seq 2, the later links moved up
                [
                    "UPDATE audit_sub_log SET seq = seq + 100 WHERE seq >= 2",
                    "UPDATE audit_sub_log SET seq = seq - 99 WHERE seq >= 100",
                    "INSERT INTO audit_sub_log (chain, seq, at, actor, action, payload, prev_hash, hash) "
                    "SELECT chain, 2, at, actor, action, payload, prev_hash, hash "
                    "FROM audit_sub_log WHERE seq = 1",
                ],
                2,
                "altered",
                True,
            ),
            (["UPDATE audit_log SET actor = 'participant:999' WHERE seq = 1"], 1, "altered", False),
            (["DELETE FROM audit_log WHERE seq = 2"], 2, "removed", False),
        ],
    )
    def test_raw_sql_tampering_is_named(
        self,
        app: FastAPI,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        make_participant: Callable[..., Member],
        verify: Callable[[], int],
        capsys: pytest.CaptureFixture[str],
        tamper: list[str],
        seq: int,
        problem: str,
        in_sub_chain: bool,
    ) -> None:
        alice = _busy_day(client, operator_key, auction_id, make_participant)
        with app.state.engine.begin() as conn:
            for statement in tamper:
                assert conn.execute(sa.text(statement)).rowcount >= 1
        assert verify() == 1
        err = capsys.readouterr().err
        assert f"BROKEN at entry {seq} ({problem})" in err, err
        verdict = client.get("/api/v1/audit-log/verify", headers=bearer(operator_key)).json()
        assert (verdict["ok"], verdict["first_bad_seq"], verdict["problem"]) == (False, seq, problem)
        assert verdict["chain"] == (f"participant:{alice.id}" if in_sub_chain else None)

    def test_failed_request_leaves_no_link(
        self, app: FastAPI, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        poor = make_participant(credit_limit="0.00")
        r = client.post(
            f"/api/v1/auctions/{auction_id}/bids", json=order("1", "3", "10.0", "7.00"), headers=poor.headers
        )
        assert r.status_code == 422
        assert _actions(app) == ["window.opened"]
        assert _actions(app, "audit_sub_log") == []


class TestBidBookSeal:
    def test_clearing_refuses_a_book_changed_after_close(
        self,
        app: FastAPI,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        alice = make_participant()
        client.post(
            f"/api/v1/auctions/{auction_id}/bids", json=order("1", "3", "10.0", "7.00"), headers=alice.headers
        )
        clock.set(JANUARY_2027_CLOSES + timedelta(minutes=1))
        oi = bearer(operator_key)
        r = client.post(f"/api/v1/auctions/{auction_id}/close", headers=oi)
        assert r.status_code == 200, r.text
        with app.state.engine.begin() as conn:
            conn.execute(sa.text("UPDATE bid SET price_cents = 1 WHERE auction_id = :a"), {"a": auction_id})
        # The request only checks the auction's state; the job checks the seal and fails, storing nothing.
        r = client.post(f"/api/v1/auctions/{auction_id}/clear", headers=oi)
        assert r.status_code == 202, r.text
        failed = wait_for_job(client, operator_key, r.json()["id"])
        assert failed["status"] == "failed"
        assert failed["error"].startswith("bid-book-altered: the bid book of auction")
        assert "not the one sealed at window close" in failed["log"][-1]
        assert client.get(f"/api/v1/auctions/{auction_id}", headers=oi).json()["status"] == "closed"
        with app.state.engine.begin() as conn:
            conn.execute(sa.text("UPDATE bid SET price_cents = 700 WHERE auction_id = :a"), {"a": auction_id})
        assert clear(client, operator_key, auction_id)["status"] == "succeeded"
        assert _actions(app)[-4:] == ["audit.sealed", "window.closed", "audit.sealed", "clearing.run"]


class TestLogs:
    def test_no_bid_price_or_quantity_in_application_logs(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.DEBUG)
        alice = make_participant()
        body = order("1", "3", "43.7", "9876.54")
        r = client.post(f"/api/v1/auctions/{auction_id}/bids", json=body, headers=alice.headers)
        bid_id = r.json()["id"]
        client.patch(f"/api/v1/bids/{bid_id}", json={"mw": "41.3", "price": "8765.43"}, headers=alice.headers)
        client.post(
            f"/api/v1/auctions/{auction_id}/bids",
            json=order("1", "3", "99999.9", "9876.54"),
            headers=alice.headers,
        )
        clock.set(JANUARY_2027_CLOSES)
        assert clear(client, operator_key, auction_id)["status"] == "succeeded"
        text = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
        assert caplog.records, "the run logged something (the capture works)"
        for secret in ("9876.54", "987654", "8765.43", "876543", "43.7", "41.3", "99999.9"):
            assert secret not in text, secret
