"""Input validation: every error names the input, the row and column, and the problem."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from market_calendar import PeriodClass, month_hour_index
from settlement.charges import per_hour_column, rt_congestion_by_hour
from settlement.errors import SettlementInputError, YearStateError
from settlement.positions import FtrRecord, build_positions
from settlement.prices import prices_from_long
from settlement.year_state import YearState

HOURS = month_hour_index(2026, 2)  # 672 hours, no DST change


def _long_prices(nodes: tuple[str, ...] = ("a", "b")) -> pd.DataFrame:
    rows = [(h, n, 10.0 + i) for i, n in enumerate(nodes) for h in HOURS]
    return pd.DataFrame(rows, columns=["hour_ending", "node", "price"])


class TestPricesFromLong:
    def test_round_trip(self) -> None:
        frame = _long_prices().sample(frac=1.0, random_state=1).reset_index(drop=True)
        prices = prices_from_long(frame["hour_ending"], frame["node"], frame["price"], HOURS)
        a, b = prices.nodes.index("a"), prices.nodes.index("b")
        assert (prices.values[a] == 10.0).all() and (prices.values[b] == 11.0).all()

    def test_duplicate(self) -> None:
        frame = pd.concat([_long_prices(), _long_prices().iloc[[5]]], ignore_index=True)
        with pytest.raises(
            SettlementInputError, match=r"row 1345, column 'hour_ending': node 'a' at .* more than once"
        ):
            prices_from_long(frame["hour_ending"], frame["node"], frame["price"], HOURS)

    def test_missing(self) -> None:
        frame = _long_prices().drop(index=700).reset_index(drop=True)
        with pytest.raises(SettlementInputError, match="node 'b' has no price for hour ending"):
            prices_from_long(frame["hour_ending"], frame["node"], frame["price"], HOURS)

    def test_hour_outside_month(self) -> None:
        frame = _long_prices()
        frame.loc[3, "hour_ending"] = datetime(2026, 3, 5, tzinfo=UTC)
        with pytest.raises(
            SettlementInputError, match=r"row 4, column 'hour_ending'.*not an hour of the month"
        ):
            prices_from_long(frame["hour_ending"], frame["node"], frame["price"], HOURS)

    def test_bad_price(self) -> None:
        frame = _long_prices()
        frame.loc[9, "price"] = np.nan
        with pytest.raises(SettlementInputError, match="row 10, column 'price'"):
            prices_from_long(frame["hour_ending"], frame["node"], frame["price"], HOURS)


class TestRealTimeIntervals:
    def _frame(self) -> pd.DataFrame:
        ends = pd.date_range(HOURS[0] - pd.Timedelta(minutes=55), HOURS[-1], freq="5min")
        return pd.DataFrame({"interval_ending": ends, "rt_congestion": np.ones(len(ends))})

    def test_sums_twelve_per_hour(self) -> None:
        frame = self._frame()
        hourly = rt_congestion_by_hour(frame["interval_ending"], frame["rt_congestion"], HOURS)
        assert (hourly == 12.0).all()

    def test_missing_interval(self) -> None:
        frame = self._frame().drop(index=30).reset_index(drop=True)
        with pytest.raises(
            SettlementInputError, match="no 5-minute amount for the interval ending 2026-02-01T07:35"
        ):
            rt_congestion_by_hour(frame["interval_ending"], frame["rt_congestion"], HOURS)

    def test_duplicate_interval(self) -> None:
        frame = pd.concat([self._frame(), self._frame().iloc[[7]]], ignore_index=True)
        with pytest.raises(SettlementInputError, match=r"row \d+, column 'interval_ending'.*more than once"):
            rt_congestion_by_hour(frame["interval_ending"], frame["rt_congestion"], HOURS)

    def test_misaligned_interval(self) -> None:
        frame = self._frame()
        frame.loc[2, "interval_ending"] = frame.loc[2, "interval_ending"] + pd.Timedelta(minutes=1)
        with pytest.raises(SettlementInputError, match=r"row 3, column 'interval_ending'.*5-minute mark"):
            rt_congestion_by_hour(frame["interval_ending"], frame["rt_congestion"], HOURS)

    def test_outside_month(self) -> None:
        frame = self._frame()
        frame.loc[0, "interval_ending"] = HOURS[0] - pd.Timedelta(hours=1)
        with pytest.raises(SettlementInputError, match=r"row 1, column 'interval_ending'.*not in the month"):
            rt_congestion_by_hour(frame["interval_ending"], frame["rt_congestion"], HOURS)


class TestPerHourColumn:
    def test_missing_hour(self) -> None:
        series = pd.Series(HOURS[1:])
        with pytest.raises(SettlementInputError, match="no row for hour ending 2026-02-01T06:00"):
            per_hour_column(series, pd.Series(np.ones(len(series))), HOURS, source="c", column="da")

    def test_bad_amount(self) -> None:
        amounts = pd.Series(["1"] * len(HOURS))
        amounts[4] = "x"
        with pytest.raises(SettlementInputError, match="c, row 5, column 'da': 'x' is not a finite number"):
            per_hour_column(pd.Series(HOURS), amounts, HOURS, source="c", column="da")


class TestPositions:
    @pytest.mark.parametrize(
        ("ftr", "message"),
        [
            (FtrRecord("f", "A", "1", "1", 1.0, PeriodClass.ON_PEAK), "column 'sink'.*source = sink"),
            (FtrRecord("f", "A", "1", "2", 0.0, PeriodClass.ON_PEAK), "column 'mw'.*mw must be > 0"),
            (FtrRecord("f", "", "1", "2", 1.0, PeriodClass.ON_PEAK), "column 'holder'"),
        ],
    )
    def test_bad_ftr(self, ftr: FtrRecord, message: str) -> None:
        with pytest.raises(SettlementInputError, match=message):
            build_positions([ftr], HOURS)

    def test_repeated_id(self) -> None:
        ftr = FtrRecord("f", "A", "1", "2", 1.0, PeriodClass.ON_PEAK)
        with pytest.raises(SettlementInputError, match=r"row 2, column 'ftr_id'.*repeats row 1"):
            build_positions([ftr, ftr], HOURS)


class TestYearStateJson:
    def test_wrong_format(self) -> None:
        with pytest.raises(YearStateError, match="not a year state"):
            YearState.from_json({"year": 2026})

    def test_bad_number(self) -> None:
        data = YearState.new(2026).to_json()
        data["carried_excess"] = "lots"
        with pytest.raises(YearStateError, match="carried_excess must be a finite number"):
            YearState.from_json(data)
