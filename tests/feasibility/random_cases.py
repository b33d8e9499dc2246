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
def cases(
    draw: st.DrawFn,
    *,
    max_buses: int = 6,
    max_bids: int = 10,
    options: bool = True,
    option_offer: bool = False,
) -> Case:
    """A random case; ``option_offer``: the first of 1-2 base-model FTRs is an option offered for sale."""
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
    n_fixed = draw(st.integers(1 if option_offer else 0, 2))
    fs, ft, fm, fo = [], [], [], []
    sale = [False] * n_bids
    for h in range(n_fixed):
        s = draw(st.integers(0, n - 1))
        d = (s + draw(st.integers(1, n - 1))) % n
        fs.append(buses[s])
        ft.append(buses[d])
        fm.append(draw(st.integers(1, 100)) / 10.0)
        offered = option_offer and h == 0
        fo.append(offered or (options and draw(st.integers(0, 2)) == 0))
        if offered or (fo[-1] and draw(st.booleans())):
            # the held option is offered: in the base model at its full MW, and sold as a product
            ids.append(f"o{h}")
            src.append(fs[-1])
            snk.append(ft[-1])
            mw.append(fm[-1])
            val.append(-draw(st.integers(-100, 1000)) / 100.0 - draw(st.integers(0, 999)) / 1e6)
            opt.append(True)
            sale.append(True)
    problem = build_problem(
        ids,
        src,
        snk,
        mw,
        val,
        opt,
        is_sale=sale,
        fixed_sources=fs,
        fixed_sinks=ft,
        fixed_mw=fm,
        fixed_is_option=fo,
    )
    return Case(grid, problem)


def base_model_feasible(case: Case) -> bool:
    """Whether the fixed transfers and loop flow alone respect every limit (zero awards feasible):
    obligations with their sign, each option's adverse flow in each direction."""
    m = case.grid.injection_matrix(case.problem.points)
    fixed = case.problem.fixed
    inj = m @ case.problem.fixed_point_injection()
    base = case.grid.ptdf_base @ inj + case.grid.loop_flow_mw
    post = case.grid.ptdf_post @ inj + case.grid.loop_flow_mw
    up_base, down_base = base.copy(), -base
    up_post, down_post = post.copy(), -post
    for h in np.flatnonzero(fixed.is_option):
        path = m @ (
            np.eye(len(case.problem.points))[fixed.source[h]]
            - np.eye(len(case.problem.points))[fixed.sink[h]]
        )
        f_base = case.grid.ptdf_base @ path * fixed.mw[h]
        f_post = case.grid.ptdf_post @ path * fixed.mw[h]
        up_base += np.maximum(f_base, 0.0)
        down_base += np.maximum(-f_base, 0.0)
        up_post += np.maximum(f_post, 0.0)
        down_post += np.maximum(-f_post, 0.0)
    lim_b, lim_p = case.grid.limit_normal_mw + 1e-9, case.grid.limit_emergency_mw[None, :] + 1e-9
    ok_base = np.all(up_base <= lim_b) and np.all(down_base <= lim_b)
    ok_post = np.all(up_post <= lim_p) and np.all(down_post <= lim_p)
    return bool(ok_base and ok_post)
