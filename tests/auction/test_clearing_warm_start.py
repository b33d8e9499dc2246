"""A warm start from rows known to bind: the same clearing in fewer rounds."""

from __future__ import annotations

import numpy as np
import pytest

from auction.bids import Bid
from auction.clearing import clear_on_grid
from feasibility.result import Status
from tests.feasibility.grids import three_bus_grid

BIDS = [
    Bid("B1", "P", "1", "3", 100.0, 10.0),
    Bid("B2", "P", "2", "3", 100.0, 8.0),
    Bid("B3", "Q", "3", "1", 30.0, 1.0),
    Bid("B4", "R", "1", "3", 40.0, 10.0),
]


class TestWarmStart:
    def test_the_binding_rows_of_a_clearing_give_the_same_result_in_one_round(self) -> None:
        grid = three_bus_grid()
        cold = clear_on_grid(grid, BIDS)
        rows = [(b.constraint_id, b.contingency_id, b.direction) for b in cold.binding_constraints]
        warm = clear_on_grid(grid, BIDS, warm_start=rows)
        assert cold.status is Status.OPTIMAL and warm.status is Status.OPTIMAL
        assert cold.summary["iterations"] == 2 and warm.summary["iterations"] == 1
        assert [a.mw_awarded for a in warm.awards] == [a.mw_awarded for a in cold.awards]
        np.testing.assert_allclose([a.price for a in warm.awards], [a.price for a in cold.awards], atol=1e-9)
        assert warm.summary["surplus"] == pytest.approx(cold.summary["surplus"], rel=1e-12)
        assert warm.summary["warm_start"] == {"rows_given": 1, "rows_used": 1}

    def test_rows_the_grid_does_not_have_are_skipped(self) -> None:
        grid = three_bus_grid()
        rows = [("1-3", None, 1), ("9-9", None, 1), ("1-3", "no such outage", -1), ("1-2", None, 1)]
        warm = clear_on_grid(grid, BIDS, warm_start=rows)
        assert warm.summary["warm_start"] == {"rows_given": 4, "rows_used": 2}
        # a row that does not bind (1-2) is in the LP and changes nothing
        cold = clear_on_grid(grid, BIDS)
        assert [a.mw_awarded for a in warm.awards] == [a.mw_awarded for a in cold.awards]
        assert len(warm.binding_constraints) == 1
