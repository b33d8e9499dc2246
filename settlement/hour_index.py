"""Mapping of input rows' ``hour_ending`` stamps onto the hours of a settlement month."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from settlement.errors import SettlementInputError


def hour_codes(hour_ending: pd.Series, hours: pd.DatetimeIndex, *, source: str) -> NDArray[np.intp]:
    """Position in ``hours`` of each row's hour ending; errors name ``source``, row and column.

    Stamps must carry a UTC offset (ISO 8601), because local hour endings repeat or vanish at the
    daylight-saving changes; a stamp that is not an hour of the month is an error.
    """
    stamps = pd.DatetimeIndex(hour_ending)
    if stamps.tz is None:
        raise SettlementInputError(source, "hour_ending has no UTC offset", row=1, column="hour_ending")
    code = hours.get_indexer(stamps.tz_convert("UTC"))
    outside = np.flatnonzero(code < 0)
    if len(outside):
        r = int(outside[0])
        raise SettlementInputError(
            source,
            f"hour_ending {stamps[r].isoformat()} is not an hour of the month",
            row=r + 1,
            column="hour_ending",
        )
    return code
