"""Small hand-made networks and a minimal dense PTDF, for tests only.

The PTDF here is the textbook one (``B_f A B^-1`` with the reference column removed); it exists
only so the simulator can be tested on networks small enough to check by hand.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from network.model import Generator, Network
from network.sensitivity import build_sensitivity_model
from simulation.topology import ConstraintModel


def make_network(
    n_bus: int,
    lines: list[tuple[int, int, float, float]],
    generators: list[tuple[int, float, float, float]],
    demand: list[float],
    reference: int = 0,
) -> Network:
    """``lines``: (from, to, reactance pu, rating MW); ``generators``: (bus, pmax, c2, c1)."""
    return Network(
        name="test",
        base_mva=100.0,
        bus_ids=tuple(str(i + 1) for i in range(n_bus)),
        reference_bus=str(reference + 1),
        branch_ids=tuple(str(k + 1) for k in range(len(lines))),
        branch_from=np.array([f for f, _, _, _ in lines], dtype=np.int64),
        branch_to=np.array([t for _, t, _, _ in lines], dtype=np.int64),
        reactance_pu=np.array([x for _, _, x, _ in lines]),
        tap_ratio=np.ones(len(lines)),
        phase_shift_deg=np.zeros(len(lines)),
        rate_normal_mw=np.array([r for _, _, _, r in lines]),
        rate_emergency_mw=np.array([r for _, _, _, r in lines]),
        in_service=np.ones(len(lines), dtype=bool),
        bus_demand_mw=np.array(demand, dtype=np.float64),
        generators=tuple(
            Generator(id=f"G{j + 1}", bus_id=str(b + 1), pmin_mw=0.0, pmax_mw=p, cost_c2=c2, cost_c1=c1)
            for j, (b, p, c2, c1) in enumerate(generators)
        ),
    )


def dense_ptdf(net: Network, out: tuple[int, ...] = ()) -> np.ndarray:
    """Branch x bus PTDF relative to the reference bus, branches in ``out`` removed (zero rows)."""
    n, m = net.n_buses, net.n_branches
    live = np.ones(m, dtype=bool)
    live[list(out)] = False
    a = np.zeros((m, n))
    a[np.arange(m), net.branch_from] = 1.0
    a[np.arange(m), net.branch_to] = -1.0
    b = np.where(live, 1.0 / net.reactance_pu, 0.0)
    bbus = a.T @ (b[:, None] * a)
    ref = net.bus_index(net.reference_bus)
    keep = np.array([i for i in range(n) if i != ref])
    theta = np.zeros((n, n))
    theta[np.ix_(keep, keep)] = np.linalg.inv(bbus[np.ix_(keep, keep)])
    return (b[:, None] * a) @ theta


def dense_constraints(net: Network, out: tuple[int, ...] = ()) -> ConstraintModel:
    """Every rated, in-service branch of ``net`` as a constraint (a connected topology assumed)."""
    ptdf = dense_ptdf(net, out)
    rows = [k for k in range(net.n_branches) if k not in out and np.isfinite(net.rate_normal_mw[k])]
    return ConstraintModel(
        constraint_ids=tuple(net.branch_ids[k] for k in rows),
        contingency_ids=tuple("" for _ in rows),
        sensitivity=ptdf[rows],
        limit_mw=net.rate_normal_mw[rows],
        offset_mw=np.zeros(len(rows)),
        priced=np.ones(net.n_buses, dtype=bool),
        reference_bus=net.bus_index(net.reference_bus),
        nearest_priced_bus=np.arange(net.n_buses),
    )


def random_network(n_bus: int, seed: int) -> Network:
    """A random connected network (a spanning tree plus extra lines), loads, quadratic-cost generators."""
    rng = np.random.default_rng(seed)
    lines: list[tuple[int, int, float, float]] = []
    for i in range(1, n_bus):
        j = int(rng.integers(0, i))
        lines.append((j, i, float(rng.uniform(0.05, 0.5)), float(rng.uniform(20.0, 150.0))))
    for _ in range(int(rng.integers(0, n_bus))):
        a, b = (int(v) for v in rng.choice(n_bus, size=2, replace=False))
        lines.append((a, b, float(rng.uniform(0.05, 0.5)), float(rng.uniform(20.0, 150.0))))
    demand = rng.uniform(0.0, 80.0, size=n_bus) * (rng.random(n_bus) < 0.7)
    n_gen = int(rng.integers(2, min(n_bus, 4) + 1))
    gen_bus = rng.choice(n_bus, size=n_gen, replace=False)
    pmax = 2.0 * max(float(demand.sum()), 10.0) / n_gen + 10.0
    gens = [(int(b), pmax, float(rng.uniform(0.005, 0.05)), float(rng.uniform(5.0, 60.0))) for b in gen_bus]
    return make_network(n_bus, lines, gens, demand.tolist(), reference=int(rng.integers(0, n_bus)))


def bus_weights(net: Network, point_ids: tuple[str, ...]) -> sp.csr_matrix:
    """``(n_points, n_buses)`` weights of pricing points, from the network model."""
    return sp.csr_matrix(build_sensitivity_model(net).injection_matrix(point_ids).T)
