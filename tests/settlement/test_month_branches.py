"""Hand-checked months for each branch of the rules: options, counterflow, NSU shares, DST, transfers."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from market_calendar import PeriodClass, hour_count
from market_terms import Hedge
from network.model import PointKind, PricingPoint
from settlement.errors import SettlementInputError, YearStateError
from settlement.month import MonthSettlement, settle_month
from settlement.positions import Acquisition, FtrRecord, Transfer
from settlement.prices import prices_from_matrix, with_aggregates
from settlement.statements import ftr_hourly_frame, holder_hourly_frame, oi_hourly_frame
from settlement.year_state import YearState
from tests.settlement.builders import month_charges, month_prices

ABS = 1e-9
NODES = ("1", "2", "3")
MON_HE09 = datetime(2026, 1, 5, 14, tzinfo=UTC)  # on-peak
SAT_NOON = datetime(2026, 1, 10, 17, tzinfo=UTC)  # off-peak


def _total(result: MonthSettlement, holder: str) -> float:
    return float(result.holder_target_allocation[result.holders.position(holder)].sum())


class TestOptionsAndCounterflow:
    def test_option_never_below_zero_obligation_may_be(self) -> None:
        ftrs = (
            FtrRecord("opt", "A", "3", "1", 10.0, PeriodClass.ON_PEAK, Hedge.OPTION),
            FtrRecord("obl", "B", "3", "1", 10.0, PeriodClass.ON_PEAK, Hedge.OBLIGATION),
            FtrRecord("fwd", "C", "1", "3", 10.0, PeriodClass.ON_PEAK, Hedge.OPTION),
        )
        prices = month_prices(2026, 1, NODES, {MON_HE09: (20, 25, 35)})
        result = settle_month(2026, 1, ftrs, prices, month_charges(2026, 1, {MON_HE09: 1000.0}))
        assert _total(result, "A") == 0.0  # 10 x (20 - 35) = -150 clipped to 0
        assert _total(result, "B") == pytest.approx(-150.0, abs=ABS)
        assert _total(result, "C") == pytest.approx(150.0, abs=ABS)
        # Total 0 <= 1000: covered, the counterflow obligation pays its 150 into excess.
        assert result.distribution.pool == pytest.approx(1000.0, abs=ABS)

    def test_counterflow_holder_pays_the_same_fraction_when_short(self) -> None:
        ftrs = (
            FtrRecord("p", "P", "1", "3", 100.0, PeriodClass.ON_PEAK),
            FtrRecord("r", "R", "3", "1", 40.0, PeriodClass.ON_PEAK),
        )
        prices = month_prices(2026, 1, NODES, {MON_HE09: (20, 25, 30)})
        # TA P = 1000, R = -400, total 600; charges 300: ratio 0.5.
        result = settle_month(2026, 1, ftrs, prices, month_charges(2026, 1, {MON_HE09: 300.0}))
        h = result.hours.get_loc(pd.Timestamp(MON_HE09))
        credit = dict(zip(result.holders.names, result.holder_credit[:, h], strict=True))
        assert credit == pytest.approx({"P": 500.0, "R": -200.0}, abs=ABS)
        # R's deficiency is negative (it paid less than it owed): it gets no distribution; nothing to give.
        assert result.distribution.monthly.tolist() == [0.0, 0.0]


class TestClassesAndCalendar:
    def test_ftr_earns_only_in_its_class(self) -> None:
        ftrs = (
            FtrRecord("on", "A", "1", "3", 10.0, PeriodClass.ON_PEAK),
            FtrRecord("off", "B", "1", "3", 10.0, PeriodClass.OFF_PEAK),
        )
        prices = month_prices(2026, 1, NODES, {MON_HE09: (20, 25, 35), SAT_NOON: (20, 25, 30)})
        result = settle_month(2026, 1, ftrs, prices, month_charges(2026, 1, {}))
        assert _total(result, "A") == pytest.approx(150.0, abs=ABS)
        assert _total(result, "B") == pytest.approx(100.0, abs=ABS)

    @pytest.mark.parametrize("month", [3, 11])
    def test_dst_month_hours(self, month: int) -> None:
        # Constant spread of 1 $/MWh between 1 and 3: TA = MW x hours of the class.
        ftrs = (
            FtrRecord("on", "A", "1", "3", 2.0, PeriodClass.ON_PEAK),
            FtrRecord("off", "B", "1", "3", 3.0, PeriodClass.OFF_PEAK),
        )
        hours = month_prices(2026, month, NODES, {}).hours
        values = np.vstack([np.full(len(hours), 30.0), np.full(len(hours), 30.0), np.full(len(hours), 31.0)])
        prices = prices_from_matrix(hours, NODES, values)
        result = settle_month(2026, month, ftrs, prices, month_charges(2026, month, {}))
        assert len(result.hours) == (743 if month == 3 else 721)
        assert _total(result, "A") == pytest.approx(
            2.0 * hour_count(2026, month, PeriodClass.ON_PEAK), abs=ABS
        )
        assert _total(result, "B") == pytest.approx(
            3.0 * hour_count(2026, month, PeriodClass.OFF_PEAK), abs=ABS
        )
        # No charges at all: every hour is prorated to nothing and the whole TA is deficiency.
        assert result.holder_credit.sum() == 0.0
        frame = holder_hourly_frame(result)
        assert len(frame) == len(result.hours)  # each hour has exactly one earning holder
        assert set(oi_hourly_frame(result)["case"]) == {"prorated"}


class TestNetworkServiceUser:
    def test_load_bus_shares(self) -> None:
        # OA 5.2.3: 100 MW x [0.25 x (P2 - P1) + 0.75 x (P3 - P1)] = 100 x (0.25 x 5 + 0.75 x 15) = 1250.
        load = PricingPoint("lse-load", ("2", "3"), (0.25, 0.75), PointKind.LOAD_AGGREGATE)
        prices = with_aggregates(month_prices(2026, 1, NODES, {MON_HE09: (20, 25, 35)}), [load])
        ftr = FtrRecord(
            "nsu", "L", "1", "lse-load", 100.0, PeriodClass.ON_PEAK, acquisition=Acquisition.NETWORK_SERVICE
        )
        result = settle_month(2026, 1, [ftr], prices, month_charges(2026, 1, {MON_HE09: 5000.0}))
        assert _total(result, "L") == pytest.approx(1250.0, abs=ABS)

    def test_bad_weights(self) -> None:
        load = PricingPoint("x", ("2", "3"), (0.5, 0.6), PointKind.LOAD_AGGREGATE)
        with pytest.raises(SettlementInputError, match="weights sum to"):
            with_aggregates(month_prices(2026, 1, NODES, {}), [load])


class TestTransfers:
    def test_mid_month_transfer_moves_credits_from_that_hour(self) -> None:
        before = datetime(2026, 1, 5, 14, tzinfo=UTC)  # Monday 5 Jan HE09
        after = datetime(2026, 1, 12, 14, tzinfo=UTC)  # Monday 12 Jan HE09
        prices = month_prices(2026, 1, NODES, {before: (20, 25, 35), after: (20, 25, 40)})
        ftrs = [FtrRecord("f", "A", "1", "3", 10.0, PeriodClass.ON_PEAK)]
        effective = datetime(2026, 1, 8, 5, tzinfo=UTC)  # HE01 Thursday 8 January EST
        transfer = [Transfer("f", "B", effective)]
        charges = month_charges(2026, 1, {before: 1000.0, after: 1000.0})
        result = settle_month(2026, 1, ftrs, prices, charges, transfers=transfer)
        assert _total(result, "A") == pytest.approx(150.0, abs=ABS)
        assert _total(result, "B") == pytest.approx(200.0, abs=ABS)
        assert set(ftr_hourly_frame(result, "B")["hour_ending"]) >= {pd.Timestamp(after).isoformat()}
        assert pd.Timestamp(before).isoformat() not in set(ftr_hourly_frame(result, "B")["hour_ending"])
        untransferred = settle_month(2026, 1, ftrs, prices, charges)
        assert _total(untransferred, "A") == pytest.approx(350.0, abs=ABS)

    def test_error_row_is_the_ftr_row_even_after_a_split(self) -> None:
        ftrs = [
            FtrRecord("f", "A", "1", "3", 10.0, PeriodClass.ON_PEAK),
            FtrRecord("g", "A", "1", "9", 10.0, PeriodClass.ON_PEAK),
        ]
        transfer = [Transfer("f", "B", datetime(2026, 1, 8, 5, tzinfo=UTC))]
        with pytest.raises(SettlementInputError, match=r"ftrs, row 2, column 'sink': pricing point '9'"):
            settle_month(
                2026,
                1,
                ftrs,
                month_prices(2026, 1, NODES, {}),
                month_charges(2026, 1, {}),
                transfers=transfer,
            )

    def test_statement_of_a_holder_without_ftrs_is_not_found(self) -> None:
        ftrs = [FtrRecord("f", "A", "1", "3", 10.0, PeriodClass.ON_PEAK)]
        result = settle_month(2026, 1, ftrs, month_prices(2026, 1, NODES, {}), month_charges(2026, 1, {}))
        with pytest.raises(KeyError, match="holder 'Z' holds no FTR"):
            ftr_hourly_frame(result, "Z")

    def test_transfer_errors(self) -> None:
        ftrs = [FtrRecord("f", "A", "1", "3", 10.0, PeriodClass.ON_PEAK)]
        prices = month_prices(2026, 1, NODES, {})
        charges = month_charges(2026, 1, {})
        with pytest.raises(SettlementInputError, match="unknown ftr_id 'g'"):
            settle_month(2026, 1, ftrs, prices, charges, transfers=[Transfer("g", "B", MON_HE09)])
        with pytest.raises(SettlementInputError, match="after the month"):
            late = datetime(2026, 2, 3, tzinfo=UTC)
            settle_month(2026, 1, ftrs, prices, charges, transfers=[Transfer("f", "B", late)])
        with pytest.raises(SettlementInputError, match="not an hour-ending"):
            odd = datetime(2026, 1, 5, 14, 30, tzinfo=UTC)
            settle_month(2026, 1, ftrs, prices, charges, transfers=[Transfer("f", "B", odd)])


class TestChargesAndOrder:
    def test_loop_flow_compensation_counts_as_charges(self) -> None:
        ftrs = [FtrRecord("f", "A", "1", "3", 10.0, PeriodClass.ON_PEAK)]
        prices = month_prices(2026, 1, NODES, {MON_HE09: (20, 25, 35)})
        # DA 100 + loop flow 50 = 150 = TA: covered exactly.
        result = settle_month(
            2026, 1, ftrs, prices, month_charges(2026, 1, {MON_HE09: 100.0}, loop_flow={MON_HE09: 50.0})
        )
        assert result.holder_credit.sum() == pytest.approx(150.0, abs=ABS)
        assert result.distribution.pool == pytest.approx(0.0, abs=ABS)

    def test_months_settle_in_order(self) -> None:
        ftrs = [FtrRecord("f", "A", "1", "3", 10.0, PeriodClass.ON_PEAK)]
        state = YearState.new(2026)
        with pytest.raises(YearStateError, match="months settle in order"):
            settle_month(2026, 2, ftrs, month_prices(2026, 2, NODES, {}), month_charges(2026, 2, {}), state)
        with pytest.raises(YearStateError, match="state is for 2026"):
            settle_month(2027, 1, ftrs, month_prices(2027, 1, NODES, {}), month_charges(2027, 1, {}), state)

    def test_unpriced_point_names_the_ftr_row(self) -> None:
        ftrs = [
            FtrRecord("f", "A", "1", "3", 10.0, PeriodClass.ON_PEAK),
            FtrRecord("g", "A", "1", "9", 10.0, PeriodClass.ON_PEAK),
        ]
        with pytest.raises(SettlementInputError, match=r"ftrs, row 2, column 'sink': pricing point '9'"):
            settle_month(2026, 1, ftrs, month_prices(2026, 1, NODES, {}), month_charges(2026, 1, {}))

    def test_inputs_are_not_mutated(self) -> None:
        ftrs = [FtrRecord("f", "A", "1", "3", 10.0, PeriodClass.ON_PEAK)]
        prices = month_prices(2026, 1, NODES, {MON_HE09: (20, 25, 35)})
        charges = month_charges(2026, 1, {MON_HE09: 100.0})
        snapshot = prices.values.copy(), charges.da.copy()
        state = YearState.new(2026)
        settle_month(2026, 1, ftrs, prices, charges, state)
        assert np.array_equal(prices.values, snapshot[0]) and np.array_equal(charges.da, snapshot[1])
        assert state == YearState.new(2026)
        assert not prices.values.flags.writeable
