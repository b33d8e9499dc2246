"""The exact merit-order dispatch against HiGHS's QP on the balance alone."""

from __future__ import annotations

import highspy
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.economic_dispatch import economic_dispatch
from simulation.offers import OfferStack


def stack(lo: list[float], hi: list[float], c1: list[float], c2: list[float]) -> OfferStack:
    n = len(lo)
    return OfferStack(
        generator_ids=tuple(f"G{i}" for i in range(n)),
        bus=np.zeros(n, dtype=np.int64),
        pmin_mw=np.array(lo),
        pmax_mw=np.array(hi),
        c2=np.array(c2),
        c1=np.array(c1),
        c0=np.zeros(n),
    )


def test_quadratic_units_share_at_equal_marginal_cost() -> None:
    # 0.02 p + 10 = 0.04 q + 12 and p + q = 300: p = 233.33, q = 66.67, lambda = 14.67
    d = economic_dispatch(stack([0, 0], [500, 500], [10, 12], [0.01, 0.02]), 300.0)
    assert d is not None
    assert d.price == pytest.approx(10 + 0.02 * 700 / 3, abs=1e-12)
    np.testing.assert_allclose(d.output_mw, [700 / 3, 200 / 3], atol=1e-9)


def test_linear_marginal_units_share_in_proportion_to_range() -> None:
    d = economic_dispatch(stack([0, 0, 10], [100, 100, 50], [5, 20, 20], [0, 0, 0]), 130.0)
    assert d is not None
    assert d.price == 20.0
    # unit 1 (c1 5) runs flat out; units 2 and 3 at 20 $/MWh share the other 30 MW above unit 3's
    # 10 MW minimum in proportion to their ranges 100 and 40
    np.testing.assert_allclose(d.output_mw, [100.0, 20 * 100 / 140, 10.0 + 20 * 40 / 140], atol=1e-12)


def test_demand_outside_the_range_has_no_dispatch() -> None:
    offers = stack([10, 0], [100, 100], [5, 6], [0, 0.01])
    assert economic_dispatch(offers, 5.0) is None
    assert economic_dispatch(offers, 250.0) is None


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 8))
def test_matches_the_qp_without_limits(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    lo = rng.uniform(0, 20, n) * (rng.random(n) < 0.5)
    hi = lo + rng.uniform(1, 200, n)
    c1 = rng.choice([10.0, 20.0, 30.0], n) + rng.uniform(0, 1, n) * (rng.random(n) < 0.5)
    c2 = rng.uniform(0.001, 0.05, n) * (rng.random(n) < 0.6)
    offers = stack(list(lo), list(hi), list(c1), list(c2))
    demand = float(rng.uniform(lo.sum(), hi.sum()))
    d = economic_dispatch(offers, demand)
    assert d is not None
    assert d.output_mw.sum() == pytest.approx(demand, abs=1e-7)
    assert np.all(d.output_mw >= lo - 1e-9) and np.all(d.output_mw <= hi + 1e-9)
    # the same problem as a QP solved by HiGHS directly
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("qp_regularization_value", 1e-11)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, 1
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = c1, lo, hi
    lp.row_lower_ = lp.row_upper_ = np.array([demand])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array([0, n], dtype=np.int32)
    lp.a_matrix_.index_ = np.arange(n, dtype=np.int32)
    lp.a_matrix_.value_ = np.ones(n)
    model = highspy.HighsModel()
    model.lp_ = lp
    hessian = highspy.HighsHessian()
    hessian.dim_, hessian.format_ = n, highspy.HessianFormat.kTriangular
    hessian.start_ = np.arange(n + 1, dtype=np.int32)
    hessian.index_ = np.arange(n, dtype=np.int32)
    hessian.value_ = 2.0 * c2
    model.hessian_ = hessian
    highs.passModel(model)
    highs.run()
    x = np.asarray(highs.getSolution().col_value)
    cost = float(np.sum(c2 * d.output_mw**2 + c1 * d.output_mw))
    assert cost == pytest.approx(float(np.sum(c2 * x**2 + c1 * x)), rel=1e-8, abs=1e-6)
    if np.any((x > lo + 1e-6) & (x < hi - 1e-6)):  # a unit is marginal: the price is unique
        assert d.price == pytest.approx(float(highs.getSolution().row_dual[0]), abs=1e-5)
