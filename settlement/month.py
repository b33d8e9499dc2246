"""One month's settlement, in order: target allocations -> forfeiture -> hourly credits -> excess.

``settle_month`` is pure: inputs are frozen/read-only and the result carries the new year state
(:mod:`settlement.year_state`). Money is conserved and checked (raising ``RuntimeError``, a bug, never
a data problem): every hour ``credits + excess = charges`` and for the month
``credits + monthly + annual distributions + carried = charges``, within
:func:`settlement.money.conservation_tolerance`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from market_calendar import month_hour_index, on_peak_mask
from market_terms.arrays import BoolArray, FloatArray
from settlement.charges import HourlyCharges
from settlement.credits import HourlyCredits, hourly_credits
from settlement.errors import SettlementInputError
from settlement.excess import MonthlyDistribution, distribute_month
from settlement.forfeiture import Forfeiture, ForfeitureInputs, apply_forfeiture, find_forfeitures
from settlement.holders import HolderIndex, index_holders
from settlement.money import conservation_tolerance
from settlement.positions import FtrRecord, Positions, Transfer, build_positions, partial_positions
from settlement.prices import HourlyPrices
from settlement.target_allocation import target_allocations
from settlement.year_state import HolderYear, YearState


@dataclass(frozen=True, slots=True, eq=False)
class MonthSettlement:
    """Everything a statement needs for one month. Matrices are ``(positions | holders, hours)``, $.

    ``target_allocation`` is after forfeiture (``+ forfeiture`` gives the uncapped TA); a position's
    credit is ``payout_ratio[h] x target_allocation[p, h]`` (:meth:`position_credits`).
    """

    year: int
    month: int
    hours: pd.DatetimeIndex
    on_peak: BoolArray
    positions: Positions
    holders: HolderIndex
    target_allocation: FloatArray
    active: BoolArray
    forfeiture: Forfeiture
    charges: HourlyCharges
    hourly: HourlyCredits
    holder_target_allocation: FloatArray
    holder_credit: FloatArray
    holder_active: BoolArray
    distribution: MonthlyDistribution
    state_before: YearState
    state_after: YearState

    def position_credits(self, rows: NDArray[np.int64] | None = None) -> FloatArray:
        """``credit[p, h] = r_h x TA[p, h]`` for ``rows`` (all positions if None)."""
        values = self.target_allocation if rows is None else self.target_allocation[rows]
        credits: FloatArray = values * self.hourly.payout_ratio[None, :]
        return credits

    @property
    def holder_forfeited(self) -> FloatArray:
        """Forfeited $ per holder for the month."""
        per_position = np.bincount(
            self.forfeiture.position, weights=self.forfeiture.forfeited, minlength=len(self.positions)
        )
        return self.holders.sum_rows(per_position)


def settle_month(
    year: int,
    month: int,
    ftrs: Sequence[FtrRecord] | Positions,
    prices: HourlyPrices,
    charges: HourlyCharges,
    state: YearState | None = None,
    *,
    transfers: Sequence[Transfer] = (),
    forfeiture_inputs: ForfeitureInputs | None = None,
) -> MonthSettlement:
    """Settle ``(year, month)`` (EPT calendar month) and return the result with the updated year state.

    ``ftrs`` is the month's FTR records (split at ``transfers``), or positions already built for the
    month's hours, e.g. by :func:`settlement.positions.positions_from_holdings` from a holdings-by-hour
    matrix.

    ``prices`` (day-ahead, congestion component where given) and ``charges`` must be for exactly the
    month's hours (:func:`market_calendar.month_hour_index`). ``state`` defaults to a new year state
    starting at this month; otherwise it must be the state after the previous month.
    """
    state = YearState.new(year, month) if state is None else state
    state.check_next(year, month)
    hours = month_hour_index(year, month)
    for name, index in (("prices", prices.hours), ("charges", charges.hours)):
        if not index.equals(hours):
            raise SettlementInputError(
                name, f"hours do not match the {len(hours)} hours of {year}-{month:02d}"
            )
    on_peak = on_peak_mask(hours)
    if isinstance(ftrs, Positions):
        if transfers:
            raise SettlementInputError(
                "transfers", "give transfers with FTR records, not with built positions"
            )
        positions = ftrs
        if len(positions) and int(positions.stop.max()) > len(hours):
            raise SettlementInputError(
                "positions", f"positions run past the {len(hours)} hours of {year}-{month:02d}"
            )
    else:
        positions = build_positions(ftrs, hours, transfers)
    targets = target_allocations(positions, prices, on_peak)
    forfeiture = (
        Forfeiture.none()
        if forfeiture_inputs is None
        else find_forfeitures(positions, targets, prices, forfeiture_inputs, len(hours))
    )
    values = apply_forfeiture(targets.values, forfeiture)
    hourly = hourly_credits(values.sum(axis=0), charges.total)
    holders = index_holders(positions.holder)
    holder_ta = holders.sum_rows(values)
    holder_credit = holder_ta * hourly.payout_ratio[None, :]
    holder_active = _holder_active(positions, holders, targets.active, on_peak)
    _check_hours(hourly, holder_credit)

    month_ta = holder_ta.sum(axis=1)
    month_credit = holder_credit.sum(axis=1)
    pool = float(hourly.excess.sum())
    distribution = distribute_month(pool, holders.names, month_ta, month_credit, state)
    forfeited = holders.sum_rows(
        np.bincount(forfeiture.position, weights=forfeiture.forfeited, minlength=len(positions))
    )
    forfeited_by_name = dict(zip(holders.names, forfeited.tolist(), strict=True))
    updated = {}
    for i, name in enumerate(distribution.holders):
        h = state.holder(name)
        updated[name] = HolderYear(
            target_allocation=h.target_allocation + float(distribution.target_allocation[i]),
            credit=h.credit + float(distribution.credit[i]),
            monthly_distribution=h.monthly_distribution + float(distribution.monthly[i]),
            annual_distribution=h.annual_distribution + float(distribution.annual[i]),
            forfeited=h.forfeited + forfeited_by_name.get(name, 0.0),
        )
    after = state.advanced(month, updated, state.carried_excess + distribution.carried)
    _check_month(hourly, month_credit, distribution)
    return MonthSettlement(
        year=year,
        month=month,
        hours=hours,
        on_peak=on_peak,
        positions=positions,
        holders=holders,
        target_allocation=values,
        active=targets.active,
        forfeiture=forfeiture,
        charges=charges,
        hourly=hourly,
        holder_target_allocation=holder_ta,
        holder_credit=holder_credit,
        holder_active=holder_active,
        distribution=distribution,
        state_before=state,
        state_after=after,
    )


def _holder_active(
    positions: Positions, holders: HolderIndex, active: BoolArray, on_peak: BoolArray
) -> BoolArray:
    """``[i, h]``: holder ``i`` holds an FTR earning in hour ``h`` (no holders x positions product)."""
    n_holders = len(holders.names)
    partial = partial_positions(positions, len(on_peak))
    whole = np.ones(len(positions), dtype=bool)
    whole[partial] = False
    codes = holders.of_position
    has_on = np.bincount(codes[whole & positions.on_peak], minlength=n_holders) > 0
    has_off = np.bincount(codes[whole & ~positions.on_peak], minlength=n_holders) > 0
    result: BoolArray = (has_on[:, None] & on_peak[None, :]) | (has_off[:, None] & ~on_peak[None, :])
    for p in partial:
        result[codes[p]] |= active[p]
    return result


def _check_hours(hourly: HourlyCredits, holder_credit: FloatArray) -> None:
    paid = holder_credit.sum(axis=0)
    gross = np.abs(holder_credit).sum(axis=0) + np.abs(hourly.charges)
    imbalance = np.abs(paid + hourly.excess - hourly.charges)
    bad = np.flatnonzero(imbalance > conservation_tolerance(gross))
    if len(bad):
        raise RuntimeError(
            f"money not conserved in hour {int(bad[0])}: imbalance {float(imbalance[bad[0]])!r} $"
        )


def _check_month(hourly: HourlyCredits, month_credit: FloatArray, distribution: MonthlyDistribution) -> None:
    charges = float(hourly.charges.sum())
    out = (
        float(month_credit.sum() + distribution.monthly.sum() + distribution.annual.sum())
        + distribution.carried
    )
    gross = float(np.abs(hourly.charges).sum() + np.abs(month_credit).sum())
    if abs(out - charges) > float(conservation_tolerance(gross)):
        raise RuntimeError(f"money not conserved in the month: paid {out!r} $ vs charges {charges!r} $")
