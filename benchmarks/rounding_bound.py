"""How much surplus must the 0.1 MW rounding lose? The integer optimum against the engine's rounding.

    python -m benchmarks.rounding_bound --case case_ACTIVSg2000 --bids 10000 --mode n1

One book is cleared (LP, then the engine's rounding and repair). Then the exact integer problem is
solved with HiGHS's MIP: every bid group's total in whole 0.1 MW steps (``0 <= y_g <= MW asked``),
maximising the surplus, over the final LP's rows (all of them: the point sensitivities are already at
hand) in the point form ``u = sum_g 0.1 y_g (e_src - e_snk)``, ``d_r S_r u <= rhs_r``. Its answer is
checked on every row of every case; a row the check finds overloaded joins the MIP and it is solved
again (lazy rows), so the integer optimum reported is feasible on the full network. The MIP's upper
bound is the LP surplus; its own bound (``mip_dual_bound``) shows how far from the integer optimum its
answer can be.

Obligations only (the benchmark books have no options). Writes one JSON file to
``benchmarks/results/rounding_bound/``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp

RESULTS = Path(__file__).parent / "results" / "rounding_bound"


def solve_integer(
    problem: Any, grid: Any, lp: Any, *, tol_mw: float, time_limit_s: float, gap: float
) -> dict[str, Any]:
    """The integer optimum of the group totals (module doc): steps per group and the MIP's figures."""
    from auction.bids import AWARD_STEP_MW
    from auction.pro_rata import split_steps, to_steps
    from feasibility.check import check_awards
    from feasibility.grid import row_limits
    from feasibility.groups import group_products

    groups = group_products(problem.products)
    if groups.is_option.any():
        raise ValueError("the bound is for obligation books only")
    n_g, k = len(groups), len(problem.points)
    asked_steps = to_steps(problem.products.mw_max)
    asked_total = np.bincount(groups.group_of_product, asked_steps, minlength=n_g).astype(np.float64)
    rows = lp.lp_rows
    sens, direction, rhs = rows.sens, rows.direction, rows.rhs
    points_matrix = grid.injection_matrix(problem.points)

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", gap)
    h.setOptionValue("time_limit", time_limit_s)
    h.setOptionValue("threads", 1)
    inf = highspy.kHighsInf
    # columns: y_g (steps, integer), then u_p (free)
    cost = np.concatenate([-groups.value * AWARD_STEP_MW, np.zeros(k)])
    h.addVars(
        n_g + k,
        np.concatenate([np.zeros(n_g), np.full(k, -inf)]),
        np.concatenate([asked_total, np.full(k, inf)]),
    )
    h.changeColsCost(n_g + k, np.arange(n_g + k, dtype=np.int32), cost)
    h.changeColsIntegrality(n_g, np.arange(n_g, dtype=np.int32), np.full(n_g, highspy.HighsVarType.kInteger))
    # u_p - sum_g 0.1 y_g (e_src - e_snk)_p = 0
    g_idx = np.arange(n_g)
    link = sp.csr_matrix(
        (
            np.concatenate([np.full(n_g, -AWARD_STEP_MW), np.full(n_g, AWARD_STEP_MW), np.ones(k)]),
            (
                np.concatenate([groups.source, groups.sink, np.arange(k)]),
                np.concatenate([g_idx, g_idx, n_g + np.arange(k)]),
            ),
        ),
        shape=(k, n_g + k),
    )
    _add_rows(h, link, np.zeros(k), np.zeros(k))

    def add_network_rows(s: np.ndarray, d: np.ndarray, b: np.ndarray) -> None:
        m = sp.csr_matrix(np.hstack([np.zeros((len(b), n_g)), d[:, None] * s]))
        m.eliminate_zeros()
        _add_rows(h, m, np.full(len(b), -inf), b)

    add_network_rows(sens, direction, rhs)
    n_rows = len(rhs)
    t0 = time.perf_counter()
    solves, checks = 0, 0
    while True:
        h.run()
        solves += 1
        info = h.getInfo()
        y = np.rint(np.asarray(h.getSolution().col_value)[:n_g]).astype(np.int64)
        mw = (
            split_steps(groups.group_of_product, asked_steps, y, problem.products.ids) * AWARD_STEP_MW
        ).astype(np.float64)
        viol = check_awards(problem, grid, mw, tol_mw)
        checks += 1
        if viol.amount_mw.size == 0:
            break
        cons, case, d = viol.constraint_idx, viol.case_idx, viol.direction
        s = grid.sensitivities(cons, case, points_matrix)
        fixed = s @ problem.fixed_point_injection() + grid.loop_flow_mw[cons]
        b = row_limits(grid, cons, case) - d * fixed
        add_network_rows(s, d, b)
        n_rows += len(b)
    return {
        "group_steps": y,
        "product_mw": mw,
        "mip_s": time.perf_counter() - t0,
        "mip_solves": solves,
        "full_checks": checks,
        "mip_rows": n_rows,
        "mip_status": h.modelStatusToString(h.getModelStatus()),
        "mip_objective": -float(info.objective_function_value),
        "mip_dual_bound": -float(info.mip_dual_bound),
        "mip_gap": float(info.mip_gap),
        "mip_nodes": int(info.mip_node_count),
    }


