"""What the settlement reads from the holdings ledger: netting per way of acquisition (OA 5.2.2)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI

from app.db import transaction
from app.holdings.tables import FtrHolding
from app.settlement.holdings_source import holdings_snapshot
from tests.app.conftest import START, Member

YEAR, MONTH = 2027, 3


def _entry(
    holder: int, origin: str, tenths: int, price_cents: int | None = None, sink: str = "3"
) -> FtrHolding:
    return FtrHolding(
        holder_id=holder,
        year=YEAR,
        month=MONTH,
        period_class="on_peak",
        source="1",
        sink=sink,
        hedge="obligation",
        mw_tenths=tenths,
        price_cents=price_cents,
        origin=origin,
        effective_from=START,
        reference="settlement holdings test",
        created_at=START,
    )


def test_netting_and_auction_price(app: FastAPI, make_participant: Callable[..., Member]) -> None:
    lse = make_participant("lse")
    with transaction(app.state.engine) as session:
        session.add_all(
            [
                _entry(lse.id, "allocation", 500),
                _entry(lse.id, "auction_purchase", 100, 1000),
                _entry(lse.id, "auction_purchase", 300, 2000),
                _entry(lse.id, "auction_sale", -600, 1500),
                _entry(lse.id, "auction_purchase", 50, 800, sink="2"),
            ]
        )
    with transaction(app.state.engine) as session:
        rows = holdings_snapshot(session, YEAR, MONTH).to_dict("records")
    by_path = {(r["sink"], r["acquisition"]): (r["mw"], r["auction_price_per_mw"]) for r in rows}
    # 1 -> 3: bought 40 MW, sold 60: the 20 MW short come out of the 50 MW allocated.
    assert by_path == {("3", "network_service"): ("30", ""), ("2", "auction"): ("5", "8")}


def test_unknown_origin_is_an_error(app: FastAPI, make_participant: Callable[..., Member]) -> None:
    lse = make_participant("lse")
    with transaction(app.state.engine) as session:
        session.add(_entry(lse.id, "gift", 10))
    with transaction(app.state.engine) as session, pytest.raises(ValueError, match="unknown origin 'gift'"):
        holdings_snapshot(session, YEAR, MONTH)
