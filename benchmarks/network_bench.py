"""Benchmark of the network package: load, sensitivities, N-1 flows of 50,000 transfers, and the peer.

Run from the repository root::

    python -m benchmarks.network_bench            # small and 10k cases, peer included
    python -m benchmarks.network_bench --big      # case_ACTIVSg25k and case_ACTIVSg70k, run alone

Every measured step runs in a fresh child process (``--step``), so its peak resident memory
(``ru_maxrss``) is its own. Each run is written to ``benchmarks/results/network/`` as JSON.
The peer is pandapower's ``makePTDF`` (sparse solver) followed by ``makeLODF`` on the same case.
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

import numpy as np

from benchmarks.results import RESULTS, write_run

ROOT = Path(__file__).resolve().parents[1]
BIG_BEGIN = "<!-- large cases: python -m benchmarks.network_bench --big -->"
BIG_END = "<!-- end of large cases -->"
SMALL = ("case118", "case300", "case_ACTIVSg2000", "case9241pegase", "case_ACTIVSg10k")
BIG = ("case_ACTIVSg25k", "case_ACTIVSg70k")
N_TRANSFERS = 50_000


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _current_rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# ---------------------------------------------------------------------------------------------- steps
def step_load(case: str) -> dict[str, Any]:
    from network.matpower import load_matpower, matpower_case_path

    t = time.perf_counter()
    net = load_matpower(matpower_case_path(case))
    return {
        "load_s": time.perf_counter() - t,
        "buses": net.n_buses,
        "branches": net.n_branches,
        "peak_mib": _rss_mib(),
    }


def step_sens(case: str) -> dict[str, Any]:
    from network.constraints import monitored_constraints
    from network.matpower import load_matpower, matpower_case_path
    from network.sensitivity import build_sensitivity_model

    net = load_matpower(matpower_case_path(case))
    base = _current_rss_mib()
    t = time.perf_counter()
    model = build_sensitivity_model(net)
    t_factor = time.perf_counter() - t
    mon = monitored_constraints(net)
    rows = np.flatnonzero(np.diff(mon.branch_coefficients.tocsc().indptr) > 0)
    t = time.perf_counter()
    n_bridges = int(model.bridge_mask.sum())
    t_bridges = time.perf_counter() - t
    t = time.perf_counter()
    largest = 0.0
    for _, block in model.ptdf_blocks(rows):
        largest = max(largest, float(np.abs(block).max()))
    t_sens = time.perf_counter() - t
    # a stored matrix for 1,000 pricing points (what an auction with 1,000 distinct points needs)
    rng = np.random.default_rng(1)
    points = [net.bus_ids[i] for i in rng.choice(net.n_buses, size=min(1000, net.n_buses), replace=False)]
    t = time.perf_counter()
    mat = model.ptdf(rows, model.injection_matrix(points))
    t_points = time.perf_counter() - t
    return {
        "factor_s": t_factor,
        "factor_nnz": model.factor.nnz if model.factor is not None else 0,
        "bridges": n_bridges,
        "bridges_s": t_bridges,
        "monitored_branches": len(rows),
        "sens_all_buses_s": t_sens,
        "sens_1000_points_s": t_points,
        "sens_1000_points_shape": list(mat.shape),
        "max_abs_ptdf": largest,
        "rss_before_mib": base,
        "peak_mib": _rss_mib(),
    }


def step_n1(case: str, mode: str) -> dict[str, Any]:
    from network.constraints import monitored_constraints
    from network.contingency import single_branch_contingencies
    from network.flows import FlowEvaluator
    from network.matpower import load_matpower, matpower_case_path
    from network.sensitivity import build_sensitivity_model

    net = load_matpower(matpower_case_path(case))
    base = _current_rss_mib()
    t0 = time.perf_counter()
    model = build_sensitivity_model(net)
    mon = monitored_constraints(net)
    conts = single_branch_contingencies(model)
    options: dict[str, dict[str, Any]] = {
        "cached64": {},
        "cached32": {"cache_dtype": np.float32},
        "streaming": {"cache_bytes": 0},
    }
    # "budget:<MiB>": float64 cache within that budget (the columns that fit kept, the rest recomputed)
    budget = mode.startswith("budget:")
    kwargs = {"cache_bytes": int(mode.split(":", 1)[1]) * 2**20} if budget else options[mode]
    ev = FlowEvaluator.build(model, mon, conts, **kwargs)
    t_build = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    src = [net.bus_ids[i] for i in rng.integers(0, net.n_buses, N_TRANSFERS)]
    snk = [net.bus_ids[i] for i in rng.integers(0, net.n_buses, N_TRANSFERS)]
    mw = rng.uniform(0.1, 5.0, N_TRANSFERS)
    t = time.perf_counter()
    p = ev.net_injection(src, snk, mw)
    t_inj = time.perf_counter() - t
    out: dict[str, Any] = {
        "mode": mode,
        "contingencies": len(conts),
        "constraints": mon.n_constraints,
        "build_s": t_build,
        "net_injection_s": t_inj,
    }
    t = time.perf_counter()
    over = ev.overloads(p)
    out["screen_s"] = time.perf_counter() - t
    out["overloads"] = len(over)
    out["peak_screen_mib"] = _rss_mib()
    out["outage_columns"] = len(ev.outage_union)
    out["cached_columns"] = ev.cached_columns
    out["cached_mib"] = ev.cached_bytes / 2**20
    if budget:  # a second screen: the per-call cost once the cache is built
        t = time.perf_counter()
        ev.overloads(p * 1.5)
        out["screen2_s"] = time.perf_counter() - t
    if mode != "streaming" and not budget:
        t = time.perf_counter()
        res = ev.flows(p)
        out["full_matrix_s"] = time.perf_counter() - t
        out["post_shape"] = list(res.post_mw.shape)
        if mode == "cached32":
            exact = FlowEvaluator.build(model, mon, conts[:200])
            ref = exact.flows(p).post_mw
            out["float32_max_abs_err_mw"] = float(np.abs(ref - res.post_mw[:200]).max())
        del res
    out["rss_before_mib"] = base
    out["peak_mib"] = _rss_mib()
    return out


def step_peer(case: str) -> dict[str, Any]:
    from matpowercaseframes import CaseFrames
    from pandapower.pypower.idx_brch import branch_cols
    from pandapower.pypower.idx_bus import bus_cols
    from pandapower.pypower.makeLODF import makeLODF
    from pandapower.pypower.makePTDF import makePTDF

    from network.matpower import matpower_case_path

    cf = CaseFrames(str(matpower_case_path(case)))
    bus_raw = cf.bus.to_numpy(dtype=np.float64)
    br_raw = cf.branch.to_numpy(dtype=np.float64)
    bus = np.zeros((len(bus_raw), bus_cols))
    bus[:, :13] = bus_raw[:, :13]
    branch = np.zeros((len(br_raw), branch_cols))
    branch[:, :13] = br_raw[:, :13]
    pos = {int(n): i for i, n in enumerate(bus_raw[:, 0])}
    bus[:, 0] = np.arange(len(bus))
    branch[:, 0] = [pos[int(n)] for n in br_raw[:, 0]]
    branch[:, 1] = [pos[int(n)] for n in br_raw[:, 1]]
    base = _current_rss_mib()
    t = time.perf_counter()
    ptdf = makePTDF(float(cf.baseMVA), bus, branch, using_sparse_solver=True)
    t_ptdf = time.perf_counter() - t
    t = time.perf_counter()
    with np.errstate(divide="ignore", invalid="ignore"):
        lodf = makeLODF(branch, ptdf)
    t_lodf = time.perf_counter() - t
    return {
        "ptdf_s": t_ptdf,
        "lodf_s": t_lodf,
        "total_s": t_ptdf + t_lodf,
        "lodf_shape": list(np.shape(lodf)),
        "rss_before_mib": base,
        "peak_mib": _rss_mib(),
    }


STEPS = {"load": step_load, "sens": step_sens, "peer": step_peer}


# ---------------------------------------------------------------------------------------------- driver
def _run_child(step: str, case: str, mode: str | None = None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.network_bench", "--step", step, "--case", case]
    if mode:
        cmd += ["--mode", mode]
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else f"exit {proc.returncode}"}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = wall
    return result


def _machine() -> str:
    mem_kib = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal"):
                mem_kib = int(line.split()[1])
    load = os.getloadavg()
    return (
        f"{platform.processor() or platform.machine()}, nproc={os.cpu_count()}, "
        f"memory={mem_kib / 2**20:.1f} GiB, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
        f"(shared machine), Python {platform.python_version()}"
    )


def _f(x: Any, nd: int = 2) -> str:
    return f"{x:.{nd}f}" if isinstance(x, float) else str(x)


def run(cases: tuple[str, ...], big: bool, peer: bool, log: list[str]) -> dict[str, Any]:
    results: dict[str, Any] = {"machine_before": _machine(), "cases": {}}
    for case in cases:
        r: dict[str, Any] = {"load": _run_child("load", case)}
        print(case, "load", r["load"], flush=True)
        if case in ("case_ACTIVSg10k", "case9241pegase") or big:
            r["sens"] = _run_child("sens", case)
            print(case, "sens", r["sens"], flush=True)
        if case == "case_ACTIVSg10k":
            for mode in ("cached64", "cached32", "streaming"):
                r[f"n1_{mode}"] = _run_child("n1", case, mode)
                print(case, mode, r[f"n1_{mode}"], flush=True)
        if peer and case not in BIG:
            r["peer"] = _run_child("peer", case)
            print(case, "peer", r["peer"], flush=True)
        results["cases"][case] = r
    results["machine_after"] = _machine()
    return results


def render(results: dict[str, Any], command: str) -> str:
    lines = [
        "# Network package benchmark",
        "",
        f"Command: `{command}`",
        "",
        "Each step runs in its own child process; *peak* = `ru_maxrss` of that process (interpreter,",
        "imports and the loaded case included); *before* = resident memory once the case is loaded.",
        "",
        f"Machine before: {results['machine_before']}",
        f"Machine after: {results['machine_after']}",
        "",
        "## Loading MATPOWER cases (`load_matpower`)",
        "",
        "| case | buses | branches | load s | peak MiB |",
        "|---|---:|---:|---:|---:|",
    ]
    for case, r in results["cases"].items():
        ld = r["load"]
        if "error" in ld:
            lines.append(f"| {case} | error: {ld['error']} | | | |")
            continue
        lines.append(
            f"| {case} | {ld['buses']} | {ld['branches']} | {_f(ld['load_s'])} | {_f(ld['peak_mib'], 0)} |"
        )
    lines += [
        "",
        "## Monitored-element sensitivities",
        "",
        "PTDF rows of every monitored branch against every bus, streamed in row blocks (`ptdf_blocks`),",
        "and the stored matrix of those rows for 1,000 random pricing points (`ptdf` + `injection_matrix`).",
        "",
        "| case | factor s | nnz(L+U) | bridges (s) | monitored | all buses s | 1,000 points s | "
        "before MiB | peak MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case, r in results["cases"].items():
        s = r.get("sens")
        if not s:
            continue
        if "error" in s:
            lines.append(f"| {case} | error: {s['error']} | | | | | | | |")
            continue
        lines.append(
            f"| {case} | {_f(s['factor_s'])} | {s['factor_nnz']} | {s['bridges']} ({_f(s['bridges_s'])}) | "
            f"{s['monitored_branches']} | {_f(s['sens_all_buses_s'])} | {_f(s['sens_1000_points_s'])} | "
            f"{_f(s['rss_before_mib'], 0)} | {_f(s['peak_mib'], 0)} |"
        )
    ten = results["cases"].get("case_ACTIVSg10k", {})
    if "n1_cached64" in ten:
        lines += [
            "",
            f"## {N_TRANSFERS:,} random transfers, base case and full N-1 (every non-radial branch), "
            "case_ACTIVSg10k",
            "",
            "*build* = factorise + monitored set + N-1 planning (bridges) + `FlowEvaluator.build`;",
            "*screen* = `overloads()` (all base and post-contingency flows, memory-bounded blocks);",
            "*full matrix* = `flows()` returning the whole `n_cont x n_cons` post-contingency matrix.",
            "",
            "| mode | contingencies | constraints | build s | net injection s | screen s | full matrix s | "
            "before MiB | peak to screen MiB | peak MiB |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for mode in ("cached64", "cached32", "streaming"):
            n = ten.get(f"n1_{mode}", {})
            if "error" in n:
                lines.append(f"| {mode} | error: {n['error']} | | | | | | | | |")
                continue
            lines.append(
                f"| {mode} | {n['contingencies']} | {n['constraints']} | {_f(n['build_s'])} | "
                f"{_f(n['net_injection_s'])} | {_f(n['screen_s'])} | {_f(n.get('full_matrix_s', '-'))} | "
                f"{_f(n['rss_before_mib'], 0)} | {_f(n['peak_screen_mib'], 0)} | {_f(n['peak_mib'], 0)} |"
            )
        err = ten.get("n1_cached32", {}).get("float32_max_abs_err_mw")
        if err is not None:
            lines.append("")
            lines.append(f"float32 cache: largest post-contingency flow error against float64 {err:.2e} MW.")
    peers = [(c, r["peer"]) for c, r in results["cases"].items() if "peer" in r]
    if peers:
        lines += [
            "",
            "## Peer: pandapower `makePTDF` (sparse solver) + `makeLODF`, same cases, same run",
            "",
            "| case | PTDF s | LODF s | total s | before MiB | peak MiB |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for case, pr in peers:
            if "error" in pr:
                lines.append(f"| {case} | error: {pr['error']} | | | | |")
                continue
            lines.append(
                f"| {case} | {_f(pr['ptdf_s'])} | {_f(pr['lodf_s'])} | {_f(pr['total_s'])} | "
                f"{_f(pr['rss_before_mib'], 0)} | {_f(pr['peak_mib'], 0)} |"
            )
        pr = ten.get("peer", {})
        if "total_s" in pr:
            lines += [
                "",
                "Ratios on case_ACTIVSg10k (peer / ours; ours = build + screen of 50,000 transfers):",
                "",
            ]
            for mode in ("cached64", "cached32", "streaming"):
                n = ten.get(f"n1_{mode}", {})
                if "build_s" not in n:
                    continue
                ours_t = n["build_s"] + n["net_injection_s"] + n["screen_s"]
                ours_m = n["peak_screen_mib"] - n["rss_before_mib"]
                peer_m = pr["peak_mib"] - pr["rss_before_mib"]
                lines.append(
                    f"- {mode}: time {pr['total_s'] / ours_t:.1f}x faster "
                    f"({ours_t:.1f} s vs {pr['total_s']:.1f} s); "
                    f"memory above the loaded case {peer_m / max(ours_m, 1.0):.1f}x less "
                    f"({ours_m:.0f} MiB vs {peer_m:.0f} MiB)."
                )
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", choices=[*STEPS, "n1"])
    parser.add_argument("--case")
    parser.add_argument("--mode", default="cached64")
    parser.add_argument("--cases", help="comma-separated case names (default: the standard set)")
    parser.add_argument(
        "--big", action="store_true", help="case_ACTIVSg25k and case_ACTIVSg70k only (run alone)"
    )
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--output", default=str(RESULTS), help="results directory")
    args = parser.parse_args(argv)
    if args.step:
        result = step_n1(args.case, args.mode) if args.step == "n1" else STEPS[args.step](args.case)
        print(json.dumps(result))
        return
    command = "python -m benchmarks.network_bench " + " ".join(argv if argv is not None else sys.argv[1:])
    if args.big:
        # large cases run alone (late, nothing else of ours running)
        cases = tuple(args.cases.split(",")) if args.cases else BIG
        results = run(cases, True, False, [])
        print(render_big(results, command.strip()))
        write_run("network_big", command.strip(), results, Path(args.output))
    else:
        cases = tuple(args.cases.split(",")) if args.cases else SMALL
        results = run(cases, False, not args.no_peer, [])
        print(render(results, command.strip()))
        write_run("network", command.strip(), results, Path(args.output))


def render_big(results: dict[str, Any], command: str) -> str:
    """The large-case section: load and monitored-element sensitivities, each in its own process."""
    lines = [
        BIG_BEGIN,
        "## Large cases (run once, late, each step in its own process; other work on the machine)",
        "",
        f"Command: `{command}`",
        "",
        f"Machine before: {results['machine_before']}",
        f"Machine after: {results['machine_after']}",
        "",
        "| case | buses | branches | load s | load peak MiB | factor s | nnz(L+U) | monitored | "
        "all buses s | 1,000 points s | sensitivities peak MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case, r in results["cases"].items():
        ld, sn = r.get("load", {}), r.get("sens", {})
        if "error" in ld or "error" in sn:
            lines.append(f"| {case} | error: {ld.get('error') or sn.get('error')} | | | | | | | | | |")
            continue
        lines.append(
            f"| {case} | {ld['buses']} | {ld['branches']} | {_f(ld['load_s'])} | {_f(ld['peak_mib'], 0)} | "
            f"{_f(sn['factor_s'])} | {sn['factor_nnz']} | {sn['monitored_branches']} | "
            f"{_f(sn['sens_all_buses_s'])} | {_f(sn['sens_1000_points_s'])} | {_f(sn['peak_mib'], 0)} |"
        )
    lines += [
        "",
        "The peer is not run on these cases: its dense PTDF and LODF alone would need about",
        "`8 x branches x (buses + 2 x branches)` bytes (about 23 GB for case_ACTIVSg25k,",
        "170 GB for case_ACTIVSg70k).",
        BIG_END,
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
