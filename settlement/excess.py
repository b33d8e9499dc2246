"""Distribution of excess congestion charges (OA 5.2.6).

(a) **Monthly.** The month's excess pool ``E = sum_h excess_h`` goes to holders in proportion to, and
    never more than, their deficiency for the month ``d_i = max(TA_i - credit_i, 0)`` (monthly totals,
    netted over the holder's FTRs): ``a_i = d_i`` if ``sum d <= E``, else ``E x d_i / sum d``.
(b) **Calendar year to date.** What is left, ``R = E - sum a``, goes the same way against
    ``y_i = max(TA_ytd - credit_ytd - monthly_ytd - annual_ytd, 0)``, the year's totals *including this
    month and its (a) distribution* ("including previously distributed excess"). The rest is carried
    to year end.
(c) **Year end.** The carried total goes to Network Service Users and firm point-to-point customers in
    proportion to their network demand charges and reserved-capacity charges.

A non-positive pool distributes nothing: a month whose hours with negative charges (see
:mod:`settlement.credits`) outweigh its excess passes its net deficit to the year-end carry, which then
pays out only if positive. Nobody ever receives more than its deficiency, so a holder's credits plus
distributions never exceed its target allocations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from market_terms.arrays import FloatArray
from settlement.errors import SettlementInputError, YearStateError
from settlement.year_state import YearState


def distribute_capped(pool: float, claims: FloatArray) -> FloatArray:
    """Share ``pool`` in proportion to, and never more than, ``claims`` (>= 0), $. Zero if pool <= 0."""
    claims = np.maximum(np.asarray(claims, dtype=np.float64), 0.0)
    total = float(claims.sum())
    if pool <= 0.0 or total <= 0.0:
        return np.zeros_like(claims)
    if total <= pool:
        return claims.copy()
    shares: FloatArray = pool * claims / total
    return shares


@dataclass(frozen=True, slots=True, eq=False)
class MonthlyDistribution:
    """The month's totals and distributions per holder, aligned with ``holders``, and the carry ($).

    ``holders`` is every holder of the month *and* every earlier holder of the year (sorted): OA 5.2.6(b)
    pays year-to-date deficiencies of holders that no longer hold an FTR this month too.
    """

    holders: tuple[str, ...]
    target_allocation: FloatArray
    credit: FloatArray
    monthly: FloatArray
    annual: FloatArray
    pool: float
    carried: float


def distribute_month(
    pool: float,
    holders: tuple[str, ...],
    target_allocation: FloatArray,
    credit: FloatArray,
    state: YearState,
) -> MonthlyDistribution:
    """OA 5.2.6(a) then (b) for one month; ``target_allocation``/``credit`` are the month's totals of
    ``holders``; the result covers those and the year's earlier holders in ``state``."""
    names = tuple(sorted(set(holders) | set(state.holders)))
    where = {name: i for i, name in enumerate(names)}
    at = np.array([where[name] for name in holders], dtype=np.int64)
    ta = np.zeros(len(names))
    cr = np.zeros(len(names))
    ta[at] = target_allocation
    cr[at] = credit
    monthly = distribute_capped(pool, np.maximum(ta - cr, 0.0))
    left = pool - float(monthly.sum())
    before = [state.holder(name) for name in names]
    ytd_deficiency = np.array(
        [
            h.target_allocation + t - h.credit - c - h.monthly_distribution - m - h.annual_distribution
            for h, t, c, m in zip(before, ta, cr, monthly, strict=True)
        ],
        dtype=np.float64,
    )
    annual = distribute_capped(left, np.maximum(ytd_deficiency, 0.0))
    carried = left - float(annual.sum())
    return MonthlyDistribution(
        holders=names,
        target_allocation=ta,
        credit=cr,
        monthly=monthly,
        annual=annual,
        pool=pool,
        carried=carried,
    )


@dataclass(frozen=True, slots=True)
class YearEndDistribution:
    """OA 5.2.6(c): $ per customer (cents-rounded in reports), and what could not be paid out."""

    year: int
    amounts: Mapping[str, float]
    distributed: float
    undistributed: float


def distribute_year_end(state: YearState, customer_charges: Mapping[str, float]) -> YearEndDistribution:
    """Share the year's carried excess in proportion to network demand + firm PTP reserved-capacity charges.

    ``customer_charges`` ($, >= 0, positive total) maps each Network Service User / firm point-to-point
    customer to its charges for the year. December must be settled. A non-positive carry pays nothing
    and is reported as ``undistributed``.
    """
    if state.last_month != 12:
        raise YearStateError(
            "year state", f"year end needs December settled; last month is {state.last_month}"
        )
    names = sorted(customer_charges)
    charges = np.array([float(customer_charges[n]) for n in names], dtype=np.float64)
    bad = [n for n, c in zip(names, charges, strict=True) if not np.isfinite(c) or c < 0]
    if bad:
        raise SettlementInputError("year-end charges", f"charges of {bad[0]!r} must be a finite number >= 0")
    if charges.sum() <= 0:
        raise SettlementInputError("year-end charges", "the customers' charges total must be > 0")
    pool = state.carried_excess
    shares = pool * charges / charges.sum() if pool > 0 else np.zeros_like(charges)
    paid = float(shares.sum())
    return YearEndDistribution(
        year=state.year,
        amounts={n: float(s) for n, s in zip(names, shares, strict=True)},
        distributed=paid,
        undistributed=pool - paid,
    )
