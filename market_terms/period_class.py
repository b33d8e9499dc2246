"""The period classes of an FTR (OA 7.1.1, 7.3.4); which hours they cover is :mod:`market_calendar`'s.

Users write a class the way their ISO does (``ONPEAK`` in PJM's files, ``on-peak``, ``peak``):
:func:`parse_period_class` reads every name of :data:`PERIOD_CLASS_ALIASES`, case-insensitively, and
refuses anything else with the accepted list. Output always uses the canonical value.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class PeriodClass(StrEnum):
    """The two FTR period classes, auctioned separately (OA 7.1.1, 7.3.4)."""

    ON_PEAK = "on_peak"
    OFF_PEAK = "off_peak"


PERIOD_CLASS_ALIASES: Mapping[str, PeriodClass] = MappingProxyType(
    {
        "on_peak": PeriodClass.ON_PEAK,
        "onpeak": PeriodClass.ON_PEAK,
        "on-peak": PeriodClass.ON_PEAK,
        "peak": PeriodClass.ON_PEAK,
        "off_peak": PeriodClass.OFF_PEAK,
        "offpeak": PeriodClass.OFF_PEAK,
        "off-peak": PeriodClass.OFF_PEAK,
    }
)
"""Every accepted spelling (lower case) -> its class; matching ignores case and surrounding blanks."""

ACCEPTED_PERIOD_CLASSES = ", ".join(PERIOD_CLASS_ALIASES)
"""The accepted spellings as an error message lists them."""


def parse_period_class(text: str) -> PeriodClass:
    """The class ``text`` names (any case); :class:`ValueError` with the accepted list otherwise."""
    found = PERIOD_CLASS_ALIASES.get(text.strip().lower())
    if found is None:
        raise ValueError(f"{text!r} is not a period class; accepted (any case): {ACCEPTED_PERIOD_CLASSES}")
    return found
