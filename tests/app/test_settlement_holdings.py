"""What the settlement reads from the holdings ledger: runs of constant MW per holder, FTR and way of
acquisition (OA 5.2.2), the auction price of the awards (OA 5.2.1(b)), and the engine positions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st

from app.db import transaction
from app.holdings.ledger_mapping import EntryContext
from app.holdings.service import HoldingService
from app.holdings.tables import FtrHolding
from app.settlement.engine_inputs import holding_positions
from app.settlement.holding_runs import ACQUISITION_OF, HoldingRun, holding_runs, net_parts
from app.settlement.holdings_source import _pure_snapshot, holdings_snapshot
from auction.ledger import FtrKey, Ledger, LedgerError, Origin, PeriodClass, Posting
from auction.ledger_queries import position_matrix
from auction.ledger_time import DeliveryMonth
from market_calendar import month_hour_index
from market_terms import Hedge
from settlement.errors import SettlementInputError
from settlement.positions import Acquisition
from tests.app.conftest import START, Member

YEAR, MONTH = 2027, 3
MARCH = DeliveryMonth(YEAR, MONTH)
FIRST = MARCH.first_hour_ending()
LAST = MARCH.last_hour_ending()
HOURS = month_hour_index(YEAR, MONTH)


def _key(sink: str = "3") -> FtrKey:
    return FtrKey(MARCH, PeriodClass.ON_PEAK, "1", sink, Hedge.OBLIGATION)


def _post(holder: Member, origin: Origin, tenths: int, *, sink: str = "3", at: datetime = FIRST) -> Posting:
    return Posting(str(holder.id), _key(sink), tenths, origin, at, f"test:{origin}:{tenths}")


def _append(app: FastAPI, postings: list[Posting], prices: list[int | None]) -> None:
    with transaction(app.state.engine) as session:
        HoldingService(session).append(
            postings, now=START, contexts=[EntryContext(price_cents=p) for p in prices]
        )


def _snapshot(app: FastAPI) -> list[dict[str, str]]:
    with transaction(app.state.engine) as session:
        frame = holdings_snapshot(session, YEAR, MONTH)
    return [{str(k): str(v) for k, v in row.items()} for row in frame.to_dict("records")]


class TestSnapshot:
    def test_netting_and_auction_price(self, app: FastAPI, make_participant: Callable[..., Member]) -> None:
        lse = make_participant("lse")
        _append(
            app,
            [
                _post(lse, Origin.NSU_ALLOCATION, 500),
                _post(lse, Origin.AUCTION_AWARD, 100),
                _post(lse, Origin.AUCTION_AWARD, 300),
                _post(lse, Origin.SALE, -600),
                _post(lse, Origin.AUCTION_AWARD, 50, sink="2"),
            ],
            [None, 1000, 2000, 1500, 800],
        )
        rows = _snapshot(app)
        by_path = {(r["sink"], r["acquisition"]): (r["mw"], r["auction_price_per_mw"]) for r in rows}
        # 1 -> 3: bought 40 MW, sold 60: the 20 MW short come out of the 50 MW allocated.
        assert by_path == {("3", "network_service"): ("30", ""), ("2", "auction"): ("5", "8")}
        assert {(r["first_hour_ending"], r["last_hour_ending"]) for r in rows} == {
            (FIRST.isoformat(), LAST.isoformat())
        }, "held the whole month"

    def test_a_transfer_mid_month_ends_the_sellers_run_and_starts_the_buyers(
        self, app: FastAPI, make_participant: Callable[..., Member]
    ) -> None:
        seller, buyer = make_participant("trader"), make_participant("lse")
        at = FIRST + timedelta(hours=200)
        _append(app, [_post(seller, Origin.AUCTION_AWARD, 100)], [1250])
        _append(
            app,
            [_post(seller, Origin.TRANSFER, -40, at=at), _post(buyer, Origin.TRANSFER, 40, at=at)],
            [None, None],
        )
        rows = _snapshot(app)
        runs = {
            (int(r["participant_id"]), r["acquisition"], r["mw"], r["auction_price_per_mw"]): (
                r["first_hour_ending"],
                r["last_hour_ending"],
            )
            for r in rows
        }
        before = (at - timedelta(hours=1)).isoformat()
        # The MW transferred away come out of the auction part: the seller holds 6 MW from `at` on.
        assert runs == {
            (seller.id, "auction", "10", "12.5"): (FIRST.isoformat(), before),
            (seller.id, "auction", "6", "12.5"): (at.isoformat(), LAST.isoformat()),
            (buyer.id, "transfer", "4", ""): (at.isoformat(), LAST.isoformat()),
        }
        seller_ids = {r["holding_id"] for r in rows if r["participant_id"] == str(seller.id)}
        assert len(seller_ids) == 1, "one holding, two runs"

    def test_by_column_equals_the_pure_ledger_entry_by_entry(
        self, app: FastAPI, make_participant: Callable[..., Member]
    ) -> None:
        """The column path (holdings settled from the first hour) and the pure ledger give the same
        rows in the same order; a transfer mid-month goes through the ledger, the rest by column."""
        holders = [make_participant("lse") for _ in range(11)]  # ids 1..11+: "10" sorts before "2"
        postings: list[Posting] = []
        prices: list[int | None] = []
        for i, h in enumerate(holders):
            postings += [
                _post(h, Origin.NSU_ALLOCATION, 100 + i),
                _post(h, Origin.AUCTION_AWARD, 30 + i, sink="2"),
                _post(h, Origin.AUCTION_AWARD, 70, sink="2"),
                _post(h, Origin.AUCTION_AWARD, 40, sink="4"),
                _post(h, Origin.SALE, -(50 + i)),
            ]
            prices += [None, 1000 + i, -333, 777, 1500]
        _append(app, postings, prices)
        at = FIRST + timedelta(hours=100)
        _append(
            app,
            [
                _post(holders[0], Origin.TRANSFER, -20, sink="4", at=at),
                _post(holders[1], Origin.TRANSFER, 20, sink="4", at=at),
            ],
            [None, None],
        )
        with transaction(app.state.engine) as session:
            fast = holdings_snapshot(session, YEAR, MONTH)
            pure = _pure_snapshot(session, YEAR, MONTH, None)
        assert len(fast) > 3 * len(holders)
        pd.testing.assert_frame_equal(fast, pure)

    def test_a_position_below_zero_is_refused_by_the_ledger(
        self, app: FastAPI, make_participant: Callable[..., Member]
    ) -> None:
        lse = make_participant("lse")
        _append(app, [_post(lse, Origin.NSU_ALLOCATION, 10)], [None])
        with transaction(app.state.engine) as session:  # written around the ledger's own check
            session.add(
                FtrHolding(
                    holder_id=lse.id,
                    year=YEAR,
                    month=MONTH,
                    period_class="on_peak",
                    source="1",
                    sink="3",
                    hedge="obligation",
                    mw_tenths=-20,
                    price_cents=100,
                    origin="sale",
                    effective_from=FIRST,
                    reference="test:oversold",
                    created_at=START,
                )
            )
        with transaction(app.state.engine) as session, pytest.raises(LedgerError, match="cannot be negative"):
            holdings_snapshot(session, YEAR, MONTH)

    def test_unknown_origin_is_an_error(self, app: FastAPI, make_participant: Callable[..., Member]) -> None:
        lse = make_participant("lse")
        with transaction(app.state.engine) as session:
            session.add(
                FtrHolding(
                    holder_id=lse.id,
                    year=YEAR,
                    month=MONTH,
                    period_class="on_peak",
                    source="1",
                    sink="3",
                    hedge="obligation",
                    mw_tenths=10,
                    origin="gift",
                    effective_from=FIRST,
                    reference="test:gift",
                    created_at=START,
                )
            )
        with (
            transaction(app.state.engine) as session,
            pytest.raises(ValueError, match="unknown origin 'gift'"),
        ):
            holdings_snapshot(session, YEAR, MONTH)

    def test_an_award_needs_its_price(self) -> None:
        ledger = Ledger().append([Posting("7", _key(), 10, Origin.AUCTION_AWARD, FIRST, "a:1")])
        with pytest.raises(
            ValueError, match=r"ledger entry 1: an auction award .* without its clearing price"
        ):
            holding_runs(ledger, MARCH, {1: None})


class TestNetParts:
    def test_a_negative_way_comes_out_of_the_others_in_order(self) -> None:
        parts = net_parts(
            {Acquisition.TRANSFER: -40, Acquisition.AUCTION: 100, Acquisition.NETWORK_SERVICE: 50}
        )
        assert parts == {
            Acquisition.AUCTION: 60,
            Acquisition.TRANSFER: 0,
            Acquisition.POINT_TO_POINT: 0,
            Acquisition.NETWORK_SERVICE: 50,
        }

    def test_a_sale_of_allocated_mw_comes_out_of_the_allocation(self) -> None:
        parts = net_parts({Acquisition.AUCTION: -20, Acquisition.NETWORK_SERVICE: 50})
        assert parts[Acquisition.NETWORK_SERVICE] == 30 and parts[Acquisition.AUCTION] == 0


ORIGINS = list(Origin)


@st.composite
def ledgers(draw: st.DrawFn) -> Ledger:
    """Ledgers of three holders and two FTRs of March 2027 (postings the ledger refuses are skipped)."""
    ledger = Ledger()
    steps = draw(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 1)), max_size=14))
    for holder, other, sink in steps:
        origin = draw(st.sampled_from(ORIGINS))
        tenths = draw(st.integers(1, 60))
        at = FIRST + timedelta(hours=draw(st.sampled_from([0, 1, 5, 300, 741])))
        key = _key(("2", "3")[sink])
        if origin is Origin.TRANSFER:
            postings = [
                Posting(f"h{holder}", key, -tenths, origin, at, f"t{len(ledger)}"),
                Posting(f"h{other}", key, tenths, origin, at, f"t{len(ledger)}"),
            ]
            if holder == other:
                continue
        else:
            sign = -1 if origin is Origin.SALE else 1
            postings = [Posting(f"h{holder}", key, sign * tenths, origin, FIRST, f"p{len(ledger)}")]
        try:
            ledger = ledger.append(postings)
        except LedgerError:
            continue
    return ledger


class TestRunsAgainstTheLedger:
    @given(ledger=ledgers())
    def test_runs_add_up_to_the_ledgers_position_in_every_hour(self, ledger: Ledger) -> None:
        prices = {e.seq: 100 + e.seq for e in ledger.entries if e.origin is Origin.AUCTION_AWARD}
        runs = holding_runs(ledger, MARCH, prices)
        hours = [h.to_pydatetime() for h in HOURS]
        matrix = position_matrix(ledger, MARCH, hours)
        from_runs = np.zeros_like(matrix.tenths)
        column = {hid: j for j, hid in enumerate(matrix.holdings)}
        last_of: dict[tuple[str, FtrKey, Acquisition], HoldingRun] = {}
        for run in sorted(runs, key=lambda r: r.first_hour_ending):
            assert run.mw_tenths > 0
            begin, end = HOURS.get_indexer(pd.DatetimeIndex([run.first_hour_ending, run.last_hour_ending]))
            assert begin >= 0 and end >= 0, "runs are hours of the month"
            assert begin <= end
            from_runs[int(begin) : int(end) + 1, column[(run.holder, run.key)]] += run.mw_tenths
            way = (run.holder, run.key, run.acquisition)
            previous = last_of.get(way)
            if previous is not None:
                assert previous.last_hour_ending < run.first_hour_ending, "runs of a way never overlap"
                adjacent = previous.last_hour_ending + timedelta(hours=1) == run.first_hour_ending
                assert not (adjacent and previous.mw_tenths == run.mw_tenths), "runs are maximal"
            last_of[way] = run
            assert (run.auction_price_per_mw is not None) == (
                run.acquisition is Acquisition.AUCTION
                and any(e.origin is Origin.AUCTION_AWARD for e in ledger.entries_of(run.holder, run.key))
            )
        np.testing.assert_array_equal(from_runs, matrix.tenths)

    def test_every_origin_has_a_way(self) -> None:
        assert set(ACQUISITION_OF) == set(Origin)


def _frame(rows: list[dict[str, str]]) -> pd.DataFrame:
    base = {
        "participant_id": "7",
        "source": "1",
        "sink": "3",
        "period_class": "on_peak",
        "hedge": "obligation",
        "acquisition": "auction",
        "auction_price_per_mw": "12.5",
    }
    return pd.DataFrame([{**base, **r} for r in rows], dtype=object)


class TestEnginePositions:
    def test_runs_of_one_holding_become_positions_split_at_the_transfer(self) -> None:
        at = HOURS[200]
        frame = _frame(
            [
                {"holding_id": "a", "mw": "10", "first_hour_ending": HOURS[0].isoformat()},
                {"holding_id": "a", "mw": "6", "first_hour_ending": at.isoformat()},
            ]
        )
        frame.loc[0, "last_hour_ending"] = HOURS[199].isoformat()
        frame.loc[1, "last_hour_ending"] = HOURS[-1].isoformat()
        positions = holding_positions(frame, HOURS)
        assert positions.ftr_id.tolist() == ["a", "a"]
        assert positions.mw.tolist() == [10.0, 6.0]
        assert (positions.start.tolist(), positions.stop.tolist()) == ([0, 200], [200, len(HOURS)])
        assert positions.auction_price_per_mw.tolist() == [12.5, 12.5]

    def test_a_snapshot_without_hours_holds_for_the_whole_month(self) -> None:
        positions = holding_positions(_frame([{"holding_id": "a", "mw": "2.5"}]), HOURS)
        assert (positions.start.tolist(), positions.stop.tolist(), positions.mw.tolist()) == (
            [0],
            [len(HOURS)],
            [2.5],
        )

    def test_overlapping_runs_are_an_error_naming_the_row(self) -> None:
        frame = _frame(
            [
                {"holding_id": "a", "mw": "1", "first_hour_ending": HOURS[0].isoformat()},
                {"holding_id": "a", "mw": "2", "first_hour_ending": HOURS[5].isoformat()},
            ]
        )
        frame["last_hour_ending"] = [HOURS[10].isoformat(), HOURS[20].isoformat()]
        with pytest.raises(SettlementInputError, match="overlap") as caught:
            holding_positions(frame, HOURS)
        assert caught.value.row == 2

    def test_runs_of_one_holding_must_be_the_same_ftr(self) -> None:
        frame = _frame([{"holding_id": "a", "mw": "1"}, {"holding_id": "a", "mw": "1", "sink": "2"}])
        with pytest.raises(SettlementInputError, match="sink '2' differs from row 1") as caught:
            holding_positions(frame, HOURS)
        assert (caught.value.row, caught.value.column) == (2, "sink")
