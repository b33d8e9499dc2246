"""Flows of transfers on every monitored constraint, base case and after every contingency.

This is the inner loop of the auction's constraint generation, so everything that does not depend on
the injections is computed once in :meth:`FlowEvaluator.build`:

- ``C`` the constraint coefficients (``n_cons x n_branches``) and, per contingency, the opened set
  ``M`` with ``(I - H_MM)^-1`` (see :mod:`network.contingency`);
- ``Wc = C (PTDF[:, (O)] - I[:, O])`` for the union ``O`` of all opened branches: constraint MW per MW
  moved across each opened branch. ``cache_bytes`` is the memory budget for it: as many of its
  columns as fit (the first ones, in branch order, so the first contingencies of an N-1 list) are
  computed once and kept; the others are recomputed in memory-bounded blocks (``SOLVE_BLOCK_BYTES``)
  on every call that needs them. A case whose ``Wc`` does not fit (case_ACTIVSg25k, full N-1: 23,330 rows x
  21,290 outages, 4.0 GB) thus recomputes only the share beyond the budget, not the whole matrix.

A call then needs one sparse solve for the net bus injections (``theta = B_r^-1 p``), branch flows
``f``, base constraint flows ``C f`` and, per contingency, ``C f + Wc[:, M] (I - H_MM)^-1 f_M``.
Islanding contingencies need one more solve each (their cut-off injections are zeroed first), except
a single radial branch, which has a closed form (``C PTDF[:, m]`` of the bus it hangs from).
Flows returned here exclude loop flow (``MonitoredSet.loop_flow_mw``): the caller adds it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from market_terms import FloatArray, IntArray
from network.constraints import MonitoredSet
from network.contingency import (
    ContingencyHandling,
    ContingencyPlan,
    ContingencyReport,
    plan_contingencies,
)
from network.errors import InvalidElementError
from network.model import Contingency
from network.sensitivity import SensitivityModel

#: Default memory allowed for the cached ``Wc`` matrix (bytes).
DEFAULT_CACHE_BYTES = 2 * 2**30
#: Working memory for one block of post-contingency rows or ``Wc`` columns (bytes).
BLOCK_BYTES = 16 * 2**20
#: Working memory for one block of solved columns during precomputation (bytes).
SOLVE_BLOCK_BYTES = 96 * 2**20
#: Most right-hand sides per solve block (the level-scheduled solve is fastest around here).
COLUMN_BLOCK = 256
#: ``|det(I - H)|`` (or ``|1 - h|``) below which a non-islanding contingency is treated as singular.
SINGULAR_TOL = 1e-10


@dataclass(frozen=True)
class FlowResult:
    """Constraint flows in MW, loop flow excluded: ``base_mw (n_cons,)``, ``post_mw (n_cont, n_cons)``."""

    base_mw: FloatArray
    post_mw: FloatArray


@dataclass(frozen=True)
class Overloads:
    """Constraint rows whose flow (loop flow included) exceeds their limit, worst first.

    ``contingency_index`` is -1 for the base case (checked against the normal limit) and otherwise
    the contingency's position (checked against the emergency limit). ``flow_mw`` is signed;
    ``excess_mw = |flow_mw| - limit_mw > 0``.
    """

    constraint_index: IntArray
    contingency_index: IntArray
    flow_mw: FloatArray
    limit_mw: FloatArray

    @property
    def excess_mw(self) -> FloatArray:
        return np.abs(self.flow_mw) - self.limit_mw

    def __len__(self) -> int:
        return len(self.constraint_index)


@dataclass(frozen=True)
class IslandCut:
    """Buses a row's contingency cuts off, and the kept island's own reference when the model's
    reference is among them (-1 otherwise): sensitivities are then taken against that bus."""

    buses: IntArray
    reference: int

    def __len__(self) -> int:
        return len(self.buses)


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
        cache_dtype: type[np.floating[Any]] = np.float64,
    ) -> None:
        if monitored.branch_coefficients.shape[1] != model.n_branches:
            raise InvalidElementError(
                f"monitored set has {monitored.branch_coefficients.shape[1]} branch columns, "
                f"network {model.network.name!r} has {model.n_branches} branches"
            )
        self.model = model
        self.monitored = monitored
        self._c = monitored.branch_coefficients.tocsr()
        bf_r = model.reduced_branch_matrix()
        self._bf_r_t = bf_r.T.tocsr()
        self._c_bf = (self._c @ bf_r).tocsr()
        if model.factor is not None:
            self._rhs_pos = model.factor.rhs_position
            self._res_pos = model.factor.result_position
            # columns moved to the factor's result order, so C Bf theta needs no gather of theta
            self._c_bf_internal = self._c_bf[:, np.argsort(self._res_pos)].tocsr()
        self.contingency_ids = tuple(p.id for p in plans)
        self.outage_union: IntArray = np.unique(
            np.concatenate([p.effective for p in plans] + [np.zeros(0, dtype=np.int64)])
        )
        self._o_pos = np.full(model.n_branches, -1, dtype=np.int64)
        self._o_pos[self.outage_union] = np.arange(len(self.outage_union))
        n_cons = monitored.n_constraints
        n_union = len(self.outage_union)
        itemsize = np.dtype(cache_dtype).itemsize
        column_bytes = max(1, n_cons * itemsize)
        self.cache_bytes = int(cache_bytes)
        #: Columns of ``Wc`` held in memory: the first ``cached_columns`` of the outage union.
        self.cached_columns = int(min(n_union, max(0, cache_bytes) // column_bytes))
        cache = self.cached_columns == n_union
        # one pass over the outage union: h = PTDF[o, (o)] for every column, and Wc where cached
        self._wc: NDArray[np.floating[Any]] | None = (
            np.empty((n_cons, self.cached_columns), dtype=cache_dtype) if self.cached_columns else None
        )
        self._h = np.empty(n_union)
        step = self._columns_per_block()
        for c0 in range(0, n_union, step):
            cols = np.arange(c0, min(c0 + step, n_union))
            wc, h = self._wc_and_h(cols, need_wc=c0 < self.cached_columns)
            self._h[cols] = h
            if self._wc is not None and wc is not None:
                keep = min(len(cols), self.cached_columns - c0)
                self._wc[:, c0 : c0 + keep] = wc[:, :keep]
        self._plan(plans)
        left = max(0, cache_bytes) - self.cached_columns * column_bytes
        n_radial = sum(
            1
            for p in self.plans
            if p.handling is ContingencyHandling.ISLANDING_INJECTIONS_LOST
            and len(p.opened) == 1
            and p.reference < 0
        )
        self._plan_radial(cache_dtype, cache and left >= column_bytes * n_radial)

    def _plan_radial(self, cache_dtype: type[np.floating[Any]], cache: bool) -> None:
        """Closed form for a single radial branch (bridge) ``c`` cutting off buses ``S`` behind bus ``m``.

        Every injection in ``S`` reaches the rest through ``c``, so ``PTDF[l, s] = PTDF[l, m]`` for
        branches ``l`` outside ``S``, and the net injection of ``S`` is the flow on ``c`` towards ``m``,
        ``P_S``. Dropping ``S``'s injections therefore gives ``post = C f - P_S C PTDF[:, m] - C[:, T] f_T``,
        with ``T`` the branches touching ``S`` (``c`` included), whose post-contingency flow is 0.
        """
        model = self.model
        radial = [
            j
            for j, p in enumerate(self.plans)
            if p.handling is ContingencyHandling.ISLANDING_INJECTIONS_LOST
            and len(p.opened) == 1
            and p.reference < 0  # the closed form assumes the reference stays on the kept side
        ]
        self._radial = np.array(radial, dtype=np.int64)
        self._is_radial = np.zeros(len(self.plans), dtype=np.bool_)
        self._is_radial[self._radial] = True
        self._radial_pos = np.full(len(self.plans), -1, dtype=np.int64)
        self._radial_pos[self._radial] = np.arange(len(radial))
        branch = np.array([int(self.plans[j].opened[0]) for j in radial], dtype=np.int64)
        in_cut = np.zeros(model.n_buses, dtype=np.bool_)
        m_bus = np.empty(len(radial), dtype=np.int64)
        sign = np.empty(len(radial))
        rows: list[IntArray] = []
        cols: list[IntArray] = []
        for k, j in enumerate(radial):
            cut = self.plans[j].cut_off_buses
            in_cut[cut] = True
            f_bus, t_bus = model.branch_from[branch[k]], model.branch_to[branch[k]]
            from_side = bool(in_cut[f_bus])
            m_bus[k] = t_bus if from_side else f_bus
            sign[k] = 1.0 if from_side else -1.0
            touching = np.flatnonzero(
                model.energised_branch & (in_cut[model.branch_from] | in_cut[model.branch_to])
            )
            rows.append(touching)
            cols.append(np.full(len(touching), k, dtype=np.int64))
            in_cut[cut] = False
        self._radial_branch = branch
        self._radial_sign = sign
        self._radial_touch = sp.csc_matrix(
            (
                np.ones(sum(len(r) for r in rows)),
                (
                    np.concatenate([*rows, np.zeros(0, dtype=np.int64)]),
                    np.concatenate([*cols, np.zeros(0, dtype=np.int64)]),
                ),
            ),
            shape=(model.n_branches, len(radial)),
        )
        self._radial_m, self._radial_m_col = np.unique(m_bus, return_inverse=True)
        self._radial_v: NDArray[np.floating[Any]] | None = None
        if cache and len(radial):
            self._radial_v = self._bus_constraint_ptdf(self._radial_m).astype(cache_dtype)

    def _bus_constraint_ptdf(self, buses: IntArray) -> FloatArray:
        """``C PTDF[:, bus]`` for each bus (injection at the bus, withdrawal at the reference)."""
        model = self.model
        out = np.zeros((self.monitored.n_constraints, len(buses)))
        red = model.reduced_index[buses]
        live = np.flatnonzero(red >= 0)
        step = self._columns_per_block()
        for c0 in range(0, len(live), step):
            cols = live[c0 : c0 + step]
            rhs = np.zeros((len(model.reduced_buses), len(cols)))
            rhs[red[cols], np.arange(len(cols))] = 1.0
            out[:, cols] = np.asarray(self._c_bf @ model.solve_reduced(rhs))
        return out

    def _plan(self, plans: tuple[ContingencyPlan, ...]) -> None:
        """Per contingency: ``(I - H_MM)^-1``, or the vectorised single-branch factor ``1 / (1 - h)``."""
        n = len(plans)
        self._single_o = np.full(n, -1, dtype=np.int64)
        self._single_g = np.zeros(n)
        self._single_branch = np.zeros(n, dtype=np.int64)
        self._inv: list[_Inverse | None] = [None] * n
        handled = list(plans)
        multi = [
            j
            for j, p in enumerate(plans)
            if len(p.effective) > 1
            or (len(p.effective) == 1 and p.handling is ContingencyHandling.ISLANDING_INJECTIONS_LOST)
        ]
        h_blocks = self._h_blocks(plans, multi)
        for j, p in enumerate(plans):
            k = len(p.effective)
            if k == 0:
                continue
            o_cols = self._o_pos[p.effective]
            if j not in h_blocks:  # single branch: 1 / (1 - h), no matrix algebra needed
                one_minus_h = 1.0 - float(self._h[o_cols[0]])
                if abs(one_minus_h) >= SINGULAR_TOL:
                    g = 1.0 / one_minus_h
                    self._inv[j] = _Inverse(o_cols, p.effective, np.array([[g]]))
                    self._single_o[j] = o_cols[0]
                    self._single_g[j] = g
                    self._single_branch[j] = p.effective[0]
                    continue
                handled[j] = ContingencyPlan(
                    p.id, p.opened, p.effective, p.cut_off_buses, ContingencyHandling.SINGULAR_BASE_FLOWS_KEPT
                )
                continue
            m = np.eye(k) - h_blocks[j]
            det = float(np.linalg.det(m))
            if not np.isfinite(det) or abs(det) < SINGULAR_TOL:
                if p.handling is ContingencyHandling.LODF:
                    handled[j] = ContingencyPlan(
                        p.id,
                        p.opened,
                        p.effective,
                        p.cut_off_buses,
                        ContingencyHandling.SINGULAR_BASE_FLOWS_KEPT,
                    )
                continue
            self._inv[j] = _Inverse(o_cols, p.effective, np.asarray(np.linalg.inv(m), dtype=np.float64))
        self.plans = tuple(handled)
        bus_ids = self.model.network.bus_ids
        self.islanding: tuple[ContingencyReport, ...] = tuple(
            ContingencyReport(
                p.id,
                p.handling,
                tuple(bus_ids[i] for i in p.cut_off_buses.tolist()),
                bus_ids[p.reference] if p.reference >= 0 else None,
            )
            for p in self.plans
            if p.handling is not ContingencyHandling.LODF
        )

    def _h_blocks(self, plans: tuple[ContingencyPlan, ...], which: list[int]) -> dict[int, FloatArray]:
        """``H_MM[a, b] = PTDF[m_a, (m_b)]`` of the plans at positions ``which``."""
        out: dict[int, FloatArray] = {}
        if not which:
            return out
        cols = np.concatenate([plans[j].effective for j in which])
        theta = self.model.transfer_angles(cols)
        pos = 0
        for j in which:
            eff = plans[j].effective
            out[j] = self.model.flows_from_angles(theta[:, pos : pos + len(eff)], eff)
            pos += len(eff)
        return out

    @classmethod
    def build(
        cls,
        model: SensitivityModel,
        monitored: MonitoredSet,
        contingencies: Sequence[Contingency],
        *,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        cache_dtype: type[np.floating[Any]] = np.float64,
    ) -> FlowEvaluator:
        """Plan the contingencies (islanding from topology) and precompute what :meth:`flows` needs.

        ``Wc`` is cached when ``n_cons x n_outaged_branches x itemsize <= cache_bytes``. ``cache_dtype``
        ``float32`` halves that memory for screening; flows are then exact to about 1e-7 relative, while
        :meth:`constraint_sensitivities` of contingencies in the cache share that precision.
        """
        return cls(model, monitored, plan_contingencies(model, contingencies), cache_bytes, cache_dtype)

    # ------------------------------------------------------------------ precomputation
    @property
    def is_cached(self) -> bool:
        """Whether all of ``Wc`` is held in memory (else its uncached columns are recomputed per call)."""
        return self.cached_columns == len(self.outage_union)

    @property
    def cached_bytes(self) -> int:
        """Memory held by the cached part of ``Wc`` and the radial columns (bytes)."""
        radial = 0 if self._radial_v is None else self._radial_v.nbytes
        return (0 if self._wc is None else self._wc.nbytes) + radial

    def _columns_per_block(self) -> int:
        per_col = 8 * (2 * self.model.n_buses + self.monitored.n_constraints)
        return int(min(COLUMN_BLOCK, max(1, SOLVE_BLOCK_BYTES // per_col)))

    def _wc_and_h(self, o_cols: IntArray, *, need_wc: bool) -> tuple[FloatArray | None, FloatArray]:
        """``Wc[:, o_cols]`` (``n_cons x len``) when asked, and ``h = PTDF[o, (o)]`` of those columns."""
        model = self.model
        branches = self.outage_union[o_cols]
        j = np.arange(len(branches))
        rf = model.reduced_index[model.branch_from[branches]]
        rt = model.reduced_index[model.branch_to[branches]]
        factor = model.factor
        if factor is None:
            return (np.zeros((self.monitored.n_constraints, len(branches))) if need_wc else None), np.zeros(
                len(branches)
            )
        # right-hand side e_from - e_to built straight into the factor's internal row order
        y = np.zeros((factor.n, len(branches)))
        mf, mt = rf >= 0, rt >= 0
        y[self._rhs_pos[rf[mf]], j[mf]] += 1.0
        y[self._rhs_pos[rt[mt]], j[mt]] -= 1.0
        y = factor.solve_positioned(y)
        theta_f = np.where(mf, y[self._res_pos[np.maximum(rf, 0)], j], 0.0)
        theta_t = np.where(mt, y[self._res_pos[np.maximum(rt, 0)], j], 0.0)
        h = model.susceptance_pu[branches] * (theta_f - theta_t)
        if not need_wc:
            return None, h
        # Wc = (C Bf) theta - C[:, o]: one sparse-times-dense product, no full angle matrix
        wc = np.asarray(self._c_bf_internal @ y)
        own = self._c[:, branches].tocoo()
        np.subtract.at(wc, (own.row, own.col), own.data)
        return wc, h

    def _wc_cols(self, o_cols: IntArray) -> FloatArray:
        """``Wc[:, o_cols]`` in float64: cached columns read, the others solved in blocks."""
        o_cols = np.asarray(o_cols, dtype=np.int64)
        in_cache = o_cols < self.cached_columns
        if self._wc is not None and bool(in_cache.all()):
            return np.asarray(self._wc[:, o_cols], dtype=np.float64)
        out = np.empty((self.monitored.n_constraints, len(o_cols)))
        if self._wc is not None and in_cache.any():
            out[:, in_cache] = self._wc[:, o_cols[in_cache]]
        missing = np.flatnonzero(~in_cache)
        step = self._columns_per_block()
        for c0 in range(0, len(missing), step):
            at = missing[c0 : c0 + step]
            wc, _ = self._wc_and_h(o_cols[at], need_wc=True)
            out[:, at] = wc
        return out

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
            if plan.reference >= 0:  # the kept island balanced at its own reference
                pp[plan.reference, j] -= pp[:, j].sum()
        return self.model.flows_from_angles(self.model.angles(pp))

    def _post_block(
        self, p: FloatArray, f: FloatArray, base: FloatArray, rows: range, out_t: FloatArray
    ) -> None:
        """Post-contingency flows of contingencies ``rows`` (contiguous) into ``out_t`` (``n_cons x len``).

        The transposed layout matches ``Wc`` (``n_cons x n_outaged``), so the common case (single-branch
        contingencies in branch order) is one fused multiply of a contiguous column range, no gather.
        """
        sl = slice(rows.start, rows.stop)
        o = self._single_o[sl]
        single = o >= 0
        local = np.flatnonzero(single)
        delta = self._single_g[sl][single] * f[self._single_branch[sl][single]]
        cached = self._wc is not None and (len(local) == 0 or int(o[local].max()) < self.cached_columns)
        if len(local) == len(rows) and cached and self._wc is not None:
            if len(o) and o[-1] - o[0] == len(o) - 1 and bool(np.all(np.diff(o) == 1)):
                np.multiply(self._wc[:, o[0] : o[-1] + 1], delta[None, :], out=out_t)
            else:
                np.multiply(self._wc[:, o], delta[None, :], out=out_t)
        elif len(local) and cached and self._wc is not None:
            # mixed block: one gather with a zero factor on the rows that are handled below
            padded = np.where(single, o, o[local[0]])
            factor = np.zeros(len(rows))
            factor[local] = delta
            np.multiply(self._wc[:, padded], factor[None, :], out=out_t)
        elif len(local):
            out_t[:, local] = self._wc_cols(o[single]) * delta[None, :]
        others = np.flatnonzero(~single)
        out_t[:, others] = 0.0
        np.add(out_t, base[:, None], out=out_t)
        radial = [r for r in rows if self._is_radial[r]]
        if radial:
            k = self._radial_pos[np.array(radial)]
            p_cut = self._radial_sign[k] * f[self._radial_branch[k]]
            m_cols = self._radial_m_col[k]
            if self._radial_v is not None:
                v = np.asarray(self._radial_v[:, m_cols], dtype=np.float64)
            else:
                v = self._bus_constraint_ptdf(self._radial_m[m_cols])
            touched = self._c @ sp.csc_matrix(self._radial_touch[:, k].multiply(f[:, None]))
            radial_local = [r - rows.start for r in radial]
            out_t[:, radial_local] = base[:, None] - v * p_cut[None, :] - np.asarray(touched.toarray())
        islanding = [
            r
            for r in rows
            if self.plans[r].handling is ContingencyHandling.ISLANDING_INJECTIONS_LOST
            and not self._is_radial[r]
        ]
        f_isl = self._islanded_branch_flows(p, [self.plans[r] for r in islanding]) if islanding else None
        isl_col = {r: k for k, r in enumerate(islanding)}
        if f_isl is not None:
            # constraint flows of every islanding contingency of the block in one sparse product
            out_t[:, [r - rows.start for r in islanding]] = self._c @ f_isl
        for i in others.tolist():
            r = rows.start + i
            inv = self._inv[r]
            fr = f_isl[:, isl_col[r]] if f_isl is not None and r in isl_col else f
            if inv is not None:
                out_t[:, i] += self._wc_cols(inv.o_cols) @ (inv.inv @ fr[inv.branches])

    def _rows_per_block(self) -> int:
        return max(1, BLOCK_BYTES // (8 * max(1, self.monitored.n_constraints)))

    def post_flow_blocks(self, injection_mw: FloatArray) -> Iterator[tuple[range, FloatArray]]:
        """Post-contingency constraint flows in memory-bounded blocks: ``(contingency range, block)``.

        Use this (or :meth:`flows` on small cases) when ``n_cont x n_cons`` is too large to hold. Each
        block is a view of one buffer that the next block overwrites: copy what you keep.
        """
        p = self._validate_injection(injection_mw)
        f = self.model.branch_flows(p)
        base = self._c @ f
        step = self._rows_per_block()
        buffer = np.empty((self.monitored.n_constraints, min(step, len(self.plans))))
        for r0 in range(0, len(self.plans), step):
            rows = range(r0, min(r0 + step, len(self.plans)))
            out_t = buffer[:, : len(rows)]
            self._post_block(p, f, base, rows, out_t)
            yield rows, out_t.T

    def flows(self, injection_mw: FloatArray) -> FlowResult:
        """Constraint MW for net bus injections ``(n_buses,)``: base and after every contingency.

        Loop flow is not included. ``post_mw`` is ``(n_contingencies, n_constraints)``.
        """
        p = self._validate_injection(injection_mw)
        f = self.model.branch_flows(p)
        base = self._c @ f
        post_t = np.empty((self.monitored.n_constraints, len(self.plans)))
        step = self._rows_per_block()
        for r0 in range(0, len(self.plans), step):
            rows = range(r0, min(r0 + step, len(self.plans)))
            self._post_block(p, f, base, rows, post_t[:, r0 : rows.stop])
        return FlowResult(base_mw=base, post_mw=post_t.T)

    def overloads(
        self, injection_mw: FloatArray, *, tolerance_mw: float = 1e-6, include_loop_flow: bool = True
    ) -> Overloads:
        """Every (constraint, base case or contingency) whose ``|flow + loop flow|`` exceeds its limit.

        The memory-bounded inner loop of constraint generation: post-contingency flows are screened
        block by block and never held whole. Loop flow (OA 7.3.6(a)) is the single estimate given for
        the period, applied before and after contingencies alike.
        """
        mon = self.monitored
        loop = mon.loop_flow_mw if include_loop_flow else np.zeros(mon.n_constraints)
        p = self._validate_injection(injection_mw)
        f = self.model.branch_flows(p)
        base_no_loop = self._c @ f
        base = base_no_loop + loop
        cons: list[IntArray] = []
        conts: list[IntArray] = []
        flows: list[FloatArray] = []
        limits: list[FloatArray] = []
        hit = np.flatnonzero(np.abs(base) > mon.limit_normal_mw + tolerance_mw)
        cons.append(hit)
        conts.append(np.full(len(hit), -1, dtype=np.int64))
        flows.append(base[hit])
        limits.append(mon.limit_normal_mw[hit])
        emergency = mon.limit_emergency_mw + tolerance_mw
        step = self._rows_per_block()
        buffer = np.empty((mon.n_constraints, min(step, len(self.plans))))
        for r0 in range(0, len(self.plans), step):
            rows = range(r0, min(r0 + step, len(self.plans)))
            out_t = buffer[:, : len(rows)]
            self._post_block(p, f, base_no_loop, rows, out_t)
            out_t += loop[:, None]
            c, r = np.nonzero(np.abs(out_t) > emergency[:, None])
            cons.append(c)
            conts.append(r + rows.start)
            flows.append(out_t[c, r])
            limits.append(mon.limit_emergency_mw[c])
        ci, ki = np.concatenate(cons), np.concatenate(conts)
        fl, li = np.concatenate(flows), np.concatenate(limits)
        order = np.argsort(-(np.abs(fl) - li), kind="stable")
        return Overloads(ci[order], ki[order], fl[order], li[order])

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

    def _wc_row(self, i: int, o_cols: IntArray) -> FloatArray:
        """``Wc[i, o_cols]``: one row's entries (a contiguous read of the cache, not a column block)."""
        if self._wc is not None and bool((np.asarray(o_cols) < self.cached_columns).all()):
            return np.asarray(self._wc[i, o_cols], dtype=np.float64)
        return self._wc_cols(o_cols)[i]

    def row_weights(
        self, rows: Sequence[tuple[int, int | None]]
    ) -> tuple[sp.csr_matrix, list[IntArray | IslandCut]]:
        """Branch weights ``W`` (``len(rows) x n_branches``) with ``d row flow / d p = PTDF^T w``, and
        for each row the buses to zero (cut off by an islanding contingency; empty otherwise; an
        :class:`IslandCut` when the contingency also moves the reference).

        The row flow is ``W f`` for the branch flows ``f`` of the intact network (contingency
        compensation included) unless buses are cut off.
        """
        c = self._c
        indptr = [0]
        indices: list[IntArray] = []
        data: list[FloatArray] = []
        cuts: list[IntArray | IslandCut] = []
        none = np.zeros(0, dtype=np.int64)
        for i, j in rows:
            cols = c.indices[c.indptr[i] : c.indptr[i + 1]]
            vals = c.data[c.indptr[i] : c.indptr[i + 1]]
            cut: IntArray | IslandCut = none
            if j is not None:
                plan = self.plans[j]
                inv = self._inv[j]
                if plan.handling is ContingencyHandling.ISLANDING_INJECTIONS_LOST:
                    cut = (
                        plan.cut_off_buses
                        if plan.reference < 0
                        else IslandCut(plan.cut_off_buses, plan.reference)
                    )
                if inv is not None and plan.handling is not ContingencyHandling.SINGULAR_BASE_FLOWS_KEPT:
                    beta = inv.inv.T @ self._wc_row(i, inv.o_cols)
                    cols = np.concatenate([cols, inv.branches])
                    vals = np.concatenate([vals, beta])
            indices.append(np.asarray(cols, dtype=np.int64))
            data.append(np.asarray(vals, dtype=np.float64))
            indptr.append(indptr[-1] + len(cols))
            cuts.append(cut)
        w = sp.csr_matrix(
            (
                np.concatenate(data) if data else np.zeros(0),
                np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64),
                np.array(indptr, dtype=np.int64),
            ),
            shape=(len(rows), self.model.n_branches),
        )
        w.sum_duplicates()  # a monitored branch that is also outaged: its two entries add up
        return w, cuts

    def sensitivities_from_weights(
        self,
        weights: sp.csr_matrix,
        cuts: Sequence[IntArray | IslandCut],
        injections: sp.spmatrix | FloatArray,
    ) -> FloatArray:
        """``(len(weights), k)`` sensitivities of rows given by :meth:`row_weights` (one solve a row)."""
        inj: Any = injections.tocsc() if sp.issparse(injections) else np.asarray(injections)  # type: ignore[union-attr]
        if not sp.issparse(inj) and inj.ndim == 1:
            inj = inj[:, None]
        model = self.model
        n = weights.shape[0]
        out = np.empty((n, inj.shape[1]))
        step = model.block_columns()
        for r0 in range(0, n, step):
            w = weights[r0 : r0 + step]
            rhs = np.asarray((self._bf_r_t @ w.T).toarray())
            y = model.solve_reduced(rhs)
            g = np.zeros((model.n_buses, w.shape[0]))
            g[model.reduced_buses] = y
            for c, cut in enumerate(cuts[r0 : r0 + step]):
                if isinstance(cut, IslandCut):
                    g[:, c] -= g[cut.reference, c]  # injections withdrawn at the island's reference
                    g[cut.buses, c] = 0.0
                else:
                    g[cut, c] = 0.0
            out[r0 : r0 + w.shape[0]] = g.T @ inj if isinstance(inj, np.ndarray) else np.asarray(inj.T @ g).T
        return out

    def _sensitivities_by_rows(self, rows: Sequence[tuple[int, int | None]], inj: Any) -> FloatArray:
        weights, cuts = self.row_weights(rows)
        return self.sensitivities_from_weights(weights, cuts, inj)

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
                    if plan.reference >= 0:
                        pp[plan.reference] -= pp.sum(axis=0)
                    isl_cache[j] = model.branch_flows(pp)
                fr = isl_cache[j]
                row = self._c[i] @ fr
            if inv is not None and plan.handling is not ContingencyHandling.SINGULAR_BASE_FLOWS_KEPT:
                row = row + self._wc_row(i, inv.o_cols) @ (inv.inv @ fr[inv.branches])
            out[r] = np.asarray(row).ravel()
        return out
