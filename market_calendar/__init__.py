"""Market time: Eastern Prevailing Time hours, on-peak/off-peak classes, holidays, business days (pure).

Public API (see each module for the rules and their OA sections):

- :class:`PeriodClass`, :func:`is_on_peak`, :func:`period_class_of`, :func:`on_peak_mask`,
  :func:`month_hour_index`, :func:`hours_in_month`, :func:`hour_count`, :func:`month_of` (OA 7.3.4);
- :func:`nerc_holidays`, :func:`is_nerc_holiday`;
- :func:`is_business_day`, :func:`business_days_before`, :func:`business_days_from`;
- :func:`bid_window` (OA 7.1.2), :func:`posting_deadline` (OA 7.3.7);
- :data:`EPT`, the America/New_York zone.
"""

from market_calendar.bid_window import bid_window
from market_calendar.business_days import business_days_before, business_days_from, is_business_day
from market_calendar.eastern_time import EPT
from market_calendar.holidays import is_nerc_holiday, nerc_holidays
from market_calendar.periods import (
    PeriodClass,
    hour_count,
    hours_in_month,
    is_on_peak,
    month_hour_index,
    month_of,
    on_peak_mask,
    period_class_of,
)
from market_calendar.posting import posting_deadline

__all__ = [
    "EPT",
    "PeriodClass",
    "bid_window",
    "business_days_before",
    "business_days_from",
    "hour_count",
    "hours_in_month",
    "is_business_day",
    "is_nerc_holiday",
    "is_on_peak",
    "month_hour_index",
    "month_of",
    "nerc_holidays",
    "on_peak_mask",
    "period_class_of",
    "posting_deadline",
]
