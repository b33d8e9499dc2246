"""The auditor's LP export (:mod:`feasibility.lp_export`) on case_ACTIVSg200 with full N-1.

Times building the grid, then writing the LP with ``--rows`` rows (a random set standing in for
the binding constraints, both directions; the download's default), and, with ``--all-rows``, every
row (``constraints x (1 + contingencies) x 2``, stopped after ``--max-seconds``). Results:
``benchmarks/results/lp_export/``.

    python -m benchmarks.lp_export_bench [--bids 1000] [--rows 40] [--all-rows --max-seconds 120]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from benchmarks.results import machine, write_run
from feasibility.lp_export import lp_lines
from feasibility.network_grid import NetworkGrid
from feasibility.problem import build_problem
from network.matpower import load_matpower, matpower_case_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bids", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=40)
    parser.add_argument("--all-rows", action="store_true")
    parser.add_argument("--max-seconds", type=float, default=120.0)
    args = parser.parse_args(argv)
    before = machine()
    t0 = time.perf_counter()
    net = load_matpower(matpower_case_path("case_ACTIVSg200"))
    grid = NetworkGrid.build(net, None, "all")
    grid_s = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    buses = np.array(net.bus_ids)
    src, snk = rng.choice(buses, args.bids), rng.choice(buses, args.bids)
    keep = src != snk
    n = int(keep.sum())
    problem = build_problem(
        [f"b{i}" for i in range(n)], list(src[keep]), list(snk[keep]), np.full(n, 10.0), rng.normal(5, 4, n)
    )
    half = args.rows // 2
    cons = rng.integers(0, len(grid.constraint_ids), half)
    case = rng.integers(-1, len(grid.contingency_ids), half)
    rows = (np.tile(cons, 2), np.tile(case, 2), np.repeat(np.array([1, -1]), half))
    t = time.perf_counter()
    size = sum(len(line) for line in lp_lines(problem, grid, rows=rows))
    rows_s = time.perf_counter() - t
    payload: dict[str, object] = {
        "machine_before": before,
        "contingencies": len(grid.contingency_ids),
        "constraints": len(grid.constraint_ids),
        "products": n,
        "grid_s": round(grid_s, 2),
        "given_rows": {"rows": 2 * half, "seconds": round(rows_s, 3), "kib": round(size / 1024)},
    }
    if args.all_rows:
        t = time.perf_counter()
        written, lines = 0, 0
        for line in lp_lines(problem, grid):
            written += len(line)
            lines += 1
            if time.perf_counter() - t > args.max_seconds:
                break
        all_s = time.perf_counter() - t
        payload["all_rows"] = {
            "seconds": round(all_s, 1),
            "stopped": all_s > args.max_seconds,
            "mib_written": round(written / 2**20, 1),
            "lines_written": lines,
            "rows_in_lp": 2 * len(grid.constraint_ids) * (1 + len(grid.contingency_ids)),
        }
    write_run("lp_export", "python -m benchmarks.lp_export_bench " + " ".join(argv or sys.argv[1:]), payload)
    print(payload)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
