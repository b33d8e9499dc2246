"""The period classes of an FTR (OA 7.1.1, 7.3.4); which hours they cover is :mod:`market_calendar`'s."""

from __future__ import annotations

from enum import StrEnum


class PeriodClass(StrEnum):
    """The two FTR period classes, auctioned separately (OA 7.1.1, 7.3.4)."""

    ON_PEAK = "on_peak"
    OFF_PEAK = "off_peak"
