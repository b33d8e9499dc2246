"""Forfeiture (OA 5.2.1(b),(c)) on the docs/rules.md 3-bus network, on and off, each condition hand-checked.

PTDF of the monitored line 1-3 (reference bus 3): bus 1 2/3, bus 2 1/3, bus 3 0. The FTR 1 -> 3 puts
D = 2/3 on it. Bus 2 is not at or near either end: (1/3 - 0) / (2/3) = 0.5 < 0.75 and
(2/3 - 1/3) / (2/3) = 0.5 < 0.75.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from market_calendar import PeriodClass, month_hour_index
from settlement.errors import SettlementInputError
from settlement.forfeiture import DistributionFactors, ForfeitureInputs, virtual_bids
from settlement.month import MonthSettlement, settle_month
from settlement.positions import Acquisition, FtrRecord
from settlement.statements import ftr_hourly_frame, holder_monthly_frame
from tests.settlement.builders import month_charges, month_prices

ABS = 1e-9
NODES = ("1", "2", "3")
HOUR = datetime(2026, 1, 5, 14, tzinfo=UTC)
HOURS = month_hour_index(2026, 1)
H = HOURS.get_loc(pd.Timestamp(HOUR))
# 10 MW bought at 74.4 $/MW for January (744 hours): cap = 10 x 74.4 / 744 = 1 $ per hour.
FTR = FtrRecord("f", "P", "1", "3", 10.0, PeriodClass.ON_PEAK, auction_price_per_mw=74.4)
OTHER = FtrRecord("g", "Q", "2", "3", 10.0, PeriodClass.ON_PEAK, auction_price_per_mw=50.0)


def _factors(binding: bool = True) -> DistributionFactors:
    mask = np.zeros((len(HOURS), 1), dtype=bool)
    mask[H, 0] = binding
    return DistributionFactors(("line 1-3",), NODES, np.array([[2 / 3, 1 / 3, 0.0]]), mask)


def _settle(
    ftrs: Sequence[FtrRecord] = (FTR, OTHER),
    bids: Sequence[tuple[str, str]] = (("P", "1"),),
    rt: tuple[float, float, float] = (20, 25, 30),
    binding: bool = True,
) -> MonthSettlement:
    da = month_prices(2026, 1, NODES, {HOUR: (20, 25, 35)})
    rt_prices = month_prices(2026, 1, NODES, {HOUR: rt})
    frame = pd.DataFrame(
        [(h, n, HOUR, 5.0) for h, n in bids], columns=["holder", "node", "hour_ending", "mw"]
    )
    vb = virtual_bids(frame["holder"], frame["node"], frame["hour_ending"], frame["mw"], HOURS)
    inputs = ForfeitureInputs(rt_prices, vb, _factors(binding))
    return settle_month(2026, 1, ftrs, da, month_charges(2026, 1, {HOUR: 10_000.0}), forfeiture_inputs=inputs)


def _forfeited(result: MonthSettlement) -> dict[str, float]:
    return dict(zip(result.holders.names, result.holder_forfeited.tolist(), strict=True))


class TestForfeiture:
    def test_on_virtual_at_source_and_spread_wider_in_da(self) -> None:
        result = _settle()
        # TA 10 x 15 = 150, capped at 1: 149 forfeited. Q (no virtuals) keeps 10 x 10 = 100.
        assert _forfeited(result) == pytest.approx({"P": 149.0, "Q": 0.0}, abs=ABS)
        p = result.holders.position("P")
        assert result.holder_credit[p, H] == pytest.approx(1.0, abs=ABS)
        # Covered hour: the forfeited 149 stays in the pool as excess.
        assert result.hourly.excess[H] == pytest.approx(10_000.0 - 1.0 - 100.0, abs=ABS)
        rows = ftr_hourly_frame(result, "P").set_index("hour_ending").loc[pd.Timestamp(HOUR).isoformat()]
        assert rows["target_allocation_before_forfeiture"] == 150.0
        assert rows["forfeited"] == 149.0
        assert rows["credit"] == 1.0
        assert holder_monthly_frame(result).set_index("holder").loc["P", "forfeited"] == 149.0

    def test_on_virtual_at_sink(self) -> None:
        assert _forfeited(_settle(bids=(("P", "3"),)))["P"] == pytest.approx(149.0, abs=ABS)

    def test_off_when_rt_spread_as_wide(self) -> None:
        assert _forfeited(_settle(rt=(20, 25, 35)))["P"] == 0.0

    def test_off_when_virtual_is_not_near(self) -> None:
        assert _forfeited(_settle(bids=(("P", "2"),)))["P"] == 0.0

    def test_off_when_virtual_is_another_holders(self) -> None:
        # Q's virtual at bus 1: near Q's own path 2 -> 3? D = 1/3; (2/3 - 0) / (1/3) = 2 >= 0.75: Q forfeits.
        result = _settle(bids=(("Q", "1"),))
        assert _forfeited(result) == pytest.approx({"P": 0.0, "Q": 100.0 - 10 * 50.0 / 744}, abs=ABS)

    def test_off_without_binding_constraint(self) -> None:
        assert _forfeited(_settle(binding=False))["P"] == 0.0

    def test_off_for_ftrs_not_from_the_auction(self) -> None:
        allocated = FtrRecord(
            "f", "P", "1", "3", 10.0, PeriodClass.ON_PEAK, acquisition=Acquisition.POINT_TO_POINT
        )
        assert _forfeited(_settle(ftrs=(allocated, OTHER)))["P"] == 0.0

    def test_auction_ftr_without_price_is_an_error(self) -> None:
        unpriced = FtrRecord("f", "P", "1", "3", 10.0, PeriodClass.ON_PEAK)
        with pytest.raises(SettlementInputError, match="'f' forfeits but has no auction price"):
            _settle(ftrs=(unpriced, OTHER))

    def test_bad_virtual_bid_row(self) -> None:
        frame = pd.DataFrame({"holder": ["P"], "node": ["1"], "hour_ending": [HOUR], "mw": [0.0]})
        with pytest.raises(SettlementInputError, match="row 1, column 'mw'"):
            virtual_bids(frame["holder"], frame["node"], frame["hour_ending"], frame["mw"], HOURS)
