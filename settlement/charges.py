"""The hour's total congestion charges: what the OI collected, to be paid out as credits (OA 5.2.5).

``total[h] = da[h] + rt[h] + loop_flow[h]`` in $:

- ``da``: day-ahead congestion charges collected in the hour (OA 5.1, 5.1.7);
- ``rt``: real-time (balancing) congestion, settled per 5-minute interval since Order 825, so the
  hour's amount is the sum of its twelve 5-minute amounts (intervals ending at :05, :10, ..., :00; the
  one ending on the hour belongs to the hour ending then);
- ``loop_flow``: net compensation received for unscheduled transmission service (OA 5.3(a)).

Any of them may be negative; :mod:`settlement.credits` defines what a negative total does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from market_terms.arrays import FloatArray
from settlement.errors import SettlementInputError
from settlement.hour_index import hour_codes

INTERVALS_PER_HOUR = 12
INTERVAL = pd.Timedelta(minutes=5)


@dataclass(frozen=True, slots=True, eq=False)
class HourlyCharges:
    """Congestion charges per hour of the month ($); arrays aligned with ``hours``."""

    hours: pd.DatetimeIndex
    da: FloatArray
    rt: FloatArray
    loop_flow: FloatArray

    def __post_init__(self) -> None:
        for name in ("da", "rt", "loop_flow"):
            array = getattr(self, name)
            if array.shape != (len(self.hours),):
                raise ValueError(f"{name} has shape {array.shape}, expected ({len(self.hours)},)")
            if not np.isfinite(array).all():
                raise ValueError(f"{name} has a non-finite amount")

    @property
    def total(self) -> FloatArray:
        """``da + rt + loop_flow`` per hour, $."""
        total: FloatArray = self.da + self.rt + self.loop_flow
        return total


def _readonly(array: FloatArray) -> FloatArray:
    copy = np.array(array, dtype=np.float64, copy=True)
    copy.setflags(write=False)
    return copy


def hourly_charges(
    hours: pd.DatetimeIndex,
    da: FloatArray,
    rt: FloatArray | None = None,
    loop_flow: FloatArray | None = None,
) -> HourlyCharges:
    """Charges from per-hour arrays (copied); missing components are zero."""
    zeros = np.zeros(len(hours))
    return HourlyCharges(
        hours=hours,
        da=_readonly(da),
        rt=_readonly(zeros if rt is None else rt),
        loop_flow=_readonly(zeros if loop_flow is None else loop_flow),
    )


def per_hour_column(
    hour_ending: pd.Series, amount: pd.Series, hours: pd.DatetimeIndex, *, source: str, column: str
) -> FloatArray:
    """One amount per hour of the month from rows ``(hour_ending, amount)``; every hour exactly once."""
    stamps = pd.DatetimeIndex(hour_ending)
    code = hour_codes(hour_ending, hours, source=source)
    values = _finite(amount, source, column)
    duplicated = np.flatnonzero(pd.Series(code).duplicated().to_numpy())
    if len(duplicated):
        r = int(duplicated[0])
        raise SettlementInputError(
            source,
            f"hour ending {stamps[r].isoformat()} is given more than once",
            row=r + 1,
            column="hour_ending",
        )
    if len(code) < len(hours):
        gap = int(np.flatnonzero(np.bincount(code, minlength=len(hours)) == 0)[0])
        raise SettlementInputError(
            source, f"no row for hour ending {hours[gap].isoformat()}", column="hour_ending"
        )
    out = np.empty(len(hours), dtype=np.float64)
    out[code] = values
    return out


def rt_congestion_by_hour(
    interval_ending: pd.Series, amount: pd.Series, hours: pd.DatetimeIndex, *, source: str = "rt_congestion"
) -> FloatArray:
    """Sum 5-minute real-time congestion amounts to the hour (Order 825).

    The interval ending at ``t`` belongs to the hour ending at ``ceil(t, 1h)``. Every hour of the month
    needs its twelve intervals exactly once: a missing, repeated, misaligned (not on a 5-minute mark)
    or out-of-month interval is an error naming the row or the interval.
    """
    stamps = pd.DatetimeIndex(interval_ending)
    if stamps.tz is None:
        raise SettlementInputError(
            source, "interval_ending has no UTC offset", row=1, column="interval_ending"
        )
    stamps = stamps.tz_convert("UTC")
    values = _finite(amount, source, "rt_congestion")
    misaligned = np.flatnonzero(np.asarray(stamps != stamps.floor(INTERVAL)))
    if len(misaligned):
        r = int(misaligned[0])
        raise SettlementInputError(
            source,
            f"interval_ending {stamps[r].isoformat()} is not on a 5-minute mark",
            row=r + 1,
            column="interval_ending",
        )
    start = hours[0] - pd.Timedelta(hours=1)
    slot = np.asarray((stamps - start) // INTERVAL, dtype=np.int64) - 1
    n_slots = len(hours) * INTERVALS_PER_HOUR
    outside = np.flatnonzero((slot < 0) | (slot >= n_slots))
    if len(outside):
        r = int(outside[0])
        raise SettlementInputError(
            source,
            f"interval_ending {stamps[r].isoformat()} is not in the month",
            row=r + 1,
            column="interval_ending",
        )
    counts = np.bincount(slot, minlength=n_slots)
    if (counts > 1).any():
        r = int(np.flatnonzero(pd.Series(slot).duplicated().to_numpy())[0])
        raise SettlementInputError(
            source,
            f"interval ending {stamps[r].isoformat()} is given more than once",
            row=r + 1,
            column="interval_ending",
        )
    if (counts == 0).any():
        gap = int(np.flatnonzero(counts == 0)[0])
        missing = start + INTERVAL * (gap + 1)
        raise SettlementInputError(
            source, f"no 5-minute amount for the interval ending {missing.isoformat()}"
        )
    per_slot = np.empty(n_slots, dtype=np.float64)
    per_slot[slot] = values
    hourly: FloatArray = per_slot.reshape(len(hours), INTERVALS_PER_HOUR).sum(axis=1)
    return hourly


def _finite(amount: pd.Series, source: str, column: str) -> FloatArray:
    values = pd.to_numeric(amount, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        r = int(bad[0])
        raise SettlementInputError(
            source, f"{amount.iloc[r]!r} is not a finite number", row=r + 1, column=column
        )
    return values
