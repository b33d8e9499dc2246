"""Pro-rata split of identical bids in 0.1 MW steps (OA 7.3.6(b), OA 7.3.5(d))."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from auction.pro_rata import group_steps_down, split_steps, to_steps


class TestSplitSteps:
    def test_worked_example_70_mw_over_100_and_40(self) -> None:
        out = split_steps(np.array([0, 0]), to_steps(np.array([100.0, 40.0])), np.array([700]), ["B1", "B4"])
        assert out.tolist() == [500, 200]

    def test_remainder_goes_to_largest_fraction(self) -> None:
        # 1.0 MW over three bids of 1.0 MW: 10 steps, 3.33 each; the one step left goes to the smallest id
        out = split_steps(
            np.zeros(3, dtype=np.int64), np.array([10, 10, 10]), np.array([10]), ["c", "a", "b"]
        )
        assert out.tolist() == [3, 4, 3]

    def test_remainder_prefers_larger_ask_on_equal_fraction(self) -> None:
        # asks 1 and 3 steps, total 2: exact shares 0.5 and 1.5 -> remainders equal (1/2), larger ask wins
        out = split_steps(np.zeros(2, dtype=np.int64), np.array([1, 3]), np.array([2]), ["a", "b"])
        assert out.tolist() == [0, 2]

    def test_group_total_rounds_down_with_snap(self) -> None:
        assert group_steps_down(np.array([69.99999999, 70.04, 0.0, 0.09])).tolist() == [700, 700, 0, 0]


@st.composite
def groups(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    n = draw(st.integers(1, 12))
    g = np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), dtype=np.int64)
    asked = np.array(draw(st.lists(st.integers(1, 2000), min_size=n, max_size=n)), dtype=np.int64)
    n_groups = int(g.max()) + 1
    asked_total = np.bincount(g, asked, minlength=n_groups)
    totals = np.array([draw(st.integers(0, int(a))) for a in asked_total], dtype=np.int64)
    ids = [f"b{i:02d}" for i in range(n)]
    return g, asked, totals, ids


class TestSplitProperties:
    @given(groups())
    @settings(max_examples=200, deadline=None)
    def test_totals_kept_bounds_respected_and_close_to_exact_share(
        self, data: tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]
    ) -> None:
        g, asked, totals, ids = data
        out = split_steps(g, asked, totals, ids)
        np.testing.assert_array_equal(np.bincount(g, out, minlength=len(totals)), totals)
        assert np.all(out >= 0) and np.all(out <= asked)
        exact = totals[g] * asked / np.bincount(g, asked, minlength=len(totals))[g]
        assert np.all(np.abs(out - exact) < 1.0)

    @given(groups(), st.randoms(use_true_random=False))
    @settings(max_examples=100, deadline=None)
    def test_order_of_bids_does_not_matter(
        self, data: tuple[np.ndarray, np.ndarray, np.ndarray, list[str]], rnd: object
    ) -> None:
        g, asked, totals, ids = data
        perm = np.arange(len(g))
        rnd.shuffle(perm)  # type: ignore[attr-defined]
        out = split_steps(g, asked, totals, ids)
        out_p = split_steps(g[perm], asked[perm], totals, [ids[i] for i in perm])
        np.testing.assert_array_equal(out_p, out[perm])
