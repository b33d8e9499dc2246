"""The audit record anchored outside the database (both databases): signed checkpoints, a head held
elsewhere, and the clearing results covered by the chain. Each test tampers as someone with write
access to the database but without the signing key would."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlmodel import Session, col, select

from app.audit.signing import checkpoint_signed, generate_key_file, key_id, load_public_key
from app.audit.tables import AuditCheckpoint, AuditHead, AuditLog, AuditSubHead, AuditSubLog
from app.audit_chain import entry_hash
from app.audit_verify import verify_audit
from app.cli import main
from app.clock import FixedClock
from app.settings import Environment, Settings
from tests.app.conftest import JANUARY_2027_CLOSES, TEST_SECRET, Database, Member, bearer
from tests.app.http import SyncClient
from tests.app.test_audit_trail import _url
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
def cli(database: Database, key_file: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., int]]:
    monkeypatch.setenv("DATABASE_URL", _url(database))
    monkeypatch.setenv("FTR_ENV", "development")
    monkeypatch.setenv("FTR_AUDIT_SIGNING_KEY_FILE", str(key_file))
    yield lambda *extra: main(["audit", "verify", *extra])


@pytest.fixture
def posted(
    client: SyncClient,
    operator_key: str,
    auction_id: int,
    clock: FixedClock,
    make_participant: Callable[..., Member],
) -> int:
    """A full cycle: bids, close, clear, post."""
    submit_worked_example(client, auction_id, make_participant)
    clock.set(JANUARY_2027_CLOSES + timedelta(minutes=5))
    assert clear(client, operator_key, auction_id)["status"] == "succeeded"
    r = client.post(f"/api/v1/auctions/{auction_id}/post", headers=bearer(operator_key))
    assert r.status_code == 200, r.text
    return auction_id


def verdict(
    client: SyncClient, operator_key: str, head: str | None = None
) -> tuple[bool, int | None, str | None]:
    params = {"head": head} if head is not None else {}
    r = client.get("/api/v1/audit-log/verify", params=params, headers=bearer(operator_key))
    assert r.status_code == 200, r.text
    body = r.json()
    return body["ok"], body["first_bad_seq"], body["problem"]


def links(app: FastAPI) -> list[AuditLog]:
    with Session(app.state.engine) as session:
        return list(session.exec(select(AuditLog).order_by(col(AuditLog.seq))).all())


def head_text(entry: AuditLog) -> str:
    return f"{entry.seq}:{entry.hash}"


def rewrite_from(app: FastAPI, seq: int, payload_edit: Callable[[dict[str, object]], None]) -> None:
    """Change entry ``seq``'s payload, recompute its hash and every later one, and move the head."""
    with Session(app.state.engine) as session:
        rows = list(
            session.exec(select(AuditLog).where(AuditLog.seq >= seq).order_by(col(AuditLog.seq))).all()
        )
        prev = rows[0].prev_hash
        for row in rows:
            payload = json.loads(row.payload)
            if row.seq == seq:
                payload_edit(payload)
                row.payload = json.dumps(payload, sort_keys=True, separators=(",", ":"))
            row.prev_hash = prev
            row.hash = entry_hash(row.seq, row.at, row.actor, row.action, payload, prev)
            prev = row.hash
            session.add(row)
        head = session.get(AuditHead, 1)
        assert head is not None
        head.seq, head.hash = rows[-1].seq, rows[-1].hash
        session.add(head)
        session.commit()


