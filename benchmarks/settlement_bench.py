"""Settlement speed and memory: one 744-hour month, N FTRs, 20,000 pricing points.

    python -m benchmarks.settlement_bench [--ftrs 10000 25000 50000 100000] [--nodes 20000]

Each size runs in a fresh subprocess so that its peak resident memory (``ru_maxrss``) is its own. Timed:
``target_allocations`` alone, and ``settle_month`` end to end (positions, target allocations, hourly
credits, holder sums, excess distribution, conservation checks). Inputs are random (seeded): prices
N(30, 10) $/MWh, sources/sinks uniform over the points, 1..100 MW, half on-peak, 10% options, 500
holders, charges 90% of each hour's total target allocation so that pro rata hours occur.
Each run is written to ``benchmarks/results/settlement/`` as JSON;
``docs/benchmarks/settlement.md`` is the reference page.
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
from datetime import UTC, datetime

import numpy as np

from benchmarks.results import write_run
from market_calendar import PeriodClass, month_hour_index, on_peak_mask
from market_terms import Hedge
from settlement.charges import hourly_charges
from settlement.month import settle_month
from settlement.positions import FtrRecord, build_positions
from settlement.prices import prices_from_matrix
from settlement.target_allocation import target_allocations

YEAR, MONTH = 2026, 1  # 744 hours


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def run_one(n_ftrs: int, n_nodes: int, holders: int = 500, seed: int = 7) -> dict[str, float]:
    """Build inputs, time target allocations and a full month; return the figures."""
    rng = np.random.default_rng(seed)
    hours = month_hour_index(YEAR, MONTH)
    nodes = [f"n{i}" for i in range(n_nodes)]
    prices = prices_from_matrix(hours, nodes, rng.normal(30.0, 10.0, size=(n_nodes, len(hours))))
    src = rng.integers(0, n_nodes, n_ftrs)
    snk = (src + rng.integers(1, n_nodes, n_ftrs)) % n_nodes
    mw = rng.integers(1, 1001, n_ftrs) / 10.0
    ftrs = [
        FtrRecord(
            f"f{i}",
            f"h{i % holders}",
            nodes[src[i]],
            nodes[snk[i]],
            float(mw[i]),
            PeriodClass.ON_PEAK if i % 2 else PeriodClass.OFF_PEAK,
            Hedge.OPTION if i % 10 == 0 else Hedge.OBLIGATION,
        )
        for i in range(n_ftrs)
    ]
    inputs_mib = _peak_mib()

    start = time.perf_counter()
    positions = build_positions(ftrs, hours)
    targets = target_allocations(positions, prices, on_peak_mask(hours))
    ta_seconds = time.perf_counter() - start
    charges = hourly_charges(hours, 0.9 * targets.values.sum(axis=0))
    del targets, positions

    start = time.perf_counter()
    result = settle_month(YEAR, MONTH, ftrs, prices, charges)
    month_seconds = time.perf_counter() - start
    prorated = int((result.hourly.case == "prorated").sum())
    return {
        "ftrs": n_ftrs,
        "nodes": n_nodes,
        "hours": len(hours),
        "target_allocations_s": ta_seconds,
        "settle_month_s": month_seconds,
        "inputs_peak_mib": inputs_mib,
        "peak_mib": _peak_mib(),
        "prorated_hours": prorated,
    }


def _machine() -> str:
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        total_kib = int(meminfo.readline().split()[1])
    load = os.getloadavg()
    return (
        f"{platform.processor() or platform.machine()}, nproc {os.cpu_count()}, "
        f"{total_kib / 1024 / 1024:.1f} GiB RAM, Python {platform.python_version()}, "
        f"numpy {np.__version__}; load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
        "(shared machine)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ftrs", type=int, nargs="+", default=[10_000, 25_000, 50_000, 100_000])
    parser.add_argument("--nodes", type=int, default=20_000)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-report", action="store_true", help="print only, do not write the report")
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.ftrs[0], args.nodes)))
        return 0
    machine = _machine()
    rows = []
    for n in args.ftrs:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.settlement_bench",
                "--one",
                "--ftrs",
                str(n),
                "--nodes",
                str(args.nodes),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        row = json.loads(done.stdout)
        rows.append(row)
        print(
            f"{n:>7} FTRs: target allocations {row['target_allocations_s']:.2f} s, "
            f"settle_month {row['settle_month_s']:.2f} s, peak {row['peak_mib']:.0f} MiB"
        )
    load_end = os.getloadavg()
    table = [
        "| FTRs | pricing points | hours | target allocations (s) | settle_month (s) | peak RSS (MiB) "
        "| RSS after inputs (MiB) | pro-rata hours |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        table.append(
            f"| {r['ftrs']:,} | {r['nodes']:,} | {r['hours']} | {r['target_allocations_s']:.2f} "
            f"| {r['settle_month_s']:.2f} | {r['peak_mib']:.0f} | {r['inputs_peak_mib']:.0f} "
            f"| {r['prorated_hours']} |"
        )
    text = "\n".join(
        [
            "# Settlement benchmark",
            "",
            "Target: one 744-hour month, 100,000 FTRs, 20,000 pricing points: target allocations and",
            "credits in under 30 s and 4 GiB peak on the 2-core machine.",
            "",
            f"Command: `python -m benchmarks.settlement_bench --ftrs {' '.join(map(str, args.ftrs))} "
            f"--nodes {args.nodes}`",
            "",
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine}; load average at end "
            f"{load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}.",
            "",
            *table,
            "",
            "`settle_month` is the whole month end to end (FTR validation and positions, target allocations,",
            "hourly credits, per-holder sums, excess distribution, conservation checks), so it includes the",
            "target-allocation time. Peak RSS is the whole process (Python, inputs, the positions x hours",
            "target-allocation matrix of 8 bytes per FTR-hour, i.e. 595 MB at 100,000 FTRs).",
            "",
        ]
    )
    print(text)
    if not args.no_report:
        ftrs = " ".join(map(str, args.ftrs))
        command = f"python -m benchmarks.settlement_bench --ftrs {ftrs} --nodes {args.nodes}"
        write_run("settlement", command, {"rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