def _add_rows(h: highspy.Highs, m: sp.csr_matrix, lower: np.ndarray, upper: np.ndarray) -> None:
    m = m.tocsr()
    h.addRows(
        m.shape[0], lower, upper, m.nnz, m.indptr[:-1].astype(np.int32), m.indices.astype(np.int32), m.data
    )


def run(case: str, n_bids: int, mode: str, book: str, time_limit_s: float, gap: float) -> dict[str, Any]:
    from auction.clearing import _problem, clear_on_grid
    from benchmarks.clearing_bids import generate_book
    from feasibility.network_grid import NetworkGrid
    from feasibility.result import ClearingOptions
    from feasibility.solve import solve
    from network.matpower import load_matpower, matpower_case_path

    net = load_matpower(matpower_case_path(case))
    bids = generate_book(net, n_bids, 2026, book)
    grid = NetworkGrid.build(bids.network, None, "all" if mode == "n1" else ())
    opts = ClearingOptions()
    t0 = time.perf_counter()
    result = clear_on_grid(grid, bids.bids, options=opts)
    clear_s = time.perf_counter() - t0
    problem = _problem(bids.bids, (), ())
    lp = solve(problem, grid, opts)
    lp_surplus = float(problem.products.value @ lp.product_mw)
    engine_mw = np.array([a.mw_awarded for a in result.awards])
    engine_surplus = float(problem.products.value @ engine_mw)
    mip = solve_integer(problem, grid, lp, tol_mw=opts.feasibility_tol_mw, time_limit_s=time_limit_s, gap=gap)
    mip_surplus = float(problem.products.value @ mip["product_mw"])
    return {
        "case": case,
        "bids": n_bids,
        "mode": mode,
        "book": book,
        "clear_s": clear_s,
        "rounding_s": result.summary["times_s"].get("rounding_s"),
        "lp_surplus": lp_surplus,
        "engine_surplus": engine_surplus,
        "engine_loss": lp_surplus - engine_surplus,
        "engine_loss_share": (lp_surplus - engine_surplus) / lp_surplus,
        "integer_surplus": mip_surplus,
        "integer_loss": lp_surplus - mip_surplus,
        "integer_loss_share": (lp_surplus - mip_surplus) / lp_surplus,
        "integer_loss_floor": lp_surplus - mip["mip_dual_bound"],
        **{key: v for key, v in mip.items() if key not in ("group_steps", "product_mw")},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--case", default="case_ACTIVSg2000")
    parser.add_argument("--bids", type=int, default=10000)
    parser.add_argument("--mode", choices=("base", "n1"), default="n1")
    parser.add_argument("--book", choices=("standard", "hard"), default="standard")
    parser.add_argument("--time-limit", type=float, default=600.0, help="MIP time limit per solve, s")
    parser.add_argument("--gap", type=float, default=1e-6, help="MIP relative gap")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    out = run(args.case, args.bids, args.mode, args.book, args.time_limit, args.gap)
    out["load_before"], out["load_after"] = list(load), list(os.getloadavg())
    out["when"] = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{out['when']}.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
