"""The streamed LP export: HiGHS reading it back finds the engine's (= the reference's) surplus, in
blocks of any size; the same inputs give the same bytes; every row and column is named in a comment."""

from __future__ import annotations

from pathlib import Path

import highspy
import numpy as np
import pytest

from feasibility.highs_lp import quiet_highs
from feasibility.lp_export import lp_lines
from feasibility.problem import build_problem
from feasibility.result import ClearingOptions, Formulation
from feasibility.solve import solve
from tests.feasibility.grids import three_bus_grid, three_bus_problem
from tests.feasibility.test_reference import medium_case


def _resolve(text: str, tmp_path: Path) -> float:
    path = tmp_path / "auction.lp"
    path.write_text(text)
    h = quiet_highs()
    h.setOptionValue("threads", 1)  # as the engine: HiGHS's thread scheduler is global to the process
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    h.run()
    assert h.modelStatusToString(h.getModelStatus()) == "Optimal"
    return float(h.getInfo().objective_function_value)


def test_three_bus_resolves_to_the_reference_surplus(tmp_path: Path) -> None:
    text = "".join(lp_lines(three_bus_problem(6.0), three_bus_grid(), header=["auction 1 on_peak"]))
    assert text.startswith("\\ auction 1 on_peak\n") and text.endswith("End\n")
    assert _resolve(text, tmp_path) == pytest.approx(1404.0, abs=1e-6)


@pytest.mark.parametrize("seed", [5, 6])
def test_case30_with_contingencies_options_and_held_rights(tmp_path: Path, seed: int) -> None:
    grid, base = medium_case("case30", 40, 4, seed)
    rng = np.random.default_rng(seed)
    t, pts = base.products, base.points
    held_src = rng.choice(len(pts), size=4)
    held_snk = (held_src + rng.integers(1, len(pts), size=4)) % len(pts)
    problem = build_problem(
        [*t.ids, "s0"],
        [pts[i] for i in t.source] + [pts[held_src[0]]],
        [pts[i] for i in t.sink] + [pts[held_snk[0]]],
        [*t.mw_max, 5.0],
        [*t.value, -2.0],
        [*(rng.random(len(t)) < 0.25), True],
        is_sale=[False] * len(t) + [True],
        fixed_sources=[pts[i] for i in held_src],
        fixed_sinks=[pts[i] for i in held_snk],
        fixed_mw=[5.0, 3.0, 2.0, 1.0],
        fixed_is_option=[True, True, False, False],
    )
    engine = solve(problem, grid, ClearingOptions(formulation=Formulation.ANGLE))  # = the reference's
    assert engine.status.value == "optimal", (engine.status, engine.termination)
    whole = "".join(lp_lines(problem, grid))
    assert "".join(lp_lines(problem, grid)) == whole, "the same inputs give the same bytes"
    assert _resolve(whole, tmp_path) == pytest.approx(engine.surplus, rel=1e-7, abs=1e-6)
    in_blocks = "".join(lp_lines(problem, grid, chunk_rows=7))  # sums may differ in the last bits
    assert _resolve(in_blocks, tmp_path) == pytest.approx(engine.surplus, rel=1e-7, abs=1e-6)
    for j, product in enumerate(problem.products.ids):
        assert f"\\ x{j}: {product}\n" in whole
    assert f"contingency {grid.contingency_ids[0]}" in whole and "base case, direction -1" in whole
