"""A settled month (:class:`settlement.month.MonthSettlement`) -> rows to insert (``settlement.statements``).

The statement frames are already rounded to cents by the engine; here they become integer cents
(exact) and payout ratios exact decimals (12 places). The summary keeps the engine's
:func:`settlement.statements.month_summary` with every $ amount as a decimal string.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from market_terms.money import array_to_cents, to_cents
from settlement.month import MonthSettlement
from settlement.revision import AMOUNT_COLUMNS
from settlement.statements import (
    holder_hourly_frame,
    holder_monthly_frame,
    month_summary,
    oi_hourly_frame,
)

RATIO_PLACES = Decimal("1e-12")
CENT = Decimal("0.01")
_MONEY_KEYS = {
    "target_allocation",
    "credits",
    "forfeited",
    "excess",
    "monthly_distribution",
    "annual_distribution",
    "carried_to_year_end",
    "carried_year_to_date",
}


def ratio(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(RATIO_PLACES)


def money_text(dollars: float) -> str:
    return str(Decimal(to_cents(dollars)) * CENT)


def _cents(values: pd.Series) -> list[int]:
    """A column of $ (already rounded to the cent by the engine) -> integer cents, by the one rule."""
    out: list[int] = array_to_cents(values.to_numpy(dtype=np.float64)).tolist()
    return out


def summary(result: MonthSettlement) -> dict[str, Any]:
    """:func:`settlement.statements.month_summary` with $ amounts as decimal strings."""
    raw = month_summary(result)
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "charges":
            out[key] = {k: money_text(v) for k, v in value.items()}
        elif key in _MONEY_KEYS:
            out[key] = money_text(value)
        elif key.startswith("payout_ratio"):
            out[key] = None if value is None else str(ratio(value))
        else:
            out[key] = value
    return out


class _Hours:
    """Each hour's instant and payout ratio, converted once (frames name hours by ISO text)."""

    def __init__(self, result: MonthSettlement) -> None:
        texts = [t.isoformat() for t in result.hours]
        self.stamp = {t: h.to_pydatetime() for t, h in zip(texts, result.hours, strict=True)}
        self.ratio = {t: ratio(r) for t, r in zip(texts, result.hourly.payout_ratio.tolist(), strict=True)}

    def stamps(self, column: pd.Series) -> list[datetime]:
        return [self.stamp[t] for t in column.tolist()]

    def ratios(self, column: pd.Series) -> list[Decimal]:
        return [self.ratio[t] for t in column.tolist()]


def _records(columns: dict[str, list[Any]], constant: dict[str, Any]) -> list[dict[str, Any]]:
    names = list(columns)
    return [
        constant | dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]


def hour_rows(run_id: int, result: MonthSettlement) -> list[dict[str, Any]]:
    frame = oi_hourly_frame(result)
    hours = _Hours(result)
    columns: dict[str, list[Any]] = {
        "hour_ending": hours.stamps(frame["hour_ending"]),
        "period_class": frame["period_class"].tolist(),
        "da_congestion_cents": _cents(frame["da_congestion"]),
        "rt_congestion_cents": _cents(frame["rt_congestion"]),
        "loop_flow_cents": _cents(frame["loop_flow_compensation"]),
        "charges_cents": _cents(frame["charges"]),
        "target_allocation_cents": _cents(frame["target_allocation"]),
        "credit_cents": _cents(frame["credit"]),
        "excess_cents": _cents(frame["excess"]),
        "payout_ratio": hours.ratios(frame["hour_ending"]),
        "case": [str(c) for c in frame["case"].tolist()],
    }
    return _records(columns, {"run_id": run_id})


def holder_month_rows(run_id: int, result: MonthSettlement) -> list[dict[str, Any]]:
    frame = holder_monthly_frame(result)
    columns: dict[str, list[Any]] = {
        "participant_id": [int(h) for h in frame["holder"].tolist()],
        "target_allocation_cents": _cents(frame["target_allocation"]),
        "credit_cents": _cents(frame["credit"]),
        "forfeited_cents": _cents(frame["forfeited"]),
        "monthly_distribution_cents": _cents(frame["monthly_distribution"]),
        "annual_distribution_cents": _cents(frame["annual_distribution"]),
        "payout_ratio": [None if pd.isna(r) else ratio(r) for r in frame["payout_ratio"].tolist()],
    }
    return _records(columns, {"run_id": run_id})


def holder_hour_rows(run_id: int, result: MonthSettlement) -> list[dict[str, Any]]:
    frame = holder_hourly_frame(result)
    hours = _Hours(result)
    columns: dict[str, list[Any]] = {
        "participant_id": [int(h) for h in frame["holder"].tolist()],
        "hour_ending": hours.stamps(frame["hour_ending"]),
        "target_allocation_cents": _cents(frame["target_allocation"]),
        "credit_cents": _cents(frame["credit"]),
        "payout_ratio": hours.ratios(frame["hour_ending"]),
    }
    return _records(columns, {"run_id": run_id})


def change_rows(run_id: int, differences: pd.DataFrame) -> list[dict[str, Any]]:
    """:func:`settlement.revision.holder_differences` output -> one row per holder and changed amount."""
    rows: list[dict[str, Any]] = []
    for r in differences.to_dict("records"):
        for amount in AMOUNT_COLUMNS:
            old, new = to_cents(r[f"{amount}_old"]), to_cents(r[f"{amount}_new"])
            if old != new:
                rows.append(
                    dict(
                        run_id=run_id,
                        participant_id=int(r["holder"]),
                        amount=amount,
                        old_cents=old,
                        new_cents=new,
                        change_cents=new - old,
                    )
                )
    return rows


def result_hash(result: MonthSettlement) -> str:
    """Fingerprint of what a run stores (cents and ratios): the same inputs give the same hash."""
    payload = {
        "summary": summary(result),
        "holders": holder_monthly_frame(result).fillna(-1).to_dict("records"),
        "hours": oi_hourly_frame(result).to_dict("records"),
        "state_after": result.state_after.to_json(),
    }
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
