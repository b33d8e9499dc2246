"""A clearing statement and a settlement statement agree to the cent on the same trades.

The auction statement (:mod:`auction.auction_settlement`) bills each cleared trade ``price x MW`` in
exact decimals; the settlement (:mod:`settlement.month`, :mod:`settlement.statements`) computes an FTR's
target allocation ``MW x (price[sink] - price[source])`` in float64 and its statement, as stored, is
integer cents. With the path's day-ahead spread equal to the clearing price in one hour (and zero in every
other), the two bill the same dollar amount; both round it by :mod:`market_terms.money`, so each trade's
cents are the same, ties (half cents) included.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from auction.auction_settlement import ClearedTrade, Side, auction_statements
from auction.ledger import FtrKey
from auction.ledger_time import DeliveryMonth
from market_calendar import PeriodClass, is_on_peak, month_hour_index
from market_terms.money import array_to_cents
from settlement.charges import hourly_charges
from settlement.month import settle_month
from settlement.positions import FtrRecord
from settlement.prices import prices_from_matrix
from settlement.statements import ftr_hourly_frame

YEAR, MONTH = 2026, 7
HOURS = month_hour_index(YEAR, MONTH)
HOUR = next(i for i, h in enumerate(HOURS) if is_on_peak(h.to_pydatetime()))

Trade = tuple[int, Decimal]  # (MW in tenths, clearing price $/MW)


def clearing_cents(trades: list[Trade]) -> dict[str, int]:
    cleared = [
        ClearedTrade(
            "auction",
            "P",
            Side.BUY,
            FtrKey(DeliveryMonth(YEAR, MONTH), PeriodClass.ON_PEAK, "REF", f"N{i}"),
            tenths,
            price,
            f"F{i}",
        )
        for i, (tenths, price) in enumerate(trades)
    ]
    (statement,) = auction_statements(cleared)
    return {line.trade.reference: line.amount_cents for line in statement.lines}


def settlement_cents(trades: list[Trade]) -> dict[str, int]:
    nodes = ["REF", *(f"N{i}" for i in range(len(trades)))]
    prices = np.zeros((len(nodes), len(HOURS)))
    prices[1:, HOUR] = [float(price) for _, price in trades]
    ftrs = [
        FtrRecord(f"F{i}", "P", "REF", f"N{i}", tenths / 10, PeriodClass.ON_PEAK)
        for i, (tenths, _) in enumerate(trades)
    ]
    charges = np.zeros(len(HOURS))
    charges[HOUR] = 1e9  # every FTR is paid its full target allocation
    result = settle_month(
        YEAR, MONTH, ftrs, prices_from_matrix(HOURS, nodes, prices), hourly_charges(HOURS, charges)
    )
    frame = ftr_hourly_frame(result, "P")
    hour = frame[frame["hour_ending"] == HOURS[HOUR].isoformat()]
    # as app.settlement.records stores the statement: integer cents of the rounded $ column
    cents = array_to_cents(hour["target_allocation"].to_numpy()).tolist()
    return dict(zip(hour["ftr_id"], cents, strict=True))


def test_ties_and_counterflow_agree() -> None:
    trades = [
        (1, Decimal("0.25")),  # 0.025 $: a tie -> 2 cents (ties away from zero gave 3)
        (1, Decimal("0.45")),  # float 0.045000000000000005, the tie 0.045 -> 4 cents
        (1, Decimal("-0.45")),  # counterflow: -4 cents
        (123, Decimal("1.05")),  # 12.915 $ -> 1292 cents
        (5, Decimal("0.01")),  # 0.005 $ -> 0 cents
        (500, Decimal("10")),  # the worked example's 50 MW x 10 $/MW
    ]
    clearing = clearing_cents(trades)
    assert clearing == {"F0": 2, "F1": 4, "F2": -4, "F3": 1292, "F4": 0, "F5": 50_000}
    assert settlement_cents(trades) == clearing


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=50_000),
            st.integers(min_value=-100_000, max_value=100_000).map(lambda c: Decimal(c) / 100),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_random_trades_agree(trades: list[Trade]) -> None:
    assert settlement_cents(trades) == clearing_cents(trades)
