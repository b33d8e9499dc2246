"""Re-settling after a data correction: re-flow the rest of the year and show what changed per holder.

A settled month is never edited. When a month's data are corrected, the month is settled again from
the year state stored *before* it (:attr:`MonthSettlement.state_before`), and so is every later month
of the year already settled, because OA 5.2.6(b) makes each month depend on the year to date. The
service stores the new results as a new version beside the old and shows :func:`holder_differences`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from market_terms.money import array_round_to_cent
from settlement.charges import HourlyCharges
from settlement.errors import YearStateError
from settlement.forfeiture import ForfeitureInputs
from settlement.month import MonthSettlement, settle_month
from settlement.positions import FtrRecord, Positions, Transfer
from settlement.prices import HourlyPrices
from settlement.statements import holder_monthly_frame
from settlement.year_state import YearState

AMOUNT_COLUMNS = ("target_allocation", "credit", "monthly_distribution", "annual_distribution", "forfeited")


@dataclass(frozen=True, slots=True, eq=False)
class MonthInputs:
    """Everything :func:`settle_month` needs for one month besides the year state."""

    month: int
    ftrs: Sequence[FtrRecord] | Positions
    prices: HourlyPrices
    charges: HourlyCharges
    transfers: Sequence[Transfer] = ()
    forfeiture_inputs: ForfeitureInputs | None = None


def resettle(
    year: int, months: Sequence[MonthInputs], state_before: YearState
) -> tuple[MonthSettlement, ...]:
    """Settle ``months`` (consecutive, ascending) in order from ``state_before``; each feeds the next."""
    numbers = [m.month for m in months]
    if numbers != list(range(state_before.last_month + 1, state_before.last_month + 1 + len(numbers))):
        raise YearStateError(
            "months", f"months {numbers} do not follow month {state_before.last_month} in order"
        )
    results: list[MonthSettlement] = []
    state = state_before
    for inputs in months:
        result = settle_month(
            year,
            inputs.month,
            inputs.ftrs,
            inputs.prices,
            inputs.charges,
            state,
            transfers=inputs.transfers,
            forfeiture_inputs=inputs.forfeiture_inputs,
        )
        results.append(result)
        state = result.state_after
    return tuple(results)


def holder_differences(old: MonthSettlement, new: MonthSettlement) -> pd.DataFrame:
    """Per holder of either version: each $ amount old, new and ``new - old`` (cents), changed rows only.

    Columns: ``holder`` then ``<amount>_old``, ``<amount>_new``, ``<amount>_change`` for target
    allocation, credit, monthly and annual distribution and forfeiture.
    """
    if (old.year, old.month) != (new.year, new.month):
        raise ValueError(f"comparing {old.year}-{old.month:02d} with {new.year}-{new.month:02d}")
    return monthly_differences(holder_monthly_frame(old), holder_monthly_frame(new))


def monthly_differences(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """:func:`holder_differences` from the two versions' :func:`holder_monthly_frame` (so the old
    version's matrices need not be kept while the new one is settled)."""
    before = old.set_index("holder")[list(AMOUNT_COLUMNS)]
    after = new.set_index("holder")[list(AMOUNT_COLUMNS)]
    holders = before.index.union(after.index)
    before = before.reindex(holders, fill_value=0.0)
    after = after.reindex(holders, fill_value=0.0)
    frame = pd.DataFrame(index=holders)
    for column in AMOUNT_COLUMNS:
        frame[f"{column}_old"] = before[column]
        frame[f"{column}_new"] = after[column]
        frame[f"{column}_change"] = array_round_to_cent(after[column] - before[column])
    changed = (frame[[f"{c}_change" for c in AMOUNT_COLUMNS]] != 0).any(axis=1)
    return frame[changed].rename_axis("holder").reset_index()
