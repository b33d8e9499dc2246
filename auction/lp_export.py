"""One auction's clearing LP as text (CPLEX LP format), built from the same inputs as
:func:`auction.clearing.clear_auction`: the network in the period's conditions and contingency
set, the bids, the offers and the held FTRs. See :mod:`feasibility.lp_export` for what is written."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal

from auction.bids import Bid, HeldFtr, Offer
from auction.clearing import _problem as clearing_problem
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
) -> Iterator[str]:
    """The LP the engine clears (all its rows written; the engine adds them as they bind), by line.

    Column ``x<j>`` is the bid ``j`` (bids first, then offers, in the order given), as the engine
    numbers its products; each is named in a comment line.
    """
    grid = NetworkGrid.build(network, conditions, contingencies)
    yield from lp_lines(clearing_problem(bids, offers, held), grid, header=header)
