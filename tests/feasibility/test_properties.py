"""Invariants of the clearing LP on random small networks (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from feasibility.check import check_awards
from feasibility.problem import ClearingProblem
from feasibility.reference import ReferenceResult, solve_reference
from feasibility.result import ClearingOptions, ClearingResult, Formulation, Status, Strategy
from feasibility.solve import solve
from tests.feasibility.grids import products_taken
from tests.feasibility.random_cases import Case, base_model_feasible, cases

PRICE_TOL = 1e-6  # $/MW
MW_TOL = 1e-6
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])


def duals_unique(case: Case, ref: ReferenceResult) -> bool:
    """A sufficient test for unique shadow prices: no more tight rows than partially filled bids."""
    tight = int(np.sum(np.abs(ref.row_slack_mw) <= 1e-7))
    mw = ref.product_mw
    partial = int(np.sum((mw > 1e-7) & (mw < case.problem.products.mw_max - 1e-7)))
    return tight <= partial


def fast(case: Case, **kwargs: object) -> ClearingResult:
    return solve(case.problem, case.grid, ClearingOptions(**kwargs))  # type: ignore[arg-type]


class TestFeasibleAndOptimal:
    @given(cases())
    @SETTINGS
    def test_awards_are_feasible_on_every_row(self, case: Case) -> None:
        assume(base_model_feasible(case))
        result = fast(case)
        assert result.status is Status.OPTIMAL
        viol = check_awards(case.problem, case.grid, result.product_mw, 1e-5)
        assert viol.amount_mw.size == 0
        assert np.all(result.product_mw >= 0) and np.all(
            result.product_mw <= case.problem.products.mw_max + MW_TOL
        )

    @given(cases())
    @SETTINGS
    def test_fast_path_equals_pyomo_full_formulation(self, case: Case) -> None:
        assume(base_model_feasible(case))
        result = fast(case)
        ref = solve_reference(case.problem, case.grid)
        assert ref.optimal
        assert abs(result.surplus - ref.surplus) <= 1e-6 * max(1.0, abs(ref.surplus))
        unique = duals_unique(case, ref)
        event(f"unique duals: {unique}; binding rows: {min(len(result.binding), 3)}")
        assume(unique)
        np.testing.assert_allclose(result.point_prices, ref.point_prices, atol=PRICE_TOL)
        np.testing.assert_allclose(result.product_prices, ref.product_prices, atol=PRICE_TOL)

    @given(cases(option_offer=True))
    @SETTINGS
    def test_held_option_offers_fast_path_equals_pyomo_and_feasible(self, case: Case) -> None:
        assume(base_model_feasible(case))
        result = fast(case)
        ref = solve_reference(case.problem, case.grid)
        assert ref.optimal
        assert abs(result.surplus - ref.surplus) <= 1e-6 * max(1.0, abs(ref.surplus))
        viol = check_awards(case.problem, case.grid, result.product_mw, 1e-5)
        assert viol.amount_mw.size == 0
        event(f"option sold: {bool(np.any(result.product_mw[case.problem.products.is_sale] > MW_TOL))}")
        assume(duals_unique(case, ref))
        np.testing.assert_allclose(result.product_prices, ref.product_prices, atol=PRICE_TOL)

    @given(
        cases(),
        st.sampled_from([(Formulation.DENSE, Strategy.GENERATION), (Formulation.NODAL, Strategy.FULL)]),
    )
    @SETTINGS
    def test_formulations_and_strategies_agree(
        self, case: Case, variant: tuple[Formulation, Strategy]
    ) -> None:
        assume(base_model_feasible(case))
        a = fast(case)
        b = fast(case, formulation=variant[0], strategy=variant[1])
        assert abs(a.surplus - b.surplus) <= 1e-6 * max(1.0, abs(a.surplus))


class TestPrices:
    @given(cases())
    @SETTINGS
    def test_unfilled_priced_at_or_above_bid_and_filled_at_or_below(self, case: Case) -> None:
        assume(base_model_feasible(case))
        result = fast(case)
        value = case.problem.products.value
        mw = case.problem.products.mw_max
        got = result.product_mw
        price = result.product_prices
        not_full = got < mw - MW_TOL
        some = got > MW_TOL
        assert np.all(value[not_full] <= price[not_full] + PRICE_TOL)
        assert np.all(value[some] >= price[some] - PRICE_TOL)

    @given(cases(options=True))
    @SETTINGS
    def test_option_prices_never_negative(self, case: Case) -> None:
        assume(base_model_feasible(case))
        result = fast(case)
        prod = case.problem.products
        # a sold option's product price is minus the option's price: the seller is paid >= 0
        assert np.all(result.product_prices[prod.is_option & ~prod.is_sale] >= -PRICE_TOL)
        assert np.all(result.product_prices[prod.is_option & prod.is_sale] <= PRICE_TOL)

    @given(cases(), st.data())
    @SETTINGS
    def test_removing_a_non_binding_bid_leaves_prices_unchanged(
        self, case: Case, data: st.DataObject
    ) -> None:
        assume(base_model_feasible(case))
        result = fast(case)
        idle = np.flatnonzero(
            (result.product_mw <= MW_TOL) & (case.problem.products.value < result.product_prices - 1e-3)
        )
        assume(idle.size > 0 and len(case.problem.products) > 1)
        ref = solve_reference(case.problem, case.grid)
        assume(duals_unique(case, ref))
        drop = int(data.draw(st.sampled_from(idle.tolist())))
        smaller = _without(case.problem, drop)
        again = solve(smaller, case.grid)
        np.testing.assert_allclose(again.point_prices, result.point_prices, atol=PRICE_TOL)
        assert abs(again.surplus - result.surplus) <= 1e-6 * max(1.0, abs(result.surplus))


class TestDeterminism:
    @given(cases(), st.randoms(use_true_random=False))
    @SETTINGS
    def test_bid_order_does_not_change_anything_bit_for_bit(self, case: Case, rnd: object) -> None:
        assume(base_model_feasible(case))
        n = len(case.problem.products)
        perm = np.arange(n)
        rnd.shuffle(perm)  # type: ignore[attr-defined]
        shuffled = _permuted(case.problem, perm)
        a = solve(case.problem, case.grid)
        b = solve(shuffled, case.grid)
        assert np.array_equal(b.product_mw, a.product_mw[perm])
        assert np.array_equal(b.point_prices, a.point_prices)
        assert a.surplus == b.surplus


def _permuted(p: ClearingProblem, perm: np.ndarray) -> ClearingProblem:
    return products_taken(p, perm)


def _without(p: ClearingProblem, j: int) -> ClearingProblem:
    keep = np.array([i for i in range(len(p.products)) if i != j], dtype=np.int64)
    return products_taken(p, keep)
