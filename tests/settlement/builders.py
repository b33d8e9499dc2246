"""Small builders for settlement tests: a month's prices and charges from a few hand-picked hours."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from market_calendar import month_hour_index
from settlement.charges import HourlyCharges, hourly_charges
from settlement.prices import HourlyPrices, prices_from_matrix


def month_prices(
    year: int,
    month: int,
    nodes: Sequence[str],
    by_hour: Mapping[datetime, Sequence[float]],
    default: float = 30.0,
) -> HourlyPrices:
    """Every node at ``default`` in every hour, except the hours given (``by_hour[h][n]``)."""
    hours = month_hour_index(year, month)
    values = np.full((len(nodes), len(hours)), default)
    for when, row in by_hour.items():
        values[:, hours.get_loc(pd.Timestamp(when))] = row
    return prices_from_matrix(hours, nodes, values)


def month_charges(
    year: int,
    month: int,
    da: Mapping[datetime, float],
    rt: Mapping[datetime, float] | None = None,
    loop_flow: Mapping[datetime, float] | None = None,
) -> HourlyCharges:
    """Zero charges except in the hours given."""
    hours = month_hour_index(year, month)

    def column(amounts: Mapping[datetime, float] | None) -> np.ndarray:
        out = np.zeros(len(hours))
        for when, amount in (amounts or {}).items():
            out[hours.get_loc(pd.Timestamp(when))] = amount
        return out

    return hourly_charges(hours, column(da), column(rt), column(loop_flow))
