"""Migration 0100 moves stored holdings into the pure ledger's form and back (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.holdings.ledger_mapping import ledger_of
from app.holdings.tables import FtrHolding
from app.migrations import downgrade, upgrade
from auction.ledger_queries import minimum_position
from tests.app.test_migrations import fresh_engine  # noqa: F401  (fixture)

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _seed_0002(engine: Engine) -> None:
    upgrade(engine, "0002")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO participant (id, name, role, credit_limit_cents, created_at) "
                "VALUES (1, 'lse', 'lse', 0, :t), (2, 'oi', 'operator', 0, :t)"
            ),
            {"t": NOW},
        )
        rows = [
            (1, "allocation", None, 210),
            (2, "auction_sale", None, -210),
        ]
        for i, origin, auction, mw in rows:
            conn.execute(
                sa.text(
                    "INSERT INTO ftr_holding (id, holder_id, year, month, period_class, source, sink, hedge, "
                    "mw_tenths, origin, auction_id, created_at) VALUES "
                    "(:i, 1, 2027, 3, 'on_peak', '1', '3', 'obligation', :mw, :o, :a, :t)"
                ),
                {"i": i, "mw": mw, "o": origin, "a": auction, "t": NOW},
            )


def test_legacy_holdings_become_ledger_entries_and_back(fresh_engine: Engine) -> None:  # noqa: F811
    _seed_0002(fresh_engine)
    upgrade(fresh_engine)
    with Session(fresh_engine) as session:
        rows = session.exec(select(FtrHolding).order_by(col(FtrHolding.id))).all()
        assert [(r.origin, r.reference) for r in rows] == [("nsu_allocation", "entry:1"), ("sale", "entry:2")]
        # March 2027 starts 00:00 EST = 05:00 UTC; its first hour ends at 06:00 UTC.
        assert {r.effective_from for r in rows} == {datetime(2027, 3, 1, 6, tzinfo=UTC)}
        ledger = ledger_of(rows)
        [(holder, key)] = ledger.by_holding
        assert minimum_position(ledger, holder, key) == 0
    with fresh_engine.begin() as conn:
        assert conn.execute(sa.text("SELECT seq, hash FROM audit_head")).one() == (0, "0" * 64)
    downgrade(fresh_engine, "0002")
    with fresh_engine.begin() as conn:
        origins = [r[0] for r in conn.execute(sa.text("SELECT origin FROM ftr_holding ORDER BY id"))]
    assert origins == ["allocation", "auction_sale"]
