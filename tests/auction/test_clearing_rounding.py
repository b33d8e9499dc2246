"""Awards in 0.1 MW steps stay feasible: rounding a counterflow down is repaired (OA 7.3.5(d))."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from auction.bids import Bid
from auction.clearing import Award, clear_on_grid
from feasibility.result import Status
from market_terms import Hedge
from tests.feasibility.grids import three_bus_grid
from tests.feasibility.random_cases import Case, base_model_feasible, cases


def test_rounding_down_a_partial_counterflow_is_repaired() -> None:
    # 1-3 rated 60.01 MW. B1 (1->3, 100 MW) needs 9.985 MW of the counterflow B3 (3->1, paid 5 $/MW):
    # the LP clears B3 at 9.985 MW; 9.9 MW would overload 1-3 by 0.057 MW. Raising B3 back to 10.0 MW
    # overloads nothing, so that is the repair (rather than cutting B1 by a step).
    grid = type(three_bus_grid()).from_branches(
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
    assert got == {"B1": 100.0, "B3": 10.0}
    assert len(result.repairs) == 1
    assert result.repairs[0].product_ids == ("B3",) and result.repairs[0].steps == -1
    assert result.summary["checks"]["awards_feasible"] is True
    assert result.summary["checks"]["max_violation_mw"] <= 1e-5
    # the counterflow is marginal: its price is its bid, -5 $/MW; 1 -> 3 is worth 5 $/MW
    prices = {a.id: a.price for a in result.awards}
    assert prices == pytest.approx({"B1": 5.0, "B3": -5.0}, abs=1e-9)
    assert result.summary["surplus_lost_to_rounding"] == pytest.approx(5.0 * 0.015, abs=1e-6)


@st.composite
def auctions(draw: st.DrawFn) -> tuple[Case, list[Bid]]:
    case = draw(cases(max_bids=12))
    t = case.problem.products
    pts = case.problem.points
    bids = [
        Bid(
            t.ids[j],
            "P",
            pts[t.source[j]],
            pts[t.sink[j]],
            float(t.mw_max[j]),
            float(t.value[j]),
            Hedge.OPTION if t.is_option[j] else Hedge.OBLIGATION,
        )
        for j in range(len(t))
    ]
    # a few identical copies so that pro-rata groups occur
    for j in range(draw(st.integers(0, 3))):
        b = bids[draw(st.integers(0, len(bids) - 1))]
        bids.append(
            Bid(
                f"{b.bid_id}-copy{j}",
                "Q",
                b.source,
                b.sink,
                draw(st.integers(1, 500)) / 10.0,
                b.price,
                b.hedge,
            )
        )
    return case, bids


@given(auctions())
@settings(max_examples=40, deadline=None)
def test_rounded_awards_feasible_in_steps_and_pro_rata(data: tuple[Case, list[Bid]]) -> None:
    case, bids = data
    assume(base_model_feasible(case))
    result = clear_on_grid(case.grid, bids)
    assert result.status is Status.OPTIMAL
    assert result.summary["checks"]["awards_feasible"] is True
    tenths = np.array([a.mw_awarded * 10 for a in result.awards])
    np.testing.assert_allclose(tenths, np.rint(tenths), atol=1e-9)
    assert all(0 <= a.mw_awarded <= a.mw_asked + 1e-12 for a in result.awards)
    # identical bids: awards proportional to MW asked within one step
    by_key: dict[tuple[str, str, str, float], list[Award]] = {}
    for b, a in zip(bids, result.awards, strict=True):
        by_key.setdefault((b.source, b.sink, str(b.hedge), b.price), []).append(a)
    for members in by_key.values():
        total = sum(a.mw_awarded for a in members)
        asked = sum(a.mw_asked for a in members)
        for a in members:
            assert abs(a.mw_awarded - total * a.mw_asked / asked) < 0.1 + 1e-9
