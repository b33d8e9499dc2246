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

import pandas as pd

from settlement.month import MonthSettlement
from settlement.revision import AMOUNT_COLUMNS
from settlement.statements import (
    ftr_hourly_frame,
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


def cents(dollars: float) -> int:
    """A $ amount already rounded to the cent -> integer cents."""
    return round(float(dollars) * 100)


def ratio(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(RATIO_PLACES)


def money_text(dollars: float) -> str:
    return str(Decimal(cents(dollars)) * CENT)


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _stamp(text: str) -> datetime:
    stamp: datetime = pd.Timestamp(text).tz_convert("UTC").to_pydatetime()
    return stamp


def summary(result: MonthSettlement) -> dict[str, Any]:
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


def hour_rows(run_id: int, result: MonthSettlement) -> list[dict[str, Any]]:
    frame = oi_hourly_frame(result)
    return [
        dict(
            run_id=run_id,
            hour_ending=_stamp(r["hour_ending"]),
            period_class=r["period_class"],
            da_congestion_cents=cents(r["da_congestion"]),
            rt_congestion_cents=cents(r["rt_congestion"]),
            loop_flow_cents=cents(r["loop_flow_compensation"]),
            charges_cents=cents(r["charges"]),
            target_allocation_cents=cents(r["target_allocation"]),
            credit_cents=cents(r["credit"]),
            excess_cents=cents(r["excess"]),
            payout_ratio=ratio(r["payout_ratio"]),
            case=r["case"],
        )
        for r in _rows(frame)
    ]


def holder_month_rows(run_id: int, result: MonthSettlement) -> list[dict[str, Any]]:
    frame = holder_monthly_frame(result)
    return [
        dict(
            run_id=run_id,
            participant_id=int(r["holder"]),
            target_allocation_cents=cents(r["target_allocation"]),
            credit_cents=cents(r["credit"]),
            forfeited_cents=cents(r["forfeited"]),
            monthly_distribution_cents=cents(r["monthly_distribution"]),
            annual_distribution_cents=cents(r["annual_distribution"]),
            payout_ratio=None if pd.isna(r["payout_ratio"]) else ratio(r["payout_ratio"]),
        )
        for r in _rows(frame)
    ]


def holder_hour_rows(run_id: int, result: MonthSettlement) -> list[dict[str, Any]]:
    frame = holder_hourly_frame(result)
    by_hour = dict(
        zip([t.isoformat() for t in result.hours], result.hourly.payout_ratio.tolist(), strict=True)
    )
    return [
        dict(
            run_id=run_id,
            participant_id=int(r["holder"]),
            hour_ending=_stamp(r["hour_ending"]),
            target_allocation_cents=cents(r["target_allocation"]),
            credit_cents=cents(r["credit"]),
            payout_ratio=ratio(by_hour[r["hour_ending"]]),
        )
        for r in _rows(frame)
    ]


def ftr_hour_rows(run_id: int, result: MonthSettlement) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for holder in result.holders.names:
        frame = ftr_hourly_frame(result, holder)
        grouped = frame.groupby(["hour_ending", "ftr_id"], sort=True, as_index=False).agg(
            source=("source", "first"),
            sink=("sink", "first"),
            mw=("mw", "sum"),
            target_allocation_before_forfeiture=("target_allocation_before_forfeiture", "sum"),
            forfeited=("forfeited", "sum"),
            target_allocation=("target_allocation", "sum"),
            credit=("credit", "sum"),
            payout_ratio=("payout_ratio", "first"),
        )
        rows.extend(
            dict(
                run_id=run_id,
                participant_id=int(holder),
                ftr_id=r["ftr_id"],
                hour_ending=_stamp(r["hour_ending"]),
                source=r["source"],
                sink=r["sink"],
                mw_tenths=round(float(r["mw"]) * 10),
                target_allocation_before_forfeiture_cents=cents(r["target_allocation_before_forfeiture"]),
                forfeited_cents=cents(r["forfeited"]),
                target_allocation_cents=cents(r["target_allocation"]),
                credit_cents=cents(r["credit"]),
                payout_ratio=ratio(r["payout_ratio"]),
            )
            for r in _rows(grouped)
        )
    return rows


def change_rows(run_id: int, differences: pd.DataFrame) -> list[dict[str, Any]]:
    """:func:`settlement.revision.holder_differences` output -> one row per holder and changed amount."""
    rows: list[dict[str, Any]] = []
    for r in differences.to_dict("records"):
        for amount in AMOUNT_COLUMNS:
            old, new = cents(r[f"{amount}_old"]), cents(r[f"{amount}_new"])
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
