"""PTDF and LODF against an independent implementation: pandapower's ``makePTDF`` / ``makeLODF``.

The peer's matrices are built straight from the ``matpowercaseframes`` tables (not through our
loader), renumbered to consecutive buses as MATPOWER's internal indexing requires.
"""

from __future__ import annotations

import numpy as np
import pytest
from matpowercaseframes import CaseFrames
from pandapower.pypower.idx_brch import branch_cols
from pandapower.pypower.idx_bus import bus_cols
from pandapower.pypower.makeLODF import makeLODF
from pandapower.pypower.makePTDF import makePTDF

from network.matpower import load_matpower, matpower_case_path
from network.sensitivity import build_sensitivity_model

TOL = 1e-8


def peer_matrices(case: str) -> tuple[np.ndarray, np.ndarray]:
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
    ptdf = makePTDF(float(cf.baseMVA), bus, branch, using_sparse_solver=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        lodf = makeLODF(branch, ptdf)
    return ptdf, np.asarray(lodf)


def check_case(case: str) -> None:
    net = load_matpower(matpower_case_path(case))
    model = build_sensitivity_model(net)
    ptdf_peer, lodf_peer = peer_matrices(case)
    ours = model.dense_ptdf()
    scale = max(1.0, float(np.abs(ptdf_peer).max()))
    np.testing.assert_allclose(ours, ptdf_peer, rtol=0, atol=TOL * scale)

    bridges = model.bridge_mask
    meshed = np.flatnonzero(~bridges & model.energised_branch)
    ours_lodf = model.lodf(np.arange(net.n_branches), meshed)
    peer = lodf_peer[:, meshed]
    assert np.isfinite(ours_lodf).all()
    err = np.abs(ours_lodf - peer) / (1.0 + np.abs(peer).max(axis=0, keepdims=True))
    assert float(err.max()) <= TOL
    # a bridge carries all of its side's injection: PTDF across itself is exactly 1 (denominator 0)
    h_bridge = np.einsum(
        "ij,ji->i", ptdf_peer[bridges][:, net.branch_from[bridges]], np.eye(int(bridges.sum()))
    )
    h_bridge -= np.einsum(
        "ij,ji->i", ptdf_peer[bridges][:, net.branch_to[bridges]], np.eye(int(bridges.sum()))
    )
    np.testing.assert_allclose(h_bridge, 1.0, atol=1e-8)


@pytest.mark.parametrize("case", ["case118", "case300"])
def test_matches_pandapower(case: str) -> None:
    check_case(case)


@pytest.mark.slow
def test_matches_pandapower_activsg2000() -> None:
    check_case("case_ACTIVSg2000")
