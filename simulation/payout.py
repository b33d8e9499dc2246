"""FTR payout of a simulated month: target allocations, hourly credits, month-end excess.

The forecast applies the settlement rules to simulated hours. The rules are the settlement engine's
own (:func:`settlement.credits.hourly_credits` for OA 5.2.5, :func:`settlement.excess.distribute_capped`
for OA 5.2.6(a)); this module only lays the simulated month's arrays out for them:

- **Target allocation** (OA 5.2.4): ``TA_jh = MW_j * (cong_h[sink_j] - cong_h[source_j])`` $ for
  the hours ``h`` of FTR ``j``'s class, zero otherwise; ``cong`` is the congestion component of
  the DA LMP, $/MWh (lossless: the same as the LMP difference).
- **Hourly credits** (OA 5.2.5), with ``T_h = sum_j TA_jh`` and ``C_h`` the hour's congestion
  charges: if ``T_h <= C_h`` every FTR gets its target allocation and ``C_h - T_h`` is excess;
  otherwise (then ``T_h > 0`` unless ``C_h < T_h <= 0``) each gets ``TA_jh * max(C_h, 0) / T_h``.
  When ``C_h < T_h <= 0`` (possible only with negative charges, i.e. loop flow) target
  allocations are paid in full and the excess ``C_h - T_h`` is negative. Money is conserved:
  ``sum_j credit_jh + excess_h = C_h``. Nothing is ever divided by ``T_h <= 0``.
- **Month-end excess** (OA 5.2.6(a)): the month's positive excess ``E = sum_h excess_h`` goes to
  holders in proportion to, and never more than, their deficiency ``D_k = sum over the holder's
  FTRs and hours of (TA - credit)`` (floored at 0); a holder's share is split over its FTRs in
  proportion to their own positive deficiencies.
- **Payout ratio** of a set of FTRs: credits / target allocations summed over the month, 1 when
  the target allocations sum to <= 0 (nothing was owed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from market_terms.arrays import FloatArray
from settlement.credits import hourly_credits as settle_hours
from settlement.excess import distribute_capped


@dataclass(frozen=True)
class MonthPayout:
    """Per FTR ($ over the month): target allocation, hourly credits, credits after month end."""

    target_allocation: FloatArray
    hourly_credit: FloatArray
    month_end_credit: FloatArray
    excess_by_hour: FloatArray
    shortfall_by_hour: FloatArray


def hourly_credits(target: FloatArray, charges: FloatArray) -> tuple[FloatArray, FloatArray]:
    """OA 5.2.5 credits ``(n_hours, n_ftrs)`` and excess ``(n_hours,)`` from targets and charges."""
    hours = settle_hours(target.sum(axis=1), charges)
    credits: FloatArray = target * hours.payout_ratio[:, None]
    return credits, hours.excess


def month_payout(target: FloatArray, charges: FloatArray, holders: Sequence[str]) -> MonthPayout:
    """Hourly credits, then the month's excess to deficient holders (OA 5.2.5, 5.2.6(a))."""
    credits, excess = hourly_credits(target, charges)
    ta = target.sum(axis=0)
    hourly = credits.sum(axis=0)
    deficiency = ta - hourly
    holder_names = sorted(set(holders))
    index = np.array([holder_names.index(h) for h in holders], dtype=np.int64)
    holder_def = np.bincount(index, weights=deficiency, minlength=len(holder_names)).astype(np.float64)
    paid = distribute_capped(float(excess.sum()), holder_def)
    positive = np.maximum(deficiency, 0.0)
    holder_positive = np.bincount(index, weights=positive, minlength=len(holder_names))
    share = np.divide(
        positive, holder_positive[index], out=np.zeros_like(positive), where=holder_positive[index] > 0.0
    )
    month_end = hourly + paid[index] * share
    return MonthPayout(
        target_allocation=ta,
        hourly_credit=hourly,
        month_end_credit=month_end,
        excess_by_hour=excess,
        shortfall_by_hour=np.maximum(target.sum(axis=1) - credits.sum(axis=1), 0.0),
    )


def payout_ratio(credit: float, target: float) -> float:
    """``credit / target``, or 1.0 when ``target <= 0`` (nothing owed)."""
    return credit / target if target > 0.0 else 1.0
