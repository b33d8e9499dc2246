"""Hourly loads of the simulated month: the case's bus loads shaped by a documented profile.

A MATPOWER case holds one snapshot, taken as the **annual peak**. The load at bus ``i`` in the
hour ending ``t`` is::

    d_i(t) = d_i * shape[day type(t)][HE(t)] * monthly[month(t)] * (1 + s * z_t) * (1 + b * z_it)

- ``HE(t)`` is the hour-ending number 1..24 of the hour in Eastern Prevailing Time, its day the
  EPT date of the hour's beginning (HE24 belongs to the day that ends; the same convention as
  ``market_calendar``). Day type: ``weekday`` (Monday-Friday, not a holiday) or ``weekend``
  (Saturday, Sunday and the NERC holidays passed in). So the profile's peak plateau HE08-HE23
  on weekdays is the OA 7.3.4 on-peak class, and weekends/holidays are lower all day.
- ``DEFAULT_PROFILE``'s weekday curve is a typical summer-peaking US utility day (trough 0.61 at
  HE04, peak 1.00 at HE17-HE18); weekends are 12% lower with a later morning rise; monthly factors
  run from 0.78 (April, October) to 1.00 (July).
- ``z_t`` (one per hour) and ``z_it`` (one per bus and hour) are standard normal draws from a
  generator seeded with ``(seed, hour-ending POSIX seconds)``: an hour's loads depend only on the
  seed and the hour, never on which process or in which order it is simulated. ``s`` and ``b``
  are the system-wide and per-bus noise levels; a factor is floored at zero.
- A negative bus load (a case's fixed injection) is scaled by the same factors.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from market_calendar import EPT
from market_terms import FloatArray

WEEKDAY_SHAPE: tuple[float, ...] = (
    0.68, 0.64, 0.62, 0.61, 0.62, 0.66, 0.73, 0.80, 0.85, 0.88, 0.91, 0.93,
    0.95, 0.97, 0.98, 0.99, 1.00, 1.00, 0.97, 0.94, 0.91, 0.85, 0.78, 0.72,
)  # fmt: skip
WEEKEND_SHAPE: tuple[float, ...] = (
    0.62, 0.58, 0.56, 0.55, 0.55, 0.57, 0.60, 0.65, 0.71, 0.76, 0.80, 0.83,
    0.85, 0.86, 0.87, 0.88, 0.88, 0.88, 0.86, 0.84, 0.81, 0.76, 0.70, 0.65,
)  # fmt: skip
MONTHLY_FACTOR: tuple[float, ...] = (
    0.90, 0.87, 0.82, 0.78, 0.83, 0.94, 1.00, 0.98, 0.88, 0.78, 0.82, 0.89,
)  # fmt: skip


@dataclass(frozen=True)
class LoadProfile:
    """Hourly shape of the load (see module doc). Factors are fractions of the case's peak load."""

    weekday: tuple[float, ...] = WEEKDAY_SHAPE
    weekend: tuple[float, ...] = WEEKEND_SHAPE
    monthly: tuple[float, ...] = MONTHLY_FACTOR
    system_noise: float = 0.02
    bus_noise: float = 0.03

    def __post_init__(self) -> None:
        for name, size in (("weekday", 24), ("weekend", 24), ("monthly", 12)):
            values = getattr(self, name)
            if len(values) != size or any(not np.isfinite(v) or v < 0.0 for v in values):
                raise ValueError(f"load profile {name!r} needs {size} finite factors >= 0, got {values}")
        if self.system_noise < 0.0 or self.bus_noise < 0.0:
            raise ValueError("load profile noise levels must be >= 0")


DEFAULT_PROFILE = LoadProfile()
FLAT_PROFILE = LoadProfile(
    weekday=(1.0,) * 24, weekend=(1.0,) * 24, monthly=(1.0,) * 12, system_noise=0.0, bus_noise=0.0
)


def hour_beginning_ept(hour_ending: datetime) -> datetime:
    """The EPT wall-clock beginning of the hour ending at ``hour_ending`` (timezone-aware)."""
    if hour_ending.tzinfo is None or hour_ending.utcoffset() is None:
        raise ValueError(f"hour ending {hour_ending!r} is naive; give a timezone-aware instant")
    return (hour_ending - timedelta(hours=1)).astimezone(EPT)


def shape_factor(profile: LoadProfile, hour_ending: datetime, holidays: Collection[date] = ()) -> float:
    """Deterministic part of the load factor: day-type shape at HE(t) times the month's factor."""
    start = hour_beginning_ept(hour_ending)
    weekend = start.weekday() >= 5 or start.date() in holidays
    shape = profile.weekend if weekend else profile.weekday
    return shape[start.hour] * profile.monthly[start.month - 1]


def hourly_demand(
    peak_demand_mw: FloatArray,
    hour_ending: datetime,
    profile: LoadProfile,
    seed: int,
    holidays: Collection[date] = (),
) -> FloatArray:
    """Bus loads (MW) of one hour: ``peak_demand_mw`` shaped and perturbed as in the module doc."""
    factor = shape_factor(profile, hour_ending, holidays)
    rng = np.random.default_rng([seed, int(hour_ending.timestamp())])
    system = max(0.0, 1.0 + profile.system_noise * float(rng.standard_normal()))
    per_bus = np.maximum(0.0, 1.0 + profile.bus_noise * rng.standard_normal(peak_demand_mw.shape[0]))
    out: FloatArray = peak_demand_mw * (factor * system) * per_bus
    return out
