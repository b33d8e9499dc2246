"""One auction's clearing LP as text (CPLEX LP format), built from the same inputs as
:func:`auction.clearing.clear_auction`: the network in the period's conditions and contingency
set, the bids, the offers and the held FTRs. See :mod:`feasibility.lp_export` for what is written."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal

import numpy as np

from auction.bids import Bid, HeldFtr, Offer
from auction.clearing import _problem as clearing_problem
from feasibility.grid import BASE_CASE
from feasibility.lp_export import lp_lines
from feasibility.network_grid import NetworkGrid
from network.model import Contingency, Network, PeriodConditions


def clearing_lp_lines(
    network: Network,
    bids: Sequence[Bid],
    offers: Sequence[Offer] = (),
    held: Sequence[HeldFtr] = (),
    *,
    conditions: PeriodConditions | None = None,
    contingencies: Sequence[Contingency] | Literal["all"] | None = None,
    header: Sequence[str] = (),
    binding: Sequence[tuple[str, str | None]] | None = None,
) -> Iterator[str]:
    """The LP the engine clears, by line: every row, or (``binding``) both directions of the rows
    of these (constraint id, contingency id or ``None`` for the base case) only, the rows the
    clearing found binding (same optimum; the engine adds rows as they bind).

    Column ``x<j>`` is the bid ``j`` (bids first, then offers, in the order given), as the engine
    numbers its products; each is named in a comment line.
    """
    grid = NetworkGrid.build(network, conditions, contingencies)
    rows = None
    if binding is not None:
        cons_at = {c: i for i, c in enumerate(grid.constraint_ids)}
        case_at = {c: i for i, c in enumerate(grid.contingency_ids)}
        keys = [
            (cons_at[c], BASE_CASE if k is None else case_at[k], d)
            for d in (1, -1)
            for c, k in binding
            if c in cons_at and (k is None or k in case_at)
        ]
        cons, case, direction = (
            (np.array(col, dtype=np.int64) for col in zip(*keys, strict=True))
            if keys
            else (np.zeros(0, dtype=np.int64) for _ in range(3))
        )
        rows = (cons, case, direction)
    yield from lp_lines(clearing_problem(bids, offers, held), grid, header=header, rows=rows)
