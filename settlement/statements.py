"""Statement tables of a settled month: per holder, per holder-hour, per FTR-hour, and the OI's view.

Dollar columns are rounded to cents here and only here (:mod:`settlement.money`); the rounded rows of a
table may therefore differ from its rounded total by a few cents. Payout ratios are unrounded. A
holder's FTR-hour table is built for that holder alone ("a holder sees only its own").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from market_terms import PeriodClass
from market_terms.money import CENTS_PER_DOLLAR, array_round_to_cent, array_to_cents, round_to_cent
from settlement.month import MonthSettlement


def _iso(hours: pd.DatetimeIndex) -> list[str]:
    return [ts.isoformat() for ts in hours]


def holder_hourly_frame(result: MonthSettlement) -> pd.DataFrame:
    """``hour_ending, holder, target_allocation, credit`` for every hour a holder holds an earning FTR."""
    holder_idx, hour_idx = np.nonzero(result.holder_active)
    order = np.lexsort((holder_idx, hour_idx))
    holder_idx, hour_idx = holder_idx[order], hour_idx[order]
    names = np.asarray(result.holders.names, dtype=object)
    return pd.DataFrame(
        {
            "hour_ending": np.asarray(_iso(result.hours), dtype=object)[hour_idx],
            "holder": names[holder_idx],
            "target_allocation": array_round_to_cent(result.holder_target_allocation[holder_idx, hour_idx]),
            "credit": array_round_to_cent(result.holder_credit[holder_idx, hour_idx]),
        }
    )


def holder_monthly_frame(result: MonthSettlement) -> pd.DataFrame:
    """Per holder: ``target_allocation, credit, monthly_distribution, annual_distribution`` ($), plus
    ``forfeited`` and ``payout_ratio`` ((credit + distributions) / TA; empty when TA <= 0).

    ``monthly_distribution`` is OA 5.2.6(a), ``annual_distribution`` the calendar-year OA 5.2.6(b)
    distribution made this month. Rows: this month's holders and the year's earlier holders (who may
    receive OA 5.2.6(b) distributions with no FTR this month).
    """
    dist = result.distribution
    ta = dist.target_allocation
    credit = dist.credit
    received = credit + dist.monthly + dist.annual
    forfeited = pd.Series(result.holder_forfeited, index=list(result.holders.names))
    ratio: np.ndarray = np.full(len(ta), np.nan)
    np.divide(received, ta, out=ratio, where=ta > 0)
    return pd.DataFrame(
        {
            "holder": list(dist.holders),
            "target_allocation": array_round_to_cent(ta),
            "credit": array_round_to_cent(credit),
            "monthly_distribution": array_round_to_cent(result.distribution.monthly),
            "annual_distribution": array_round_to_cent(result.distribution.annual),
            "forfeited": array_round_to_cent(forfeited.reindex(list(dist.holders)).fillna(0.0).to_numpy()),
            "payout_ratio": ratio,
        }
    )


FTR_AMOUNTS = ("target_allocation_before_forfeiture", "forfeited", "target_allocation", "credit")


@dataclass(frozen=True, slots=True)
class FtrHours:
    """One holder's earning FTR-hours: ``position[i]`` (row of ``result.positions``) in ``hour[i]`` (index
    of ``result.hours``), sorted by hour then FTR id (code-point order), and each amount of
    :data:`FTR_AMOUNTS` in integer cents, rounded per position and hour by the money rule."""

    position: NDArray[np.int64]
    hour: NDArray[np.int64]
    cents: dict[str, NDArray[np.int64]]


def ftr_hourly_cents(result: MonthSettlement, holder: str) -> FtrHours:
    """:class:`FtrHours` of ``holder`` (``KeyError`` if it holds nothing this month)."""
    rows = np.flatnonzero(result.positions.holder == holder)
    if len(rows) == 0:
        raise KeyError(f"holder {holder!r} holds no FTR in {result.year}-{result.month:02d}")
    rows = rows[np.argsort(result.positions.ftr_id[rows], kind="stable")]
    hour_idx, pos_local = np.nonzero(result.active[rows].T)
    pos = rows[pos_local]
    forfeited: np.ndarray = np.zeros(len(pos))
    if len(result.forfeiture.position):
        lookup = pd.Series(
            result.forfeiture.forfeited,
            index=result.forfeiture.position * len(result.hours) + result.forfeiture.hour,
        )
        forfeited = lookup.reindex(pos * len(result.hours) + hour_idx).fillna(0.0).to_numpy(dtype=np.float64)
    ta = result.target_allocation[pos, hour_idx]
    credit = ta * result.hourly.payout_ratio[hour_idx]
    cents = {
        "target_allocation_before_forfeiture": array_to_cents(ta + forfeited),
        "forfeited": array_to_cents(forfeited),
        "target_allocation": array_to_cents(ta),
        "credit": array_to_cents(credit),
    }
    return FtrHours(pos.astype(np.int64), hour_idx.astype(np.int64), cents)


def ftr_hourly_frame(result: MonthSettlement, holder: str) -> pd.DataFrame:
    """One holder's FTRs hour by hour: TA before forfeiture, forfeited, TA, credit ($), in earning hours
    (sorted by hour, then FTR id)."""
    hours = ftr_hourly_cents(result, holder)
    pos, hour_idx = hours.position, hours.hour
    return pd.DataFrame(
        {
            "hour_ending": np.asarray(_iso(result.hours), dtype=object)[hour_idx],
            "ftr_id": result.positions.ftr_id[pos],
            "source": result.positions.source[pos],
            "sink": result.positions.sink[pos],
            "mw": result.positions.mw[pos],
            **{m: hours.cents[m] / CENTS_PER_DOLLAR + 0.0 for m in FTR_AMOUNTS},
            "payout_ratio": result.hourly.payout_ratio[hour_idx],
        }
    )


def oi_hourly_frame(result: MonthSettlement) -> pd.DataFrame:
    """The OI's hourly totals: charges by component, TA, credits, excess, payout ratio and OA 5.2.5 case."""
    h = result.hourly
    return pd.DataFrame(
        {
            "hour_ending": _iso(result.hours),
            "period_class": np.where(result.on_peak, PeriodClass.ON_PEAK.value, PeriodClass.OFF_PEAK.value),
            "da_congestion": array_round_to_cent(result.charges.da),
            "rt_congestion": array_round_to_cent(result.charges.rt),
            "loop_flow_compensation": array_round_to_cent(result.charges.loop_flow),
            "charges": array_round_to_cent(h.charges),
            "target_allocation": array_round_to_cent(h.total_target_allocation),
            "credit": array_round_to_cent(h.credits),
            "excess": array_round_to_cent(h.excess),
            "payout_ratio": h.payout_ratio,
            "case": h.case,
        }
    )


