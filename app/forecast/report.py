"""A :class:`simulation.forecast.RevenueAdequacyReport` as stored JSON and back as the API's model.

$ amounts are rounded to cents (:func:`market_terms.money.round_to_cent`) and ratios to 6 decimals when
stored: the report is a forecast, not a settlement, and the rounding keeps the stored document stable
across platforms.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from typing import Any

from api_schemas.forecast import ForecastReportPublic
from market_terms.money import round_to_cent
from simulation.forecast import RevenueAdequacyReport

_RATIO_FIELDS = ("ratio", "probability")


def _rounded(key: str, value: Any) -> Any:
    if isinstance(value, float):
        if any(f in key for f in _RATIO_FIELDS) or not math.isfinite(value):
            return round(value, 6)
        return round_to_cent(value)
    if isinstance(value, dict):
        return {k: _rounded(k, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(key, v) for v in value]
    return value


def report_document(report: RevenueAdequacyReport) -> str:
    """The report as JSON: ``hours``, ``seed``, ``classes``, ``causes``, ``exposed``, ``scenarios``."""
    return json.dumps(_rounded("", asdict(report)), sort_keys=True)


def report_public(document: str) -> ForecastReportPublic:
    return ForecastReportPublic.model_validate_json(document)
