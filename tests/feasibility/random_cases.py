"""Hypothesis strategies: random small connected networks with contingencies, bids and a base model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from feasibility.dense_grid import DenseGrid
from feasibility.problem import ClearingProblem, build_problem


@dataclass(frozen=True)
class Case:
    grid: DenseGrid
    problem: ClearingProblem


def _connected(n: int, f: list[int], t: list[int]) -> bool:
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in zip(f, t, strict=True):
        parent[find(a)] = find(b)
    return len({find(i) for i in range(n)}) == 1


@st.composite
def cases(draw: st.DrawFn, *, max_buses: int = 6, max_bids: int = 10, options: bool = True) -> Case:
    n = draw(st.integers(3, max_buses))
    f: list[int] = []
    t: list[int] = []
    for i in range(1, n):  # a random spanning tree
        f.append(draw(st.integers(0, i - 1)))
        t.append(i)
    for _ in range(draw(st.integers(1, n))):  # extra lines make loops
        a, b = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        if a != b:
            f.append(a)
            t.append(b)
    m = len(f)
    x = [draw(st.integers(5, 50)) / 100.0 for _ in range(m)]
    limit = [float(draw(st.integers(10, 150))) for _ in range(m)]
    emergency = [1.25 * v for v in limit]
    conts = {}
    for k in range(m):
        keep = [i for i in range(m) if i != k]
        if _connected(n, [f[i] for i in keep], [t[i] for i in keep]) and draw(st.booleans()):
            conts[f"c{k}"] = [k]
    loop = [float(draw(st.integers(-10, 10))) for _ in range(m)]
    buses = [str(i) for i in range(n)]
    grid = DenseGrid.from_branches(
        buses, buses[0], f, t, x, limit, emergency, contingencies=conts, loop_flow_mw=loop
    )
    n_bids = draw(st.integers(1, max_bids))
    ids, src, snk, mw, val, opt = [], [], [], [], [], []
    for j in range(n_bids):
        s = draw(st.integers(0, n - 1))
        d = draw(st.integers(0, n - 2))
        d = d if d < s else d + 1
        ids.append(f"b{j}")
        src.append(buses[s])
        snk.append(buses[d])
        mw.append(draw(st.integers(1, 3000)) / 10.0)
        val.append(draw(st.integers(-500, 4000)) / 100.0 + draw(st.integers(0, 999)) / 1e6)
        opt.append(options and draw(st.integers(0, 3)) == 0)
    n_fixed = draw(st.integers(0, 2))
    fs, ft, fm = [], [], []
    for _ in range(n_fixed):
        s = draw(st.integers(0, n - 1))
        d = (s + draw(st.integers(1, n - 1))) % n
        fs.append(buses[s])
        ft.append(buses[d])
        fm.append(draw(st.integers(1, 100)) / 10.0)
    problem = build_problem(ids, src, snk, mw, val, opt, fixed_sources=fs, fixed_sinks=ft, fixed_mw=fm)
    return Case(grid, problem)


def base_model_feasible(case: Case) -> bool:
    """Whether the fixed transfers and loop flow alone respect every limit (zero awards feasible)."""
    inj = case.grid.injection_matrix(case.problem.points) @ case.problem.fixed_point_injection()
    base = case.grid.ptdf_base @ inj + case.grid.loop_flow_mw
    post = case.grid.ptdf_post @ inj + case.grid.loop_flow_mw
    ok_base = np.all(np.abs(base) <= case.grid.limit_normal_mw + 1e-9)
    ok_post = np.all(np.abs(post) <= case.grid.limit_emergency_mw[None, :] + 1e-9)
    return bool(ok_base and ok_post)
