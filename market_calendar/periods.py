"""On-peak and off-peak hours (OA 7.3.4), counted in Eastern Prevailing Time.

OA 7.3.4: on-peak covers "7:00 a.m. up to the hour ending at 11:00 p.m. on Mondays through Fridays,
except holidays", i.e. the hours ending 08:00..23:00 EPT (HE08..HE23, 16 hours) of a weekday that is not
a NERC holiday. Off-peak is every other hour: HE01..HE07 and HE24 of weekdays, and all 24 (23 or 25 on a
daylight-saving change day) hours of Saturdays, Sundays and holidays.

An hour is named by its *hour-ending* instant (the end of the hour, a UTC instant). Its day and
clock hour are those of the *hour beginning* in EPT, so HE24 (ending at midnight) belongs to the day
that is ending. The daylight-saving changes happen at 02:00 EPT on Sundays, which are off-peak, so
on-peak counts are unaffected by DST and ``on_peak + off_peak = hours in the month`` (743, 744, 745...).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from market_calendar.eastern_time import (
    EPT,
    ONE_HOUR,
    check_month,
    ept_midnight_utc,
    first_of_next_month,
    require_aware,
)
from market_calendar.holidays import nerc_holidays
from market_terms.period_class import PeriodClass

ON_PEAK_FIRST_HOUR_BEGINNING = 7
"""07:00 EPT, the beginning of HE08."""
ON_PEAK_LAST_HOUR_BEGINNING = 22
"""22:00 EPT, the beginning of HE23."""
_SATURDAY = 5


def is_on_peak(hour_ending: datetime) -> bool:
    """True when the hour ending at ``hour_ending`` (timezone-aware) is on-peak under OA 7.3.4."""
    require_aware(hour_ending, "hour_ending")
    begins = (hour_ending - ONE_HOUR).astimezone(EPT)
    day = begins.date()
    return (
        day.weekday() < _SATURDAY
        and ON_PEAK_FIRST_HOUR_BEGINNING <= begins.hour <= ON_PEAK_LAST_HOUR_BEGINNING
        and day not in nerc_holidays(day.year)
    )


def period_class_of(hour_ending: datetime) -> PeriodClass:
    """The period class of one hour."""
    return PeriodClass.ON_PEAK if is_on_peak(hour_ending) else PeriodClass.OFF_PEAK


def on_peak_mask(hour_endings: pd.DatetimeIndex) -> NDArray[np.bool_]:
    """Vectorised :func:`is_on_peak` over timezone-aware hour-ending instants."""
    if hour_endings.tz is None:
        raise ValueError("hour_endings have no time zone; give timezone-aware instants")
    begins = (hour_endings - pd.Timedelta(hours=1)).tz_convert(EPT)
    days = begins.normalize().tz_localize(None)
    years = range(int(begins.year.min()), int(begins.year.max()) + 1) if len(begins) else range(0)
    holidays = pd.DatetimeIndex(sorted(d for y in years for d in nerc_holidays(y)))
    hours = np.asarray(begins.hour)
    mask: NDArray[np.bool_] = (
        (np.asarray(begins.dayofweek) < _SATURDAY)
        & (hours >= ON_PEAK_FIRST_HOUR_BEGINNING)
        & (hours <= ON_PEAK_LAST_HOUR_BEGINNING)
        & ~np.asarray(days.isin(holidays))
    )
    return mask


def month_hour_index(year: int, month: int) -> pd.DatetimeIndex:
    """Every hour-ending instant (UTC) of the EPT calendar month, in time order (743..745 for 31 days)."""
    check_month(year, month)
    start = ept_midnight_utc(date(year, month, 1))
    end = ept_midnight_utc(first_of_next_month(year, month))
    return pd.date_range(start + ONE_HOUR, end, freq="h", tz=UTC)


def hours_in_month(year: int, month: int, cls: PeriodClass | None = None) -> tuple[datetime, ...]:
    """The hour-ending instants (timezone-aware UTC) of the EPT month in class ``cls`` (all hours if None)."""
    index = month_hour_index(year, month)
    if cls is not None:
        mask = on_peak_mask(index)
        index = index[mask if cls == PeriodClass.ON_PEAK else ~mask]
    return tuple(ts.to_pydatetime() for ts in index)


def hour_count(year: int, month: int, cls: PeriodClass | None = None) -> int:
    """Number of hours of class ``cls`` (all hours if None) in the EPT month; on + off = all."""
    index = month_hour_index(year, month)
    if cls is None:
        return len(index)
    on = int(on_peak_mask(index).sum())
    return on if cls == PeriodClass.ON_PEAK else len(index) - on


def month_of(hour_ending: datetime) -> tuple[int, int]:
    """``(year, month)`` of the EPT month an hour belongs to (judged by its hour beginning)."""
    require_aware(hour_ending, "hour_ending")
    begins = (hour_ending.astimezone(UTC) - ONE_HOUR).astimezone(EPT)
    return begins.year, begins.month