class TestCheckpoints:
    def test_each_state_change_is_signed_and_the_cycle_verifies(
        self,
        app: FastAPI,
        client: SyncClient,
        operator_key: str,
        posted: int,
        key_file: Path,
        cli: Callable[..., int],
    ) -> None:
        entries = links(app)
        with Session(app.state.engine) as session:
            checkpoints = list(session.exec(select(AuditCheckpoint).order_by(col(AuditCheckpoint.seq))).all())
        signed_actions = [next(e.action for e in entries if e.seq == c.seq) for c in checkpoints]
        assert signed_actions == ["window.opened", "window.closed", "clearing.run", "auction.posted"]
        assert {c.key_id for c in checkpoints} == {key_id(load_public_key(key_file))}
        assert verdict(client, operator_key) == (True, None, None)
        assert verdict(client, operator_key, head_text(entries[-1])) == (True, None, None)
        assert cli("--head", head_text(entries[-1])) == 0
        results = [
            json.loads(e.payload)["results_hash"]
            for e in entries
            if e.action in ("clearing.run", "auction.posted")
        ]
        assert len(results) == 2 and results[0] == results[1]

    def test_truncation_with_the_head_moved(
        self, app: FastAPI, client: SyncClient, operator_key: str, posted: int, cli: Callable[..., int]
    ) -> None:
        entries = links(app)
        keep = entries[-3]
        with app.state.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM audit_log WHERE seq > :s"), {"s": keep.seq})
            conn.execute(
                sa.text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": keep.seq, "h": keep.hash}
            )
        assert verdict(client, operator_key) == (False, keep.seq + 1, "removed")
        assert verdict(client, operator_key, head_text(entries[-1])) == (False, keep.seq + 1, "removed")
        assert cli() == 1

    def test_truncation_of_checkpoints_too_is_caught_by_the_head_held_elsewhere(
        self, app: FastAPI, client: SyncClient, operator_key: str, posted: int, cli: Callable[..., int]
    ) -> None:
        entries = links(app)
        keep = entries[-3]
        with app.state.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM audit_log WHERE seq > :s"), {"s": keep.seq})
            conn.execute(sa.text("DELETE FROM audit_checkpoint WHERE seq > :s"), {"s": keep.seq})
            conn.execute(
                sa.text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": keep.seq, "h": keep.hash}
            )
        assert verdict(client, operator_key)[0] is True  # consistent without an outside anchor
        assert verdict(client, operator_key, head_text(entries[-1])) == (False, keep.seq + 1, "removed")
        assert cli("--head", head_text(entries[-1])) == 1

    def test_rewrite_with_recomputed_hashes(
        self, app: FastAPI, client: SyncClient, operator_key: str, posted: int, cli: Callable[..., int]
    ) -> None:
        entries = links(app)
        seal = next(e for e in entries if e.action == "audit.sealed")
        real_head = head_text(entries[-1])
        rewrite_from(app, seal.seq, lambda p: p.update(heads={}))
        assert entries[seal.seq].action == "window.closed"  # the signed link after the seal
        assert verdict(client, operator_key) == (False, seal.seq + 1, "unsigned")
        assert verdict(client, operator_key, real_head)[2] == "replaced"
        assert cli() == 1

    def test_checkpoints_rewritten_without_the_key(
        self, app: FastAPI, client: SyncClient, operator_key: str, posted: int
    ) -> None:
        seal = next(e for e in links(app) if e.action == "audit.sealed")
        rewrite_from(app, seal.seq, lambda p: p.update(heads={}))
        with Session(app.state.engine) as session:
            by_seq = {e.seq: e.hash for e in session.exec(select(AuditLog)).all()}
            for c in session.exec(select(AuditCheckpoint)).all():
                c.hash = by_seq[c.seq]
                session.add(c)
            session.commit()
        assert verdict(client, operator_key) == (False, seal.seq + 1, "unsigned")

    def test_deleted_checkpoint_is_caught(
        self, app: FastAPI, client: SyncClient, operator_key: str, posted: int
    ) -> None:
        closed = next(e for e in links(app) if e.action == "window.closed")
        with app.state.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM audit_checkpoint WHERE seq = :s"), {"s": closed.seq})
        assert verdict(client, operator_key) == (False, closed.seq, "unsigned")

    def test_another_key_does_not_verify(self, app: FastAPI, posted: int, tmp_path: Path) -> None:
        other = generate_key_file(tmp_path / "other.pem")
        with Session(app.state.engine) as session:
            result = verify_audit(session, public_key=other)
        assert (result.ok, result.problem) == (False, "unsigned")

    def test_bad_head_refused(
        self, client: SyncClient, operator_key: str, posted: int, cli: Callable[..., int]
    ) -> None:
        r = client.get("/api/v1/audit-log/verify", params={"head": "12:xyz"}, headers=bearer(operator_key))
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "head"
        assert cli("--head", "nonsense") == 2
        ok, seq, problem = verdict(client, operator_key, "9999:" + "0" * 64)
        assert (ok, problem) == (False, "removed") and seq is not None and seq < 9999


def rewrite_sub_chain(app: FastAPI, chain: str, edit: Callable[[dict[str, object]], None]) -> None:
    """Change the first link of ``chain``, recompute every hash of the chain and move its head."""
    with Session(app.state.engine) as session:
        rows = list(
            session.exec(
                select(AuditSubLog).where(AuditSubLog.chain == chain).order_by(col(AuditSubLog.seq))
            ).all()
        )
        prev = rows[0].prev_hash
        for row in rows:
            payload = json.loads(row.payload)
            if row.seq == 1:
                edit(payload)
                row.payload = json.dumps(payload, sort_keys=True, separators=(",", ":"))
            row.prev_hash = prev
            row.hash = entry_hash(row.seq, row.at, row.actor, row.action, payload, prev)
            prev = row.hash
            session.add(row)
        head = session.get(AuditSubHead, chain)
        assert head is not None
        head.seq, head.hash = rows[-1].seq, rows[-1].hash
        session.add(head)
        session.commit()


