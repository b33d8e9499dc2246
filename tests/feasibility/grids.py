"""Small grids shared by the feasibility and auction tests."""

from __future__ import annotations

import numpy as np

from feasibility.dense_grid import DenseGrid
from feasibility.problem import ClearingProblem, ProductTable, build_problem

THREE_BUS_BIDS = (
    ("B1", "1", "3", 100.0, 10.0),
    ("B2", "2", "3", 100.0, 8.0),
    ("B3", "3", "1", 30.0, 1.0),
    ("B4", "1", "3", 40.0, 10.0),
)


def three_bus_grid(**kwargs: object) -> DenseGrid:
    """The worked example of docs/rules.md: x = 0.1 on 1-2, 2-3, 1-3; 60 MW on 1-3; reference bus 3."""
    return DenseGrid.from_branches(
        ["1", "2", "3"],
        "3",
        [0, 1, 0],
        [1, 2, 2],
        [0.1, 0.1, 0.1],
        [1000.0, 1000.0, 60.0],
        branch_ids=["1-2", "2-3", "1-3"],
        **kwargs,  # type: ignore[arg-type]
    )


def three_bus_problem(offer_reservation: float | None = None) -> ClearingProblem:
    """The four bids; with ``offer_reservation``, a held 21 MW FTR 1->3 offered at that price."""
    ids = [b[0] for b in THREE_BUS_BIDS]
    src = [b[1] for b in THREE_BUS_BIDS]
    snk = [b[2] for b in THREE_BUS_BIDS]
    mw = [b[3] for b in THREE_BUS_BIDS]
    val = [b[4] for b in THREE_BUS_BIDS]
    if offer_reservation is None:
        return build_problem(ids, src, snk, mw, val)
    return build_problem(
        [*ids, "O1"],
        [*src, "3"],
        [*snk, "1"],
        [*mw, 21.0],
        [*val, -offer_reservation],
        fixed_sources=["1"],
        fixed_sinks=["3"],
        fixed_mw=[21.0],
    )


def products_taken(p: ClearingProblem, idx: np.ndarray) -> ClearingProblem:
    """``p`` with its products ``idx`` only, in that order (a permutation reorders, a subset drops)."""
    t = p.products
    table = ProductTable(
        ids=tuple(t.ids[i] for i in idx),
        source=t.source[idx],
        sink=t.sink[idx],
        mw_max=t.mw_max[idx],
        value=t.value[idx],
        is_option=t.is_option[idx],
        is_sale=t.is_sale[idx],
    )
    return ClearingProblem(points=p.points, products=table, fixed=p.fixed)
