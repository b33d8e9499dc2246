"""Awards in 0.1 MW steps stay feasible: rounding a counterflow down is repaired (OA 7.3.5(d))."""

from __future__ import annotations

import pytest

from auction.bids import Bid
from auction.clearing import clear_on_grid
from feasibility.result import Status
from tests.feasibility.grids import three_bus_grid


def test_rounding_down_a_partial_counterflow_is_repaired() -> None:
    # 1-3 rated 60.01 MW. B1 (1->3, 100 MW) needs 9.985 MW of the counterflow B3 (3->1, paid 5 $/MW):
    # the LP clears B3 at 9.985 MW; 9.9 MW would overload 1-3 by 0.057 MW, so B1 gives up one step.
    grid = three_bus_grid()
    grid = type(grid).from_branches(
        ["1", "2", "3"],
        "3",
        [0, 1, 0],
        [1, 2, 2],
        [0.1, 0.1, 0.1],
        [1000.0, 1000.0, 60.01],
        branch_ids=["1-2", "2-3", "1-3"],
    )
    bids = [Bid("B1", "P", "1", "3", 100.0, 10.0), Bid("B3", "Q", "3", "1", 30.0, -5.0)]
    result = clear_on_grid(grid, bids)
    assert result.status is Status.OPTIMAL
    assert result.clearing.product_mw[1] == pytest.approx(9.985, abs=1e-7)
    got = {a.id: a.mw_awarded for a in result.awards}
    assert got == {"B1": 99.9, "B3": 9.9}
    assert len(result.repairs) == 1 and result.repairs[0].product_ids == ("B1",)
    assert result.summary["checks"]["awards_feasible"] is True
    assert result.summary["checks"]["max_violation_mw"] <= 1e-5
    # the counterflow is marginal: its price is its bid, -5 $/MW; 1 -> 3 is worth 5 $/MW
    prices = {a.id: a.price for a in result.awards}
    assert prices == pytest.approx({"B1": 5.0, "B3": -5.0}, abs=1e-9)
    assert result.summary["surplus_lost_to_rounding"] == pytest.approx(10.0 * 0.1 - 5.0 * 0.085, abs=1e-6)
