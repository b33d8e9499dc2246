"""Holdings-by-hour input: partial mid-month transfers, equivalence with whole-FTR transfers."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from market_calendar import PeriodClass, month_hour_index
from settlement.errors import SettlementInputError
from settlement.month import MonthSettlement, settle_month
from settlement.positions import FtrRecord, HoldingRecord, Transfer, positions_from_holdings
from tests.settlement.builders import month_charges, month_prices

ABS = 1e-9
NODES = ("1", "2", "3")
HOURS = month_hour_index(2026, 1)
EARLY = datetime(2026, 1, 5, 14, tzinfo=UTC)  # Monday 5 January HE09 EST
LATE = datetime(2026, 1, 12, 14, tzinfo=UTC)  # Monday 12 January HE09 EST
SPLIT = HOURS.get_loc(pd.Timestamp(datetime(2026, 1, 8, 5, tzinfo=UTC)))
PRICES = month_prices(2026, 1, NODES, {EARLY: (20, 25, 35), LATE: (20, 25, 40)})
CHARGES = month_charges(2026, 1, {EARLY: 1000.0, LATE: 1000.0})


def _totals(result: MonthSettlement) -> dict[str, float]:
    return dict(zip(result.holders.names, result.holder_target_allocation.sum(axis=1).tolist(), strict=True))


class TestHoldingsMatrix:
    def test_partial_transfer(self) -> None:
        # A holds 10 MW, sells 6 MW to B from 8 January: A 10 MW x 15 early + 4 MW x 20 late = 230;
        # B 6 MW x 20 = 120.
        holdings = [
            HoldingRecord("A:1-3", "A", "1", "3", PeriodClass.ON_PEAK),
            HoldingRecord("B:1-3", "B", "1", "3", PeriodClass.ON_PEAK),
        ]
        mw = np.zeros((len(HOURS), 2))
        mw[:, 0] = 10.0
        mw[SPLIT:, 0] = 4.0
        mw[SPLIT:, 1] = 6.0
        positions = positions_from_holdings(holdings, mw, HOURS)
        assert len(positions) == 3
        result = settle_month(2026, 1, positions, PRICES, CHARGES)
        assert _totals(result) == pytest.approx({"A": 230.0, "B": 120.0}, abs=ABS)

    def test_same_as_whole_ftr_transfer(self) -> None:
        ftrs = [FtrRecord("f", "A", "1", "3", 10.0, PeriodClass.ON_PEAK)]
        by_transfer = settle_month(
            2026, 1, ftrs, PRICES, CHARGES, transfers=[Transfer("f", "B", HOURS[SPLIT].to_pydatetime())]
        )
        holdings = [
            HoldingRecord("f", "A", "1", "3", PeriodClass.ON_PEAK),
            HoldingRecord("f", "B", "1", "3", PeriodClass.ON_PEAK),
        ]
        mw = np.zeros((len(HOURS), 2))
        mw[:SPLIT, 0] = 10.0
        mw[SPLIT:, 1] = 10.0
        by_matrix = settle_month(2026, 1, positions_from_holdings(holdings, mw, HOURS), PRICES, CHARGES)
        assert _totals(by_matrix) == pytest.approx(_totals(by_transfer), abs=ABS)
        np.testing.assert_allclose(by_matrix.holder_credit, by_transfer.holder_credit, rtol=0, atol=ABS)

    def test_negative_mw_is_an_error(self) -> None:
        holdings = [HoldingRecord("h", "A", "1", "3", PeriodClass.ON_PEAK)]
        mw = np.full((len(HOURS), 1), 1.0)
        mw[3, 0] = -1.0
        with pytest.raises(SettlementInputError, match=r"holding 'h' has MW -1\.0 at 2026-01-01T09:00"):
            positions_from_holdings(holdings, mw, HOURS)

    def test_shape_is_checked(self) -> None:
        holdings = [HoldingRecord("h", "A", "1", "3", PeriodClass.ON_PEAK)]
        with pytest.raises(SettlementInputError, match="MW matrix shape"):
            positions_from_holdings(holdings, np.ones((3, 1)), HOURS)
