"""A small, independent DC power flow for the feasibility tests: PTDFs from the B matrix per topology.

It solves each contingency's topology from scratch (no LODFs), so it cross-checks the network
package's evaluator, and it has the same ``transfer_flows`` interface.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from market_terms import FloatArray


@dataclass(frozen=True)
class Limits:
    ids: tuple[str, ...]
    limit_normal_mw: FloatArray
    limit_emergency_mw: FloatArray
    loop_flow_mw: FloatArray


@dataclass(frozen=True)
class Flows:
    base_mw: FloatArray
    post_mw: FloatArray


def ptdf(buses: Sequence[str], branches: Sequence[tuple[str, str, str, float]], reference: str) -> FloatArray:
    """``(n_branches, n_buses)`` MW on each branch per MW injected at a bus and withdrawn at ``reference``."""
    pos = {b: i for i, b in enumerate(buses)}
    n = len(buses)
    a = np.zeros((len(branches), n))
    for k, (_, f, t, _) in enumerate(branches):
        a[k, pos[f]] = 1.0
        a[k, pos[t]] = -1.0
    bdiag = np.diag([1.0 / x for *_, x in branches])
    keep = [i for i in range(n) if i != pos[reference]]
    bbus = a.T @ bdiag @ a
    out = np.zeros((len(branches), n))
    out[:, keep] = bdiag @ a[:, keep] @ np.linalg.inv(bbus[np.ix_(keep, keep)])
    return out


@dataclass(frozen=True)
class DcFlowModel:
    buses: tuple[str, ...]
    branches: tuple[tuple[str, str, str, float], ...]  # id, from, to, reactance
    reference: str
    normal_mw: Mapping[str, float]
    emergency_mw: Mapping[str, float]
    outages: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # contingency id -> branch ids
    loop_mw: Mapping[str, float] = field(default_factory=dict)

    @property
    def monitored(self) -> Limits:
        ids = tuple(b[0] for b in self.branches)
        return Limits(
            ids,
            np.array([self.normal_mw[i] for i in ids]),
            np.array([self.emergency_mw[i] for i in ids]),
            np.array([self.loop_mw.get(i, 0.0) for i in ids]),
        )

    @property
    def contingency_ids(self) -> tuple[str, ...]:
        return tuple(self.outages)

    def _flows(self, out: tuple[str, ...], inj: FloatArray) -> FloatArray:
        live = [b for b in self.branches if b[0] not in out]
        flows = ptdf(self.buses, live, self.reference) @ inj
        by_id = dict(zip((b[0] for b in live), flows, strict=True))
        return np.array([by_id.get(b[0], 0.0) for b in self.branches])

    def transfer_flows(self, sources: Sequence[str], sinks: Sequence[str], mw: FloatArray) -> Flows:
        inj = np.zeros(len(self.buses))
        for s, t, q in zip(sources, sinks, mw, strict=True):
            inj[self.buses.index(s)] += q
            inj[self.buses.index(t)] -= q
        base = self._flows((), inj)
        post = np.array([self._flows(o, inj) for o in self.outages.values()]).reshape(
            len(self.outages), len(self.branches)
        )
        return Flows(base, post)


def three_bus(
    *,
    emergency_13: float = 60.0,
    outages: Mapping[str, tuple[str, ...]] | None = None,
    loop_13: float = 0.0,
) -> DcFlowModel:
    """The example of docs/rules.md: 1-2, 2-3, 1-3 at x = 0.1; 1-3 limited to 60 MW; reference bus 3."""
    return DcFlowModel(
        buses=("1", "2", "3"),
        branches=(("1-2", "1", "2", 0.1), ("2-3", "2", "3", 0.1), ("1-3", "1", "3", 0.1)),
        reference="3",
        normal_mw={"1-2": 1000.0, "2-3": 1000.0, "1-3": 60.0},
        emergency_mw={"1-2": 1000.0, "2-3": 1000.0, "1-3": emergency_13},
        outages=dict(outages or {}),
        loop_mw={"1-3": loop_13} if loop_13 else {},
    )