class TestPublishedHead:
    def test_any_participant_reads_the_signed_head_and_checks_the_chain_with_it(
        self,
        client: SyncClient,
        operator_key: str,
        posted: int,
        key_file: Path,
        make_participant: Callable[..., Member],
    ) -> None:
        trader = make_participant()
        r = client.get("/api/v1/audit-log/checkpoint", headers=trader.headers)
        assert r.status_code == 200, r.text
        head = r.json()
        public_key = load_public_key(key_file)
        assert head["key_id"] == key_id(public_key)
        assert checkpoint_signed(public_key, head["seq"], head["hash"], head["signature"])
        assert not checkpoint_signed(public_key, head["seq"] + 1, head["hash"], head["signature"])
        assert verdict(client, operator_key, f"{head['seq']}:{head['hash']}") == (True, None, None)

    def test_no_checkpoint_without_a_key(
        self, app: FastAPI, client: SyncClient, make_participant: Callable[..., Member]
    ) -> None:
        r = client.get("/api/v1/audit-log/checkpoint", headers=make_participant().headers)
        assert r.status_code == 404


class TestSubChainSeals:
    def _chain(self, app: FastAPI) -> str:
        with Session(app.state.engine) as session:
            chains = sorted(h.chain for h in session.exec(select(AuditSubHead)).all())
        assert len(chains) == 4  # one per bidder of the worked example
        return chains[0]

    def test_bids_are_sealed_at_each_state_change(self, app: FastAPI, posted: int) -> None:
        entries = links(app)
        seals = [json.loads(e.payload)["heads"] for e in entries if e.action == "audit.sealed"]
        assert len(seals) == 3  # before the close, the clearing and the posting (none before the opening)
        assert all(len(s) == 4 for s in seals)
        assert [e.action for e in entries if e.action.startswith("bid.")] == []

    def test_rewrite_with_recomputed_hashes_caught_at_the_seal(
        self, app: FastAPI, client: SyncClient, operator_key: str, posted: int
    ) -> None:
        chain = self._chain(app)
        rewrite_sub_chain(app, chain, lambda p: p.update(price_cents=1))
        r = client.get("/api/v1/audit-log/verify", headers=bearer(operator_key)).json()
        assert (r["ok"], r["first_bad_seq"], r["problem"], r["chain"]) == (False, 1, "replaced", chain)

    def test_truncation_with_the_head_moved_caught_at_the_seal(
        self, app: FastAPI, client: SyncClient, operator_key: str, posted: int
    ) -> None:
        chain = self._chain(app)
        with app.state.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM audit_sub_log WHERE chain = :c"), {"c": chain})
            conn.execute(sa.text("DELETE FROM audit_sub_head WHERE chain = :c"), {"c": chain})
        r = client.get("/api/v1/audit-log/verify", headers=bearer(operator_key)).json()
        assert (r["ok"], r["first_bad_seq"], r["problem"], r["chain"]) == (False, 1, "removed", chain)

    def test_changed_seal_is_a_changed_global_link(
        self, app: FastAPI, client: SyncClient, operator_key: str, posted: int
    ) -> None:
        seal = next(e for e in links(app) if e.action == "audit.sealed")
        with app.state.engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE audit_log SET payload = replace(payload, :a, :b) WHERE seq = :s"),
                {"a": '"seq":1', "b": '"seq":0', "s": seal.seq},
            )
        r = client.get("/api/v1/audit-log/verify", headers=bearer(operator_key)).json()
        assert (r["ok"], r["first_bad_seq"], r["problem"], r["chain"]) == (False, seal.seq, "altered", None)


class TestResults:
    @pytest.mark.parametrize(
        "tamper",
        [
            "UPDATE bid_fill SET cleared_mw_tenths = cleared_mw_tenths * 10",
            "UPDATE nodal_price SET price_cents = price_cents + 100 WHERE point_id = '3'",
            "DELETE FROM bid_fill WHERE bid_id = (SELECT MIN(bid_id) FROM bid_fill)",
        ],
    )
    def test_tampered_results_are_caught(
        self,
        app: FastAPI,
        client: SyncClient,
        operator_key: str,
        posted: int,
        tamper: str,
        cli: Callable[..., int],
    ) -> None:
        posting = next(e for e in links(app) if e.action == "auction.posted")
        with app.state.engine.begin() as conn:
            assert conn.execute(sa.text(tamper)).rowcount >= 1
        assert verdict(client, operator_key) == (False, posting.seq, "results-changed")
        assert cli() == 1
