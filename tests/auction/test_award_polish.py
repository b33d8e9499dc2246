"""The last 0.1 MW steps chosen by the small integer program (auction.award_polish)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from auction.award_polish import polish_steps


def test_two_cheaper_steps_beat_one_dear_step_that_fills_the_row() -> None:
    # one row with 0.2001 MW left. A (5 $/MW) loads it 1 MW per MW: its 2 steps fill it (1.0 $).
    # B and C (4 $/MW) load it 0.5 MW per MW: 2 steps of each fit together (1.6 $). Greedy by value
    # takes A; the optimum takes B and C.
    value_per_step = np.array([5.0, 4.0, 4.0]) * 0.1
    cols = np.array([[1.0], [0.5], [0.5]])
    out = polish_steps(value_per_step, cols, np.array([0.2001]), np.zeros(3, dtype=np.int64), np.full(3, 2))
    assert out.change.tolist() == [0, 2, 2]
    assert abs(out.gain - 1.6) < 1e-9
    assert out.rows == 1


def test_a_step_down_of_a_loading_group_makes_room_for_a_dearer_one() -> None:
    # no slack: A (2 $/MW) may give a step back (it holds 1 step it may lose), B (9 $/MW) wants one
    value_per_step = np.array([2.0, 9.0]) * 0.1
    cols = np.array([[1.0], [1.0]])
    out = polish_steps(value_per_step, cols, np.array([0.0]), np.array([-1, 0]), np.array([0, 1]))
    assert out.change.tolist() == [-1, 1]
    assert abs(out.gain - 0.7) < 1e-9


def test_a_row_no_choice_can_overload_is_left_out() -> None:
    value_per_step = np.array([1.0]) * 0.1
    cols = np.array([[1.0, 1.0]])
    # row 0: 0.05 MW left (binds a step); row 1: 10 MW left (three steps put 0.3 MW on it)
    out = polish_steps(
        value_per_step, cols, np.array([0.05, 10.0]), np.zeros(1, dtype=np.int64), np.array([3])
    )
    assert out.rows == 1
    assert out.change.tolist() == [0]
    assert out.gain == 0.0


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=0, max_value=2**31 - 1))
def test_the_answer_fits_every_row_and_never_loses_against_doing_nothing(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 12)), int(rng.integers(1, 6))
    value_per_step = rng.normal(0.0, 1.0, n)
    cols = rng.normal(0.0, 1.0, (n, m))
    slack = rng.uniform(0.0, 0.5, m)
    lower = -rng.integers(0, 3, n)
    upper = rng.integers(0, 4, n)
    out = polish_steps(value_per_step, cols, slack, lower, upper)
    assert np.all(out.change >= lower) and np.all(out.change <= upper)
    assert np.all((out.change * 0.1) @ cols <= slack + 1e-9)
    assert out.gain >= 0.0
    assert abs(out.gain - float(value_per_step @ out.change)) < 1e-9
    # exhaustive optimum on the small ones
    if n <= 5:
        grids = (
            np.array(np.meshgrid(*[np.arange(lo, hi + 1) for lo, hi in zip(lower, upper, strict=True)]))
            .reshape(n, -1)
            .T
        )
        fit = np.all((grids * 0.1) @ cols <= slack - 1e-7, axis=1)
        best = float(np.max(grids[fit] @ value_per_step))
        assert out.gain >= best - 1e-9
