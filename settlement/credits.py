"""Hourly congestion credits (OA 5.2.5): full when the hour's charges cover the total, else pro rata.

With ``T_h`` the hour's total target allocation (all holders, after forfeiture) and ``C_h`` the hour's
congestion charges (:mod:`settlement.charges`), every position gets ``credit = r_h x TA`` where

    r_h = 1                        if T_h <= max(C_h, 0)                     (cases covered, owed)
    r_h = max(C_h, 0) / T_h        otherwise (then T_h > max(C_h, 0) >= 0, so never a division by 0)

and the hour's excess is ``excess_h = C_h - r_h x T_h``, so **credits + excess = charges** exactly,
every hour. The cases, as :class:`HourCase`:

- ``covered`` (T_h <= C_h): OA 5.2.5(a), everyone gets its TA; excess ``C_h - T_h >= 0`` goes to
  OA 5.2.6. This includes T_h <= 0 <= C_h: counterflow holders pay their (negative) TA in full and
  that money is excess too (the docs/rules.md example's hour with equal prices is T = 0, excess = C).
- ``prorated`` (0 <= C_h < T_h): OA 5.2.5(b), each gets ``C_h / T_h`` of its TA (counterflow holders
  pay the same fraction of what they owe); excess 0.
- ``unfunded`` (C_h < 0 < T_h): the OI collected less than nothing. The pro-rata share of a negative
  total would make prevailing-flow holders pay, so nobody is credited (r = 0) and the hour's negative
  charges become a negative excess, netted in the month's excess pool (OA 5.2.6(a)).
- ``owed`` (C_h < T_h <= 0): holders as a group owe money and the charges are negative too. A pro-rata
  ratio ``C_h / T_h`` would exceed 1 (or divide by zero), so everyone settles its TA in full
  (r = 1) and the negative ``C_h - T_h`` is netted in the month's pool, as in ``unfunded``.

The payout ratio reported for the hour is ``r_h``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from market_terms.arrays import FloatArray


class HourCase(StrEnum):
    """Which branch of OA 5.2.5 an hour took (see :mod:`settlement.credits`)."""

    COVERED = "covered"
    PRORATED = "prorated"
    UNFUNDED = "unfunded"
    OWED = "owed"


@dataclass(frozen=True, slots=True, eq=False)
class HourlyCredits:
    """Per hour ($): total TA, charges, payout ratio, credits paid, excess; and the case taken."""

    total_target_allocation: FloatArray
    charges: FloatArray
    payout_ratio: FloatArray
    credits: FloatArray
    excess: FloatArray
    case: NDArray[np.str_]


def hourly_credits(total_target_allocation: FloatArray, charges: FloatArray) -> HourlyCredits:
    """Apply OA 5.2.5 to every hour at once; see the module docstring for the formula and cases."""
    total = np.asarray(total_target_allocation, dtype=np.float64)
    collected = np.asarray(charges, dtype=np.float64)
    funded = np.maximum(collected, 0.0)
    full = total <= funded
    ratio = np.ones_like(total)
    short = ~full
    ratio[short] = funded[short] / total[short]
    paid = ratio * total
    excess = collected - paid
    case = np.where(
        full,
        np.where(collected >= total, HourCase.COVERED.value, HourCase.OWED.value),
        np.where(collected >= 0, HourCase.PRORATED.value, HourCase.UNFUNDED.value),
    )
    return HourlyCredits(
        total_target_allocation=total,
        charges=collected,
        payout_ratio=ratio,
        credits=paid,
        excess=excess,
        case=case,
    )
