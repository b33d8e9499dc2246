"""Clearing benchmark: wall time, peak memory, rounds and active rows of ``clear_auction``.

    python -m benchmarks.clearing_bench                 # the full matrix (slow: run it alone, late)
    python -m benchmarks.clearing_bench --quick         # case_ACTIVSg2000, 10k bids, base and N-1
    python -m benchmarks.clearing_bench --cases case_ACTIVSg10k --bids 100000 --modes n1
    python -m benchmarks.clearing_bench --cases case_ACTIVSg10k --bids 100000 --modes n1 --book hard
    python -m benchmarks.clearing_bench --classes --cases case_ACTIVSg10k --bids 100000 --processes 2

Every configuration runs in its own process (peak RSS from ``getrusage`` is then that run's alone).
Bid sets come from :mod:`benchmarks.clearing_bids` (seeded; ``--book hard``: the harder book with a
congested base case and many negative-priced counterflow bids). ``n1`` is full N-1: every energised
non-radial branch. The straightforward full formulation (every row of every case at once, one
coefficient per bid: ``Formulation.DENSE`` + ``Strategy.FULL``) is timed in the same run where its
coefficient matrix fits the memory budget; otherwise its size is reported. The nodal formulation with
constraint generation is also compared with the dense one (same generation loop) on the small cases.
``--classes``: the two period classes of one month (two books of the same size, seeds 2026 and 2027)
cleared by :func:`auction.classes.clear_classes` in ``--processes`` worker processes, timed end to end
(process start, network load, grid build and clearing of both). Each run is written to
``benchmarks/results/clearing/`` as JSON (:mod:`benchmarks.results`) with the machine
and its load; ``docs/benchmarks/clearing.md`` is the reference page.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.clearing_bids import BOOKS
from benchmarks.host_probe import probe_seconds
from benchmarks.results import RESULTS, write_run

ROOT = Path(__file__).resolve().parents[1]
FULL_BUDGET_BYTES = 3 * 2**30
"""Dense coefficients (rows x bids x 8 bytes) above this are not attempted for the full formulation."""
FULL_TIME_LIMIT_S = 900.0


def run_one(case: str, n_bids: int, mode: str, variant: str, book: str = "standard") -> dict[str, Any]:
    """One configuration in this process; ``variant``: ``fast`` (ANGLE), ``simplex`` (ANGLE, every round
    a warm dual simplex re-solve, no interior point rounds), ``nodal``, ``dense``, ``full``."""
    from auction.clearing import clear_on_grid
    from benchmarks.clearing_bids import generate_book
    from feasibility.network_grid import NetworkGrid
    from feasibility.result import ClearingOptions, Formulation, Strategy
    from network.matpower import load_matpower, matpower_case_path

    t0 = time.perf_counter()
    net = load_matpower(matpower_case_path(case))
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    bids = generate_book(net, n_bids, 2026, book)
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    grid = NetworkGrid.build(bids.network, None, "all" if mode == "n1" else ())
    t_grid = time.perf_counter() - t0
    n_rows_full = 2 * len(grid.constraint_ids) * (1 + len(grid.contingency_ids))
    out: dict[str, Any] = {
        "case": case,
        "bids": n_bids,
        "book": book,
        "mode": mode,
        "variant": variant,
        "buses": len(grid.bus_ids),
        "constraints": len(grid.constraint_ids),
        "contingencies": len(grid.contingency_ids),
        "full_rows": n_rows_full,
        "load_s": t_load,
        "generate_s": t_gen,
        "grid_build_s": t_grid,
    }
    if variant == "full":
        est = n_rows_full * n_bids * 8
        out["full_dense_bytes"] = est
        if est > FULL_BUDGET_BYTES:
            out["skipped"] = f"dense coefficients would need {est / 2**30:.1f} GiB"
            return out
        opts = ClearingOptions(
            formulation=Formulation.DENSE, strategy=Strategy.FULL, time_limit_s=FULL_TIME_LIMIT_S
        )
    elif variant == "simplex":
        opts = ClearingOptions(interior_rounds=False)
    elif variant == "dense":
        opts = ClearingOptions(formulation=Formulation.DENSE)
    elif variant == "nodal":
        opts = ClearingOptions(formulation=Formulation.NODAL)
    else:
        opts = ClearingOptions()
    t0 = time.perf_counter()
    result = clear_on_grid(grid, bids.bids, options=opts)
    out["clear_s"] = time.perf_counter() - t0
    s = result.summary
    out.update(
        {
            "status": s["status"],
            "iterations": s["iterations"],
            "active_rows": s["active_rows"],
            "lp_nonzeros": s["lp_nonzeros"],
            "lp_columns": s["lp_columns"],
            "binding": s["counts"]["binding_constraints"],
            "times": s["times_s"],
            "surplus": s["surplus"],
            "surplus_lp": s["surplus_lp"],
            "checks": s["checks"],
            "repair_steps": s["rounding"]["repair_steps"],
            "rounding": s["rounding"],
            "lp_work": s["solver"].get("work", {}),
        }
    )
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def run_classes(case: str, n_bids: int, mode: str, book: str, processes: int) -> dict[str, Any]:
    """Both classes of a month (books of seeds 2026 and 2027) through ``clear_classes``, timed whole."""
    from auction.classes import ClassBook, clear_classes
    from benchmarks.clearing_bids import generate_book
    from network.matpower import load_matpower, matpower_case_path

    net = load_matpower(matpower_case_path(case))
    on = generate_book(net, n_bids, 2026, book)
    off = generate_book(net, n_bids, 2027, book)
    books = [ClassBook("onpeak", on.bids), ClassBook("offpeak", off.bids)]
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    results = clear_classes(
        on.network, books, contingencies="all" if mode == "n1" else (), processes=processes
    )
    wall = time.perf_counter() - t0
    out: dict[str, Any] = {
        "case": case,
        "bids": n_bids,
        "book": book,
        "mode": mode,
        "processes": processes,
        "wall_s": wall,
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "peak_rss_mib_parent": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_rss_mib_largest_worker": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "classes": {},
    }
    for label, r in results.items():
        s = r.summary
        out["classes"][label] = {
            "status": s["status"],
            "iterations": s["iterations"],
            "binding": s["counts"]["binding_constraints"],
            "times": s["times_s"],
            "surplus": s["surplus"],
            "surplus_lp": s["surplus_lp"],
            "rounding": s["rounding"],
            "awards_feasible": s["checks"]["awards_feasible"],
        }
    return out


def _subprocess(
    case: str, n_bids: int, mode: str, variant: str, timeout_s: float, book: str = "standard"
) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.clearing_bench", "--one", case, str(n_bids), mode, variant]
    cmd += ["--book", book]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return {
            "case": case,
            "bids": n_bids,
            "book": book,
            "mode": mode,
            "variant": variant,
            "skipped": f"timeout {timeout_s} s",
        }
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
        return {
            "case": case,
            "bids": n_bids,
            "book": book,
            "mode": mode,
            "variant": variant,
            "skipped": f"failed: {tail[0]}",
        }
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _machine() -> dict[str, str]:
    mem = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        mem = meminfo.read_text().splitlines()[0].split(":")[1].strip()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "nproc": str(os.cpu_count()),
        "memory": mem,
        "load": load,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _row(r: dict[str, Any]) -> str:
    if "skipped" in r:
        return (
            f"| {r['case']} | {r['bids']:,} {r.get('book', 'standard')} | {r['mode']} | {r['variant']} | "
            f"{r.get('contingencies', '')} | "
            f"not run: {r['skipped']} | | | | | | | | | |"
        )
    t = r["times"]
    return (
        f"| {r['case']} | {r['bids']:,} {r.get('book', 'standard')} | {r['mode']} | {r['variant']} | "
        f"{r['contingencies']} | "
        f"{r['clear_s']:.1f} | {r['grid_build_s']:.1f} | {t['lp_s']:.1f} | {t['flows_s']:.1f} | "
        f"{t['rows_s']:.1f} | {t.get('rounding_s', float('nan')):.1f} | "
        f"{t.get('prices_s', float('nan')):.1f} | "
        f"{r['iterations']} | {r['active_rows']:,} / {r['full_rows']:,} | "
        f"{r['lp_nonzeros']:,} | {r['peak_rss_mib']:,.0f} | {r['binding']} | "
        f"{r['checks']['awards_feasible']} | {r['surplus_lp'] - r['surplus']:.2f} |"
    )


HEADER = (
    "| case | bids | cases | variant | contingencies | clear s | grid build s | LP s | flows s | rows s | "
    "rounding s | prices s | rounds | active rows / full rows | LP nonzeros | peak RSS MiB | binding | "
    "feasible | "
    "rounding loss $ |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--one", nargs=4, metavar=("CASE", "BIDS", "MODE", "VARIANT"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cases", nargs="*", default=["case_ACTIVSg2000", "case_ACTIVSg10k"])
    parser.add_argument("--bids", nargs="*", type=int, default=[10_000, 50_000, 100_000])
    parser.add_argument("--modes", nargs="*", default=["base", "n1"])
    parser.add_argument("--variants", nargs="*", default=["fast", "full"])
    parser.add_argument(
        "--book", choices=BOOKS, default="standard", help="bid book (benchmarks.clearing_bids)"
    )
    parser.add_argument("--classes", action="store_true", help="both classes of a month, clear_classes")
    parser.add_argument("--processes", type=int, default=2, help="worker processes with --classes")
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    args = parser.parse_args(argv)
    if args.one:
        case, n, mode, variant = args.one
        print(json.dumps(run_one(case, int(n), mode, variant, args.book)))
        return 0
    if args.classes:
        before = _machine()
        runs = [
            run_classes(case, n, mode, args.book, args.processes)
            for case in args.cases
            for n in args.bids
            for mode in args.modes
        ]
        for r in runs:
            print(json.dumps(r), flush=True)
        command = "python -m benchmarks.clearing_bench " + " ".join(sys.argv[1:] if argv is None else argv)
        write_run("clearing", command.strip(), {"machine_before": before, "classes": runs}, args.out)
        return 0
    if args.quick:
        args.cases, args.bids = ["case_ACTIVSg2000"], [10_000]
    before = _machine()
    probe_before = probe_seconds()
    rows = []
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for case in args.cases:
        for n in args.bids:
            for mode in args.modes:
                for variant in args.variants:
                    r = _subprocess(case, n, mode, variant, args.timeout, args.book)
                    print(_row(r), flush=True)
                    rows.append(r)
    after = _machine()
    probe_after = probe_seconds()
    command = "python -m benchmarks.clearing_bench " + " ".join(sys.argv[1:] if argv is None else argv)
    print(HEADER)
    print("\n".join(_row(r) for r in rows))
    payload = {
        "started_utc": started,
        "machine_before": before,
        "machine_after_run": after,
        "host_probe_s": {"before": probe_before, "after": probe_after},
        "rows": rows,
    }
    write_run("clearing", command.strip(), payload, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
