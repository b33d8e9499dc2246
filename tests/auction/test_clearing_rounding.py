"""Awards in 0.1 MW steps stay feasible: rounding a counterflow down is repaired (OA 7.3.5(d))."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from auction.award_feasibility import Repair, repair_awards
from auction.bids import AWARD_STEP_MW, Bid
from auction.clearing import Award, clear_on_grid
from auction.pro_rata import to_steps
from feasibility.check import check_awards
from feasibility.dense_grid import DenseGrid
from feasibility.groups import group_products
from feasibility.problem import build_problem
from feasibility.result import Status
from feasibility.solve import solve
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


def _line13_grid(limit_13_mw: float) -> DenseGrid:
    """The three-bus triangle (x = 0.1 everywhere, reference bus 3) with 1-3 rated ``limit_13_mw``:
    a transfer 1 -> 3 puts 2/3 of its MW on 1-3."""
    return DenseGrid.from_branches(
        ["1", "2", "3"],
        "3",
        [0, 1, 0],
        [1, 2, 2],
        [0.1, 0.1, 0.1],
        [1000.0, 1000.0, limit_13_mw],
        branch_ids=["1-2", "2-3", "1-3"],
    )


def _repair(
    grid: DenseGrid, bids: list[Bid], group_steps_of: dict[str, int]
) -> tuple[dict[str, float], Repair]:
    """The LP of ``bids`` on ``grid``, then the repair from the given (single-bid) group totals."""
    problem = build_problem(
        [b.bid_id for b in bids],
        [b.source for b in bids],
        [b.sink for b in bids],
        [b.mw for b in bids],
        [b.price for b in bids],
    )
    lp = solve(problem, grid)
    assert lp.status is Status.OPTIMAL
    groups = group_products(problem.products)
    steps = np.zeros(len(groups), dtype=np.int64)
    for j, pid in enumerate(problem.products.ids):
        steps[groups.group_of_product[j]] = group_steps_of[pid]
    repair = repair_awards(problem, grid, lp, to_steps(problem.products.mw_max), steps, 1e-5)
    got = {
        pid: float(s) * AWARD_STEP_MW
        for pid, s in zip(problem.products.ids, repair.product_steps, strict=True)
    }
    return got, repair


class TestAddBack:
    def test_a_fully_filled_bid_cut_by_a_step_gets_it_back(self) -> None:
        # 1-3 is far from binding: the LP fills A's 57.1 MW; from 57.0 the add-back restores the step
        got, repair = _repair(_line13_grid(60.0), [Bid("A", "P", "1", "3", 57.1, 10.0)], {"A": 570})
        assert got["A"] == pytest.approx(57.1, abs=1e-9)
        assert repair.steps_added_back == 1
        assert repair.max_violation_mw <= 1e-5

    def test_no_step_is_added_that_would_overload(self) -> None:
        # 1-3 holds 57.05 MW of 1 -> 3: the LP clears 57.05, 57.1 would overload it by 0.033 MW
        got, repair = _repair(
            _line13_grid(2.0 / 3.0 * 57.05), [Bid("A", "P", "1", "3", 60.0, 10.0)], {"A": 570}
        )
        assert got["A"] == pytest.approx(57.0, abs=1e-9)
        assert repair.steps_added_back == 0

    def test_the_step_that_fits_goes_to_the_higher_value(self) -> None:
        # room for 45.05 MW 1 -> 3: the LP fills A (20 $/MW, 30 MW) and gives B (10 $/MW) 15.05 MW.
        # From A 29.9 / B 15.0 there is room for one step: it goes back to A, which the LP filled.
        bids = [Bid("A", "P", "1", "3", 30.0, 20.0), Bid("B", "Q", "1", "3", 30.0, 10.0)]
        got, repair = _repair(_line13_grid(2.0 / 3.0 * 45.05), bids, {"A": 299, "B": 150})
        assert got == pytest.approx({"A": 30.0, "B": 15.0}, abs=1e-9)
        assert repair.steps_added_back == 1


def test_rounding_loss_is_reported() -> None:
    # the LP clears 57.05 MW at 10 $/MW; 57.0 MW are awarded: 0.05 MW and 0.5 $ lost to rounding
    result = clear_on_grid(_line13_grid(2.0 / 3.0 * 57.05), [Bid("A", "P", "1", "3", 60.0, 10.0)])
    rounding = result.summary["rounding"]
    assert result.awards[0].mw_awarded == pytest.approx(57.0, abs=1e-9)
    assert rounding["mw_lost"] == pytest.approx(0.05, abs=1e-7)
    assert rounding["surplus_lost"] == pytest.approx(0.5, abs=1e-6)
    assert rounding["surplus_lost_share"] == pytest.approx(0.5 / 570.5, rel=1e-6)
    assert result.summary["surplus_lost_to_rounding"] == pytest.approx(0.5, abs=1e-6)


@given(auctions())
@settings(max_examples=40, deadline=None)
def test_rounded_awards_pass_an_independent_check_and_the_loss_adds_up(data: tuple[Case, list[Bid]]) -> None:
    case, bids = data
    assume(base_model_feasible(case))
    result = clear_on_grid(case.grid, bids)
    assert result.status is Status.OPTIMAL
    problem = build_problem(
        [b.bid_id for b in bids],
        [b.source for b in bids],
        [b.sink for b in bids],
        [b.mw for b in bids],
        [b.price for b in bids],
        [b.hedge is Hedge.OPTION for b in bids],
    )
    awarded = np.array([a.mw_awarded for a in result.awards])
    viol = check_awards(problem, case.grid, awarded, 1e-5)
    assert viol.amount_mw.size == 0 and viol.max_violation_mw <= 1e-5
    prices = np.array([b.price for b in bids])
    lp_mw = result.clearing.product_mw
    rounding = result.summary["rounding"]
    assert rounding["surplus_lost"] == pytest.approx(float(prices @ (lp_mw - awarded)), abs=1e-6)
    assert rounding["mw_lost"] == pytest.approx(float(np.sum(lp_mw - awarded)), abs=1e-6)
    # a product is never awarded above its LP value rounded up to a step
    assert np.all(awarded <= np.ceil(lp_mw / AWARD_STEP_MW - 1e-6) * AWARD_STEP_MW + 1e-9)