def month_summary(result: MonthSettlement) -> dict[str, Any]:
    """JSON-ready month totals for the OI ($ to the cent).

    ``payout_ratio`` = credits / TA and ``payout_ratio_after_distribution`` = (credits + OA 5.2.6(a),(b)
    distributions) / TA, over the month; ``None`` when the month's total TA is <= 0.
    """
    h = result.hourly
    ta = float(h.total_target_allocation.sum())
    credits = float(h.credits.sum())
    dist = result.distribution
    distributed = float(dist.monthly.sum() + dist.annual.sum())
    return {
        "year": result.year,
        "month": result.month,
        "hours": len(result.hours),
        "on_peak_hours": int(result.on_peak.sum()),
        "holders": len(result.holders.names),
        "ftrs": len(set(result.positions.ftr_id.tolist())),
        "charges": {
            "da_congestion": round_to_cent(result.charges.da.sum()),
            "rt_congestion": round_to_cent(result.charges.rt.sum()),
            "loop_flow_compensation": round_to_cent(result.charges.loop_flow.sum()),
            "total": round_to_cent(h.charges.sum()),
        },
        "target_allocation": round_to_cent(ta),
        "credits": round_to_cent(credits),
        "forfeited": round_to_cent(result.forfeiture.forfeited.sum()),
        "excess": round_to_cent(dist.pool),
        "monthly_distribution": round_to_cent(dist.monthly.sum()),
        "annual_distribution": round_to_cent(dist.annual.sum()),
        "carried_to_year_end": round_to_cent(dist.carried),
        "carried_year_to_date": round_to_cent(result.state_after.carried_excess),
        "payout_ratio": credits / ta if ta > 0 else None,
        "payout_ratio_after_distribution": (credits + distributed) / ta if ta > 0 else None,
        "hours_by_case": {case: int((h.case == case).sum()) for case in sorted(set(h.case.tolist()))},
    }
