"""Flows of transfers on every monitored constraint, base case and after every contingency.

This is the inner loop of the auction's constraint generation, so everything that does not depend on
the injections is computed once in :meth:`FlowEvaluator.build`:

- ``C`` the constraint coefficients (``n_cons x n_branches``) and, per contingency, the opened set
  ``M`` with ``(I - H_MM)^-1`` (see :mod:`network.contingency`);
- ``Wc = C (PTDF[:, (O)] - I[:, O])`` for the union ``O`` of all opened branches: constraint MW per MW
  moved across each opened branch. It is cached when it fits ``cache_bytes``; otherwise it is
  recomputed in memory-bounded blocks on every call (slower, same result).

A call then needs one sparse solve for the net bus injections (``theta = B_r^-1 p``), branch flows
``f``, base constraint flows ``C f`` and, per contingency, ``C f + Wc[:, M] (I - H_MM)^-1 f_M``.
Islanding contingencies need one more solve each (their cut-off injections are zeroed first).
Flows returned here exclude loop flow (``MonitoredSet.loop_flow_mw``): the caller adds it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from network.constraints import MonitoredSet
from network.contingency import (
    ContingencyHandling,
    ContingencyPlan,
    ContingencyReport,
    plan_contingencies,
)
from network.errors import InvalidElementError
from network.model import Contingency, FloatArray, IntArray
from network.sensitivity import SensitivityModel

#: Default memory allowed for the cached ``Wc`` matrix (bytes).
DEFAULT_CACHE_BYTES = 2 * 2**30
#: Working memory for one block of post-contingency rows or ``Wc`` columns (bytes).
BLOCK_BYTES = 64 * 2**20
#: ``|det(I - H)|`` (or ``|1 - h|``) below which a non-islanding contingency is treated as singular.
SINGULAR_TOL = 1e-10


@dataclass(frozen=True)
class FlowResult:
    """Constraint flows in MW, loop flow excluded: ``base_mw (n_cons,)``, ``post_mw (n_cont, n_cons)``."""

    base_mw: FloatArray
    post_mw: FloatArray


@dataclass(frozen=True)
class _Inverse:
    """``(I - H_MM)^-1`` of one contingency, with the positions of ``M`` in the union ``O``."""

    o_cols: IntArray
    branches: IntArray
    inv: FloatArray


class FlowEvaluator:
    """Vectorised constraint flows for one (model, monitored set, contingency list)."""

    def __init__(
        self,
        model: SensitivityModel,
        monitored: MonitoredSet,
        plans: tuple[ContingencyPlan, ...],
        cache_bytes: int,
    ) -> None:
        if monitored.branch_coefficients.shape[1] != model.n_branches:
            raise InvalidElementError(
                f"monitored set has {monitored.branch_coefficients.shape[1]} branch columns, "
                f"network {model.network.name!r} has {model.n_branches} branches"
            )
        self.model = model
        self.monitored = monitored
        self._c = monitored.branch_coefficients.tocsr()
        self._c_t = self._c.T.tocsr()
        self.used_branches: IntArray = np.flatnonzero(np.diff(self._c.tocsc().indptr) > 0)
        self._c_used = self._c[:, self.used_branches].tocsc()
        self.contingency_ids = tuple(p.id for p in plans)
        self.outage_union: IntArray = np.unique(
            np.concatenate([p.effective for p in plans] + [np.zeros(0, dtype=np.int64)])
        )
        self._o_pos = {int(b): k for k, b in enumerate(self.outage_union.tolist())}
        inverses, singular = self._inverses(plans)
        handled: list[ContingencyPlan] = []
        for p, bad in zip(plans, singular, strict=True):
            if bad:
                p = ContingencyPlan(
                    p.id, p.opened, p.effective, p.cut_off_buses, ContingencyHandling.SINGULAR_BASE_FLOWS_KEPT
                )
            handled.append(p)
        self.plans = tuple(handled)
        self._inv = inverses
        bus_ids = model.network.bus_ids
        self.islanding: tuple[ContingencyReport, ...] = tuple(
            ContingencyReport(p.id, p.handling, tuple(bus_ids[i] for i in p.cut_off_buses.tolist()))
            for p in self.plans
            if p.handling is not ContingencyHandling.LODF
        )
        n_cons = monitored.n_constraints
        self._wc: FloatArray | None = None
        if n_cons * len(self.outage_union) * 8 <= cache_bytes:
            self._wc = self._compute_wc(np.arange(len(self.outage_union)))

    @classmethod
    def build(
        cls,
        model: SensitivityModel,
        monitored: MonitoredSet,
        contingencies: Sequence[Contingency],
        *,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
    ) -> FlowEvaluator:
        """Plan the contingencies (islanding from topology) and precompute what :meth:`flows` needs."""
        return cls(model, monitored, plan_contingencies(model, contingencies), cache_bytes)

    # ------------------------------------------------------------------ precomputation
    @property
    def is_cached(self) -> bool:
        """Whether ``Wc`` is held in memory (else recomputed block-wise on each call)."""
        return self._wc is not None

    def _inverses(self, plans: tuple[ContingencyPlan, ...]) -> tuple[list[_Inverse | None], list[bool]]:
        model = self.model
        cols: list[int] = []
        for p in plans:
            cols.extend(p.effective.tolist())
        h_blocks: list[FloatArray] = []
        if cols:
            # transfers across each opened branch; only the entries on opened branches are kept
            col_arr = np.array(cols, dtype=np.int64)
            step = max(1, BLOCK_BYTES // (8 * max(1, model.n_buses)))
            flat: list[FloatArray] = []
            pos = 0
            for p in plans:
                k = len(p.effective)
                flat.append(np.zeros((k, k)))
                pos += k
            theta_cols: list[FloatArray] = []
            for c0 in range(0, len(col_arr), step):
                theta_cols.append(model._transfer_angles(col_arr[c0 : c0 + step]))
            theta = np.concatenate(theta_cols, axis=1)
            pos = 0
            for i, p in enumerate(plans):
                k = len(p.effective)
                if k:
                    flat[i] = model.flows_from_angles(theta[:, pos : pos + k], p.effective)
                pos += k
            h_blocks = flat
        inverses: list[_Inverse | None] = []
        singular: list[bool] = []
        for i, p in enumerate(plans):
            k = len(p.effective)
            if k == 0:
                inverses.append(None)
                singular.append(False)
                continue
            m = np.eye(k) - h_blocks[i]
            det = np.linalg.det(m)
            if not np.isfinite(det) or abs(det) < SINGULAR_TOL:
                inverses.append(None)
                singular.append(p.handling is ContingencyHandling.LODF)
                continue
            o_cols = np.array([self._o_pos[int(b)] for b in p.effective.tolist()], dtype=np.int64)
            inverses.append(_Inverse(o_cols, p.effective, np.asarray(np.linalg.inv(m), dtype=np.float64)))
            singular.append(False)
        return inverses, singular

    def _compute_wc(self, o_cols: IntArray) -> FloatArray:
        """``C (PTDF[:, (o)] - I[:, o])`` for the given columns of the outage union, ``(n_cons, len)``."""
        model = self.model
        n_cons = self.monitored.n_constraints
        out = np.empty((n_cons, len(o_cols)))
        per_col = 8 * (model.n_buses + len(self.used_branches) + n_cons)
        step = max(1, BLOCK_BYTES // per_col)
        used_pos = {int(b): k for k, b in enumerate(self.used_branches.tolist())}
        for c0 in range(0, len(o_cols), step):
            cols = o_cols[c0 : c0 + step]
            branches = self.outage_union[cols]
            theta = model._transfer_angles(branches)
            w = model.flows_from_angles(theta, self.used_branches)
            for j, b in enumerate(branches.tolist()):
                r = used_pos.get(int(b))
                if r is not None:
                    w[r, j] -= 1.0
            out[:, c0 : c0 + step] = self._c_used @ w
        return out

    def _wc_cols(self, o_cols: IntArray) -> FloatArray:
        return self._wc[:, o_cols] if self._wc is not None else self._compute_wc(o_cols)

    # ------------------------------------------------------------------ evaluation
    def _validate_injection(self, injection_mw: FloatArray) -> FloatArray:
        p = np.asarray(injection_mw, dtype=np.float64)
        if p.ndim != 1 or p.shape[0] != self.model.n_buses:
            raise InvalidElementError(
                f"injection must be a vector of {self.model.n_buses} bus MW values, got shape {p.shape}"
            )
        return p

    def _islanded_branch_flows(self, p: FloatArray, plans: Sequence[ContingencyPlan]) -> FloatArray:
        """Branch flows ``(n_branches, len(plans))`` with each plan's cut-off injections zeroed."""
        pp = np.repeat(p[:, None], len(plans), axis=1)
        for j, plan in enumerate(plans):
            pp[plan.cut_off_buses, j] = 0.0
        return self.model.flows_from_angles(self.model.angles(pp))

    def _post_block(self, p: FloatArray, f: FloatArray, base: FloatArray, rows: range) -> FloatArray:
        """Post-contingency constraint flows for contingencies ``rows`` (a contiguous range)."""
        block = np.repeat(base[None, :], len(rows), axis=0)
        singles: list[int] = []
        others: list[int] = []
        for r in rows:
            inv = self._inv[r]
            plan = self.plans[r]
            if plan.handling is ContingencyHandling.ISLANDING_INJECTIONS_LOST:
                others.append(r)
            elif inv is not None and len(inv.branches) == 1:
                singles.append(r)
            elif inv is not None:
                others.append(r)
        if singles:
            o_cols = np.array([self._inv[r].o_cols[0] for r in singles], dtype=np.int64)  # type: ignore[union-attr]
            g = np.array([self._inv[r].inv[0, 0] for r in singles])  # type: ignore[union-attr]
            br = self.outage_union[o_cols]
            delta = g * f[br]
            local = np.array(singles) - rows.start
            block[local] += (self._wc_cols(o_cols) * delta[None, :]).T
        islanding = [
            r for r in others if self.plans[r].handling is ContingencyHandling.ISLANDING_INJECTIONS_LOST
        ]
        f_isl = self._islanded_branch_flows(p, [self.plans[r] for r in islanding]) if islanding else None
        for r in others:
            inv = self._inv[r]
            if f_isl is not None and r in islanding:
                fr = f_isl[:, islanding.index(r)]
                row = self._c @ fr
            else:
                fr = f
                row = base.copy()
            if inv is not None:
                row = row + self._wc_cols(inv.o_cols) @ (inv.inv @ fr[inv.branches])
            block[r - rows.start] = row
        return block

    def _rows_per_block(self) -> int:
        return max(1, BLOCK_BYTES // (8 * max(1, self.monitored.n_constraints)))

    def post_flow_blocks(self, injection_mw: FloatArray) -> Iterator[tuple[range, FloatArray]]:
        """Post-contingency constraint flows in memory-bounded blocks: ``(contingency range, block)``.

        Use this (or :meth:`flows` on small cases) when ``n_cont x n_cons`` is too large to hold.
        """
        p = self._validate_injection(injection_mw)
        f = self.model.branch_flows(p)
        base = self._c @ f
        step = self._rows_per_block()
        for r0 in range(0, len(self.plans), step):
            rows = range(r0, min(r0 + step, len(self.plans)))
            yield rows, self._post_block(p, f, base, rows)

    def flows(self, injection_mw: FloatArray) -> FlowResult:
        """Constraint MW for net bus injections ``(n_buses,)``: base and after every contingency.

        Loop flow is not included. ``post_mw`` is ``(n_contingencies, n_constraints)``.
        """
        p = self._validate_injection(injection_mw)
        f = self.model.branch_flows(p)
        base = self._c @ f
        post = np.empty((len(self.plans), self.monitored.n_constraints))
        step = self._rows_per_block()
        for r0 in range(0, len(self.plans), step):
            rows = range(r0, min(r0 + step, len(self.plans)))
            post[r0 : rows.stop] = self._post_block(p, f, base, rows)
        return FlowResult(base_mw=base, post_mw=post)

    def net_injection(self, sources: Sequence[str], sinks: Sequence[str], mw: FloatArray) -> FloatArray:
        """Net bus injections of transfers ``mw_i`` from ``sources[i]`` to ``sinks[i]`` (``n_buses``)."""
        q = np.asarray(mw, dtype=np.float64)
        if not (len(sources) == len(sinks) == q.shape[0]) or q.ndim != 1:
            raise InvalidElementError(
                f"transfers: {len(sources)} sources, {len(sinks)} sinks and {q.shape} MW do not line up"
            )
        points, inverse = np.unique(np.array(list(sources) + list(sinks), dtype=object), return_inverse=True)
        n = len(sources)
        a = np.bincount(inverse[:n], q, minlength=len(points)) - np.bincount(
            inverse[n:], q, minlength=len(points)
        )
        inj = self.model.injection_matrix([str(x) for x in points.tolist()])
        return np.asarray(inj @ a).ravel()

    def transfer_flows(self, sources: Sequence[str], sinks: Sequence[str], mw: FloatArray) -> FlowResult:
        """Constraint MW of the sum of point-to-point transfers (one net injection, one solve)."""
        return self.flows(self.net_injection(sources, sinks, mw))

    def constraint_sensitivities(
        self, rows: Sequence[tuple[int, int | None]], injections: sp.spmatrix | FloatArray
    ) -> FloatArray:
        """``d(constraint flow after contingency)/d(injection column)``, shape ``(len(rows), k)``.

        ``rows`` are ``(constraint index, contingency index or None for the base case)``. For a
        contingency row: ``C_i PTDF + Wc[i, M] (I - H_MM)^-1 PTDF[M, :]``, with the cut-off buses of an
        islanding contingency contributing 0. Solved by rows (one solve per row) or by columns
        (one per injection column), whichever is fewer.
        """
        inj: Any
        if sp.issparse(injections):
            inj = injections.tocsc()  # type: ignore[union-attr]
        else:
            inj = np.asarray(injections, dtype=np.float64)
            if inj.ndim == 1:
                inj = inj[:, None]
        if inj.shape[0] != self.model.n_buses:
            raise InvalidElementError(
                f"injections have {inj.shape[0]} rows, the network has {self.model.n_buses} buses"
            )
        n_cons = self.monitored.n_constraints
        for i, j in rows:
            if not 0 <= i < n_cons:
                raise InvalidElementError(f"constraint index {i} out of range (0..{n_cons - 1})")
            if j is not None and not 0 <= j < len(self.plans):
                raise InvalidElementError(f"contingency index {j} out of range (0..{len(self.plans) - 1})")
        k = inj.shape[1]
        if len(rows) == 0 or k == 0:
            return np.zeros((len(rows), k))
        if len(rows) <= k:
            return self._sensitivities_by_rows(rows, inj)
        return self._sensitivities_by_columns(rows, inj)

    def _row_branch_weights(self, i: int, j: int | None) -> tuple[sp.csr_matrix, IntArray]:
        """Branch weights ``w`` with ``d flow / d p = PTDF^T w``, and the buses to zero (cut off)."""
        w = self._c[i].toarray().ravel()
        cut = np.zeros(0, dtype=np.int64)
        if j is not None:
            plan = self.plans[j]
            inv = self._inv[j]
            if plan.handling is ContingencyHandling.ISLANDING_INJECTIONS_LOST:
                cut = plan.cut_off_buses
            if inv is not None and plan.handling is not ContingencyHandling.SINGULAR_BASE_FLOWS_KEPT:
                beta = inv.inv.T @ self._wc_cols(inv.o_cols)[i]
                np.add.at(w, inv.branches, beta)
        return sp.csr_matrix(w), cut

    def _sensitivities_by_rows(self, rows: Sequence[tuple[int, int | None]], inj: Any) -> FloatArray:
        model = self.model
        out = np.empty((len(rows), inj.shape[1]))
        step = model._block_columns()
        for r0 in range(0, len(rows), step):
            chunk = rows[r0 : r0 + step]
            weights = [self._row_branch_weights(i, j) for i, j in chunk]
            w = sp.vstack([wt for wt, _ in weights]).tocsc()  # (len, n_branches)
            b = model.susceptance_pu
            rf = model.reduced_index[model.branch_from]
            rt = model.reduced_index[model.branch_to]
            n_red = len(model.reduced_buses)
            # rhs = A_r^T diag(b) w^T, built as a sparse product
            nb = model.n_branches
            ar = sp.csr_matrix(
                (
                    np.concatenate([b[rf >= 0], -b[rt >= 0]]),
                    (
                        np.concatenate([rf[rf >= 0], rt[rt >= 0]]),
                        np.concatenate([np.flatnonzero(rf >= 0), np.flatnonzero(rt >= 0)]),
                    ),
                ),
                shape=(n_red, nb),
            )
            rhs = (ar @ w.T).toarray()
            y = model.solve_reduced(rhs)
            g = np.zeros((model.n_buses, len(chunk)))
            g[model.reduced_buses] = y
            for c, (_, cut) in enumerate(weights):
                g[cut, c] = 0.0
            out[r0 : r0 + len(chunk)] = g.T @ inj if isinstance(inj, np.ndarray) else np.asarray(inj.T @ g).T
        return out

    def _sensitivities_by_columns(self, rows: Sequence[tuple[int, int | None]], inj: Any) -> FloatArray:
        model = self.model
        dense: FloatArray = inj if isinstance(inj, np.ndarray) else inj.toarray()
        f = model.branch_flows(dense)  # (n_branches, k)
        base = self._c @ f
        out = np.empty((len(rows), dense.shape[1]))
        isl_cache: dict[int, FloatArray] = {}
        for r, (i, j) in enumerate(rows):
            if j is None:
                out[r] = base[i]
                continue
            plan = self.plans[j]
            inv = self._inv[j]
            fr = f
            row = base[i]
            if plan.handling is ContingencyHandling.ISLANDING_INJECTIONS_LOST:
                if j not in isl_cache:
                    pp = dense.copy()
                    pp[plan.cut_off_buses] = 0.0
                    isl_cache[j] = model.branch_flows(pp)
                fr = isl_cache[j]
                row = self._c[i] @ fr
            if inv is not None and plan.handling is not ContingencyHandling.SINGULAR_BASE_FLOWS_KEPT:
                row = row + self._wc_cols(inv.o_cols)[i] @ (inv.inv @ fr[inv.branches])
            out[r] = np.asarray(row).ravel()
        return out
