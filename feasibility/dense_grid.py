"""A :class:`~feasibility.grid.Grid` held as explicit dense PTDF matrices, for small networks.

Each case (base and every contingency) has its own PTDF, computed directly from the reduced
susceptance matrix of that topology (no LODF): ``theta = B_r^-1 p`` with the reference bus removed,
``flow_l = (theta_from - theta_to) / x_l`` (MW, DC lossless, reference bus absorbs the injection).
It is an independent cross-check of the sparse ``network`` sensitivities and the grid of the worked
examples; memory is ``(1 + n_cont) x n_branches x n_buses`` floats, so keep it to a few hundred buses.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from feasibility.grid import BASE_CASE
from market_terms import FloatArray, IntArray


def dc_ptdf(
    n_buses: int, reference: int, branch_from: IntArray, branch_to: IntArray, reactance: FloatArray
) -> FloatArray:
    """Dense PTDF (n_branches x n_buses): MW per MW injected at a bus and withdrawn at ``reference``.

    Raises ``ValueError`` if the topology is not connected (the reduced B matrix is singular).
    """
    b = 1.0 / reactance
    n_br = len(branch_from)
    incidence = np.zeros((n_br, n_buses))
    incidence[np.arange(n_br), branch_from] = 1.0
    incidence[np.arange(n_br), branch_to] = -1.0
    bbus = incidence.T @ (b[:, None] * incidence)
    keep = np.array([i for i in range(n_buses) if i != reference])
    reduced = bbus[np.ix_(keep, keep)]
    if n_buses > 1 and np.linalg.matrix_rank(reduced) < n_buses - 1:
        raise ValueError("topology is not connected: the reduced susceptance matrix is singular")
    theta = np.zeros((n_buses, n_buses))
    if n_buses > 1:
        theta[np.ix_(keep, keep)] = np.linalg.inv(reduced)
    out: FloatArray = (b[:, None] * incidence) @ theta
    return out


@dataclass(frozen=True)
class DenseGrid:
    """Explicit PTDF per case; constraints are the branches listed in ``monitored``."""

    bus_ids: tuple[str, ...]
    constraint_ids: tuple[str, ...]
    contingency_ids: tuple[str, ...]
    limit_normal_mw: FloatArray
    limit_emergency_mw: FloatArray
    loop_flow_mw: FloatArray
    ptdf_base: FloatArray
    """(n_cons, n_buses)"""
    ptdf_post: FloatArray
    """(n_cont, n_cons, n_buses)"""
    points: Mapping[str, tuple[tuple[str, ...], tuple[float, ...]]] = field(default_factory=dict)
    """Aggregated pricing points: id -> (bus ids, weights). Bus ids are points too."""

    @classmethod
    def from_branches(
        cls,
        bus_ids: Sequence[str],
        reference: str,
        branch_from: Sequence[int],
        branch_to: Sequence[int],
        reactance: Sequence[float],
        limit_normal_mw: Sequence[float],
        limit_emergency_mw: Sequence[float] | None = None,
        *,
        branch_ids: Sequence[str] | None = None,
        contingencies: Mapping[str, Sequence[int]] | None = None,
        loop_flow_mw: Sequence[float] | None = None,
        points: Mapping[str, tuple[tuple[str, ...], tuple[float, ...]]] | None = None,
    ) -> DenseGrid:
        """Every branch is monitored; ``contingencies`` maps an id to the branch positions it takes out."""
        n = len(bus_ids)
        ref = list(bus_ids).index(reference)
        f = np.asarray(branch_from, dtype=np.int64)
        t = np.asarray(branch_to, dtype=np.int64)
        x = np.asarray(reactance, dtype=np.float64)
        n_br = len(f)
        ids = tuple(branch_ids) if branch_ids is not None else tuple(str(i + 1) for i in range(n_br))
        base = dc_ptdf(n, ref, f, t, x)
        conts = dict(contingencies or {})
        post = np.zeros((len(conts), n_br, n))
        for c, out in enumerate(conts.values()):
            alive = np.ones(n_br, dtype=bool)
            alive[list(out)] = False
            post[c][alive] = dc_ptdf(n, ref, f[alive], t[alive], x[alive])
        normal = np.asarray(limit_normal_mw, dtype=np.float64)
        emergency = normal if limit_emergency_mw is None else np.asarray(limit_emergency_mw, dtype=np.float64)
        loop = np.zeros(n_br) if loop_flow_mw is None else np.asarray(loop_flow_mw, dtype=np.float64)
        return cls(
            bus_ids=tuple(bus_ids),
            constraint_ids=ids,
            contingency_ids=tuple(conts),
            limit_normal_mw=normal,
            limit_emergency_mw=emergency,
            loop_flow_mw=loop,
            ptdf_base=base,
            ptdf_post=post,
            points=dict(points or {}),
        )

    def injection_matrix(self, point_ids: Sequence[str]) -> sp.csc_matrix:
        index = {b: i for i, b in enumerate(self.bus_ids)}
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        for j, pid in enumerate(point_ids):
            buses, weights = self.points.get(pid, ((pid,), (1.0,)))
            for b, w in zip(buses, weights, strict=True):
                if b not in index:
                    raise KeyError(f"unknown pricing point or bus {pid!r}")
                rows.append(index[b])
                cols.append(j)
                vals.append(w)
        return sp.csc_matrix((vals, (rows, cols)), shape=(len(self.bus_ids), len(point_ids)))

    def case_flows(self, injection_mw: FloatArray) -> Iterator[tuple[int, FloatArray]]:
        yield 0, (self.ptdf_base @ injection_mw)[None, :]
        if len(self.contingency_ids):
            yield 1, self.ptdf_post @ injection_mw

    def sensitivities(
        self, constraint_idx: IntArray, case_idx: IntArray, injections: sp.spmatrix
    ) -> FloatArray:
        rows = np.where(
            (case_idx == BASE_CASE)[:, None],
            self.ptdf_base[constraint_idx],
            self.ptdf_post[np.maximum(case_idx, 0), constraint_idx] if len(self.contingency_ids) else 0.0,
        )
        dense = np.asarray(injections.toarray(), dtype=np.float64)  # type: ignore[attr-defined]
        out: FloatArray = rows @ dense
        return out
