"""PTDF and LODF sensitivities of one topology, from one sparse LU factorisation.

The DC, lossless model (CAISO App. C "Power Transfer Distribution Factor"):

- branch susceptance ``b_l = 1 / (x_l * tap_l)`` in p.u. (MATPOWER ``makeBdc``; ``tap = 0`` means 1);
- ``B = A^T diag(b) A`` with ``A`` the branch-bus incidence (+1 at ``from``, -1 at ``to``);
- bus angles ``theta = B_r^-1 p_r`` with the reference bus row and column removed (``_r``);
- branch flow ``f_l = b_l (theta_from - theta_to)`` in MW for injections ``p`` in MW (the base MVA
  cancels between ``p`` and ``f``), positive from ``from`` to ``to``.

A PTDF ``PTDF[l, i]`` is the MW on branch ``l`` per MW injected at bus ``i`` and withdrawn at the
reference bus. Path flows ``PTDF[l, s] - PTDF[l, t]`` do not depend on the reference choice.

Deliberate modelling choices
- **Phase shifters**: the DC PTDF does not depend on a shift angle (the angle only adds a fixed
  injection pair ``b_l * shift`` that is the same for every FTR); that fixed flow belongs to the loop
  flow an operator supplies (OA 7.3.6(a)), so it is not added here. Taps scale ``b`` as in MATPOWER.
- **Negative reactance** (series compensation, three-winding transformer star legs) is kept as given.
  ``B`` is then possibly indefinite, hence an LU (SuperLU) rather than a Cholesky factorisation.
- **Zero reactance** on a closed branch is rejected with an error naming the branch (its flow is not
  determined by the DC equations); open branches may have any reactance.
- **Scheduled outages** (OA 7.3.6(a), OA 7.4) are removed before factorising: one model per period.
- **Islands**: the model is one island, the *energised* island: the largest island of the period's
  topology (by bus count; among equal largest, the reference bus's, else the one holding the lowest
  bus position). Its reference is the network's reference bus when inside; when a scheduled outage
  leaves the reference bus on a smaller island, the island's bus with the largest in-service
  generation capacity (sum of ``pmax``; ties and no generation: lowest bus position) becomes the
  reference (:attr:`SensitivityModel.reference_index`, ``reference_moved``), and the buses left out,
  the old reference among them, are cut off like any other (docs/rules.md, "Islands"). Buses
  outside it are *cut off*; their branches carry no flow and have zero PTDF rows. A pricing point's
  weight on a cut-off bus moves to the closest electrically connected bus of the energised island
  (CAISO App. C: "the closest electrically connected Pricing Node"): closest by the smallest sum of
  ``|x|`` along a path through the network's in-service branches, scheduled outages ignored. A bus with
  no such path (an island in the case itself) has no substitute: its weight is dropped, and both cases
  are listed in :attr:`SensitivityModel.substitutions`. A base case with several islands is
  therefore cleared on the reference bus's island, the others being cut off and reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from market_terms import BoolArray, FloatArray, IntArray
from network.errors import (
    InvalidElementError,
    SingularNetworkError,
    SizeLimitError,
    UnknownElementError,
)
from network.factor import SparseFactor
from network.model import Network, PeriodConditions, PricingPoint
from network.topology import bridges, island_labels, island_reference, kept_island

#: Working memory (bytes) for one block of dense right-hand sides in a multi-column solve.
SOLVE_BLOCK_BYTES = 128 * 2**20
#: Largest ``branches x buses`` matrix :meth:`SensitivityModel.dense_ptdf` builds by default.
DENSE_PTDF_MAX_ELEMENTS = 25_000_000


@dataclass(frozen=True, slots=True)
class PointSubstitution:
    """A bus cut off from the energised island and the bus whose sensitivities it takes.

    ``substitute_bus_id`` is ``None`` when no path through the in-service network reaches the
    energised island; ``distance_x_pu`` is the sum of ``|x|`` along the path (``inf`` without one).
    """

    bus_id: str
    substitute_bus_id: str | None
    distance_x_pu: float


def closed_branches(net: Network, conditions: PeriodConditions | None) -> BoolArray:
    """Branches in service and not on a scheduled outage of the period."""
    closed = np.array(net.in_service, dtype=np.bool_, copy=True)
    if conditions is not None:
        for branch_id in conditions.scheduled_outages:
            closed[branch_position(net, branch_id, "scheduled outage")] = False
    return closed


def generation_capacity_mw(net: Network) -> FloatArray:
    """In-service generation capacity (sum of ``pmax``, MW) at every bus; zeros without generators."""
    cap = np.zeros(net.n_buses)
    for g in net.generators:
        if g.in_service and np.isfinite(g.pmax_mw) and g.pmax_mw > 0:
            cap[net.bus_index(g.bus_id)] += g.pmax_mw
    return cap


def energised_island(net: Network, closed: BoolArray) -> tuple[BoolArray, IntArray, int]:
    """The kept island of the topology with ``closed`` branches: (bus mask, island labels, reference
    position); see the module docstring, "Islands"."""
    f = np.asarray(net.branch_from, dtype=np.int64)
    t = np.asarray(net.branch_to, dtype=np.int64)
    _, labels = island_labels(net.n_buses, f[closed], t[closed])
    ref = bus_position(net, net.reference_bus, "reference bus")
    island = kept_island(labels, np.ones(net.n_buses, dtype=np.bool_), ref)
    return island, labels, island_reference(island, ref, generation_capacity_mw(net))


def branch_position(net: Network, branch_id: str, context: str) -> int:
    """Position of a branch, or an error naming it and where it was referred to."""
    try:
        return net.branch_index(branch_id)
    except KeyError:
        raise UnknownElementError(f"{context}: unknown branch {branch_id!r}") from None


def bus_position(net: Network, bus_id: str, context: str) -> int:
    """Position of a bus, or an error naming it and where it was referred to."""
    try:
        return net.bus_index(bus_id)
    except KeyError:
        raise UnknownElementError(f"{context}: unknown bus {bus_id!r}") from None


def branch_susceptance(net: Network, closed: BoolArray) -> FloatArray:
    """``b = 1 / (x * tap)`` for closed branches, 0 for open ones; errors name a bad closed branch."""
    x = np.asarray(net.reactance_pu, dtype=np.float64)
    tap = np.where(net.tap_ratio == 0.0, 1.0, net.tap_ratio)
    bad = closed & ~(np.isfinite(x) & (x != 0.0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidElementError(
            f"branch {net.branch_ids[i]!r}: reactance {float(x[i])!r} p.u."
            " is zero or missing on a closed branch "
            f"({int(bad.sum())} such branches); give it a non-zero reactance or take it out of service"
        )
    bad_tap = closed & ~(np.isfinite(tap) & (tap > 0.0))
    if bad_tap.any():
        i = int(np.flatnonzero(bad_tap)[0])
        raise InvalidElementError(
            f"branch {net.branch_ids[i]!r}: tap ratio {float(tap[i])!r} is not positive"
        )
    b = np.zeros(net.n_branches)
    b[closed] = 1.0 / (x[closed] * tap[closed])
    return b


class SensitivityModel:
    """One topology (a period's scheduled outages applied) with its reduced ``B`` factorised once.

    Build it with :func:`build_sensitivity_model`. Attributes are read-only by convention.
    """

    def __init__(self, net: Network, conditions: PeriodConditions | None = None) -> None:
        self.network = net
        self.conditions = conditions if conditions is not None else PeriodConditions()
        ref = bus_position(net, net.reference_bus, "reference bus")
        from_idx = np.asarray(net.branch_from, dtype=np.int64)
        to_idx = np.asarray(net.branch_to, dtype=np.int64)
        for name, arr in (("from", from_idx), ("to", to_idx)):
            out = (arr < 0) | (arr >= net.n_buses)
            if out.any():
                i = int(np.flatnonzero(out)[0])
                raise InvalidElementError(
                    f"branch {net.branch_ids[i]!r}: {name} bus position {arr[i]} out of range"
                )
        loops = from_idx == to_idx
        if loops.any():
            i = int(np.flatnonzero(loops)[0])
            raise InvalidElementError(f"branch {net.branch_ids[i]!r}: from and to bus are the same")
        self.branch_from = from_idx
        self.branch_to = to_idx
        closed = closed_branches(net, conditions)
        susceptance = branch_susceptance(net, closed)
        island, labels, ref_kept = energised_island(net, closed)
        self.n_islands = int(labels.max()) + 1 if len(labels) else 0
        self.island_label = labels
        #: Whether the network's reference bus was left out (a scheduled outage islanded it).
        self.reference_moved = ref_kept != ref
        ref = ref_kept
        self.reference_index = ref
        self.energised_bus: BoolArray = island
        self.energised_branch: BoolArray = closed & self.energised_bus[from_idx]
        self.closed_branch: BoolArray = closed
        self.susceptance_pu: FloatArray = np.where(self.energised_branch, susceptance, 0.0)
        for flag_arr in (self.energised_bus, self.energised_branch, self.closed_branch):
            flag_arr.setflags(write=False)
        self.susceptance_pu.setflags(write=False)

        reduced = np.full(net.n_buses, -1, dtype=np.int64)
        keep = self.energised_bus.copy()
        keep[ref] = False
        self.reduced_buses: IntArray = np.flatnonzero(keep)
        reduced[self.reduced_buses] = np.arange(len(self.reduced_buses))
        self.reduced_index: IntArray = reduced
        self.factor: SparseFactor | None = self._factorise()
        self.substitutions: tuple[PointSubstitution, ...] = self._substitutions()
        self._bus_target: IntArray = np.arange(net.n_buses, dtype=np.int64)
        for s in self.substitutions:
            self._bus_target[net.bus_index(s.bus_id)] = (
                -1 if s.substitute_bus_id is None else net.bus_index(s.substitute_bus_id)
            )
        self._points: Mapping[str, PricingPoint] = {p.id: p for p in net.pricing_points}

    # ------------------------------------------------------------------ construction helpers
    def _factorise(self) -> SparseFactor | None:
        n = len(self.reduced_buses)
        if n == 0:
            return None
        e = np.flatnonzero(self.energised_branch)
        rf = self.reduced_index[self.branch_from[e]]
        rt = self.reduced_index[self.branch_to[e]]
        b = self.susceptance_pu[e]
        rows = np.concatenate([rf, rt, rf, rt])
        cols = np.concatenate([rf, rt, rt, rf])
        vals = np.concatenate([b, b, -b, -b])
        ok = (rows >= 0) & (cols >= 0)
        bmat = sp.csc_matrix((vals[ok], (rows[ok], cols[ok])), shape=(n, n))
        try:
            return SparseFactor(bmat)
        except RuntimeError as exc:
            raise SingularNetworkError(
                f"network {self.network.name!r}: reduced susceptance matrix is singular ({exc}); "
                "check for loops of reactances that cancel out"
            ) from None

    def _substitutions(self) -> tuple[PointSubstitution, ...]:
        cut = np.flatnonzero(~self.energised_bus)
        if len(cut) == 0:
            return ()
        net = self.network
        x = np.abs(np.asarray(net.reactance_pu, dtype=np.float64))
        usable = np.asarray(net.in_service, dtype=np.bool_) & np.isfinite(x)
        f, t = self.branch_from[usable], self.branch_to[usable]
        lo, hi = np.minimum(f, t), np.maximum(f, t)
        # parallel branches: the graph keeps the smallest |x| of a pair (coo would add them up)
        w = x[usable] + 1e-9
        order = np.lexsort((w, hi, lo))
        lo, hi, w = lo[order], hi[order], w[order]
        first = np.ones(len(lo), dtype=np.bool_)
        first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
        g = sp.coo_matrix((w[first], (lo[first], hi[first])), shape=(net.n_buses, net.n_buses)).tocsr()
        sources = np.flatnonzero(self.energised_bus)
        dist, _, nearest = dijkstra(
            g, directed=False, indices=sources, min_only=True, return_predecessors=True
        )
        out = []
        for i in cut.tolist():
            if np.isfinite(dist[i]) and nearest[i] >= 0:
                out.append(PointSubstitution(net.bus_ids[i], net.bus_ids[int(nearest[i])], float(dist[i])))
            else:
                out.append(PointSubstitution(net.bus_ids[i], None, float("inf")))
        return tuple(out)

    # ------------------------------------------------------------------ topology facts
    @property
    def reference_bus_id(self) -> str:
        """The model's reference bus (the network's, unless ``reference_moved``)."""
        return self.network.bus_ids[self.reference_index]

    @cached_property
    def generation_capacity_mw(self) -> FloatArray:
        """In-service generation capacity at every bus (MW); picks an island's new reference."""
        return generation_capacity_mw(self.network)

    @property
    def n_buses(self) -> int:
        return self.network.n_buses

    @property
    def n_branches(self) -> int:
        return self.network.n_branches

    @cached_property
    def bridge_mask(self) -> BoolArray:
        """Energised branches whose outage would cut buses off (radial branches and other bridges)."""
        e = np.flatnonzero(self.energised_branch)
        mask = np.zeros(self.n_branches, dtype=np.bool_)
        mask[e] = bridges(self.n_buses, self.branch_from[e], self.branch_to[e])
        mask.setflags(write=False)
        return mask

    @cached_property
    def _bridge_tree(self) -> tuple[IntArray, IntArray, IntArray]:
        """Pieces left by removing every bridge, and each piece's DFS entry/exit time from the reference.

        The pieces and bridges form a tree; the buses a bridge cuts off are the pieces in the subtree
        below it, a contiguous range of entry times.
        """
        keep = self.energised_branch & ~self.bridge_mask
        _, label = island_labels(self.n_buses, self.branch_from[keep], self.branch_to[keep])
        n_piece = int(label.max()) + 1 if len(label) else 0
        adjacency: list[list[int]] = [[] for _ in range(n_piece)]
        for b in np.flatnonzero(self.bridge_mask).tolist():
            a, c = int(label[self.branch_from[b]]), int(label[self.branch_to[b]])
            adjacency[a].append(c)
            adjacency[c].append(a)
        t_in = np.full(n_piece, -1, dtype=np.int64)
        t_out = np.full(n_piece, -1, dtype=np.int64)
        root = int(label[self.reference_index])
        clock = 0
        t_in[root] = clock
        stack = [(root, 0)]
        while stack:
            node, k = stack[-1]
            if k < len(adjacency[node]):
                stack[-1] = (node, k + 1)
                nxt = adjacency[node][k]
                if t_in[nxt] < 0:
                    clock += 1
                    t_in[nxt] = clock
                    stack.append((nxt, 0))
            else:
                stack.pop()
                t_out[node] = clock + 1
        return label, t_in, t_out

    def bridge_cut_off(self, branch: int) -> IntArray:
        """Buses that opening bridge ``branch`` separates from the reference bus (sorted positions)."""
        if not self.bridge_mask[branch]:
            return np.zeros(0, dtype=np.int64)
        label, t_in, t_out = self._bridge_tree
        a, c = int(label[self.branch_from[branch]]), int(label[self.branch_to[branch]])
        child = a if t_in[a] > t_in[c] else c
        times = t_in[label]
        return np.flatnonzero(self.energised_bus & (times >= t_in[child]) & (times < t_out[child]))

    # ------------------------------------------------------------------ injections
    def point_weights(self, point_id: str) -> tuple[IntArray, FloatArray]:
        """Bus positions and weights of a pricing point (or bus id) before substitution."""
        point = self._points.get(point_id)
        if point is None:
            try:
                return np.array([self.network.bus_index(point_id)]), np.array([1.0])
            except KeyError:
                raise UnknownElementError(f"unknown pricing point or bus {point_id!r}") from None
        idx = np.array([bus_position(self.network, b, f"pricing point {point.id!r}") for b in point.bus_ids])
        return idx, np.asarray(point.weights, dtype=np.float64)

    def injection_matrix(self, point_ids: Sequence[str]) -> sp.csc_matrix:
        """``n_buses x k`` bus weights of each point (1 MW injected at the point), substitutions applied.

        Weight on a cut-off bus moves to its substitute; with no substitute it is dropped (the column
        then sums to less than 1 and the point is partly unpriced, see :attr:`substitutions`).
        """
        rows: list[IntArray] = []
        cols: list[IntArray] = []
        vals: list[FloatArray] = []
        for j, pid in enumerate(point_ids):
            idx, w = self.point_weights(pid)
            target = self._bus_target[idx]
            keep = target >= 0
            rows.append(target[keep])
            cols.append(np.full(int(keep.sum()), j, dtype=np.int64))
            vals.append(w[keep])
        if not rows:
            return sp.csc_matrix((self.n_buses, 0))
        return sp.csc_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(self.n_buses, len(point_ids)),
        )

    # ------------------------------------------------------------------ solves
    def block_columns(self) -> int:
        """Right-hand sides per solve so that one dense block stays within ``SOLVE_BLOCK_BYTES``."""
        return max(1, SOLVE_BLOCK_BYTES // (8 * max(1, len(self.reduced_buses))))

    def solve_reduced(self, rhs_reduced: FloatArray) -> FloatArray:
        """``B_r^-1 rhs`` for a dense ``(n_reduced,)`` or ``(n_reduced, k)`` right-hand side."""
        if self.factor is None:
            return np.zeros_like(rhs_reduced, dtype=np.float64)
        rhs = np.asarray(rhs_reduced, dtype=np.float64)
        if rhs.ndim == 1 or rhs.shape[1] <= self.block_columns():
            return self.factor.solve(rhs)
        out = np.empty_like(rhs)
        step = self.block_columns()
        for c in range(0, rhs.shape[1], step):
            out[:, c : c + step] = self.factor.solve(rhs[:, c : c + step])
        return out

    def angles(self, injection_mw: FloatArray | sp.spmatrix) -> FloatArray:
        """Bus angles (rad x base MVA) of MW injections, ``(n_buses,)`` or ``(n_buses, k)``.

        The injections are withdrawn at the reference bus; injections on cut-off buses are ignored
        (map points through :meth:`injection_matrix` first).
        """
        if sp.issparse(injection_mw):
            p = injection_mw.tocsr()[self.reduced_buses].toarray()  # type: ignore[union-attr]
        else:
            p = np.asarray(injection_mw, dtype=np.float64)
            if p.shape[0] != self.n_buses:
                raise InvalidElementError(
                    f"injection has {p.shape[0]} rows, the network has {self.n_buses} buses"
                )
            p = p[self.reduced_buses]
        theta_r = self.solve_reduced(p)
        theta = np.zeros((self.n_buses, *theta_r.shape[1:]))
        theta[self.reduced_buses] = theta_r
        return theta

    def flows_from_angles(self, theta: FloatArray, branch_idx: IntArray | None = None) -> FloatArray:
        """``b_l (theta_from - theta_to)`` for the given branches (all when ``None``)."""
        idx = np.arange(self.n_branches) if branch_idx is None else np.asarray(branch_idx, dtype=np.int64)
        b = self.susceptance_pu[idx]
        d = theta[self.branch_from[idx]] - theta[self.branch_to[idx]]
        return b * d if d.ndim == 1 else b[:, None] * d

    def branch_flows(self, injection_mw: FloatArray) -> FloatArray:
        """MW on every branch for bus injections ``(n_buses,)`` or ``(n_buses, k)``; open branches carry 0."""
        return self.flows_from_angles(self.angles(injection_mw))

    def reduced_branch_matrix(self) -> sp.csr_matrix:
        """``Bf_r`` (``n_branches x n_reduced``) with branch flows ``f = Bf_r theta_r``."""
        rf = self.reduced_index[self.branch_from]
        rt = self.reduced_index[self.branch_to]
        b = self.susceptance_pu
        rows = np.arange(self.n_branches)
        mf, mt = (rf >= 0) & (b != 0), (rt >= 0) & (b != 0)
        return sp.csr_matrix(
            (
                np.concatenate([b[mf], -b[mt]]),
                (np.concatenate([rows[mf], rows[mt]]), np.concatenate([rf[mf], rt[mt]])),
            ),
            shape=(self.n_branches, len(self.reduced_buses)),
        )

    def transfer_rhs(self, branch_idx: IntArray, scale: FloatArray | None = None) -> FloatArray:
        """Reduced right-hand sides ``scale_l (e_from - e_to)`` for each branch (columns)."""
        idx = np.asarray(branch_idx, dtype=np.int64)
        s = np.ones(len(idx)) if scale is None else scale
        rhs = np.zeros((len(self.reduced_buses), len(idx)))
        cols = np.arange(len(idx))
        rf = self.reduced_index[self.branch_from[idx]]
        rt = self.reduced_index[self.branch_to[idx]]
        live = self.energised_branch[idx]
        m = live & (rf >= 0)
        rhs[rf[m], cols[m]] += s[m]
        m = live & (rt >= 0)
        rhs[rt[m], cols[m]] -= s[m]
        return rhs

    def ptdf(self, branch_idx: IntArray, injections: sp.spmatrix | FloatArray) -> FloatArray:
        """MW on each branch per MW of each injection column, withdrawn at the reference.

        Returns ``(len(branch_idx), k)``. Solves by columns when ``k`` is the smaller side, else by
        rows (``B`` is symmetric, so ``PTDF_rows = (B_r^-1 Bf_rows^T)^T``), in memory-bounded blocks.
        """
        idx = np.asarray(branch_idx, dtype=np.int64)
        p_r: Any
        if sp.issparse(injections):
            p_r = injections.tocsr()[self.reduced_buses]  # type: ignore[union-attr]
            k = p_r.shape[1]
        else:
            inj = np.asarray(injections, dtype=np.float64)
            if inj.ndim == 1:
                inj = inj[:, None]
            p_r = inj[self.reduced_buses]
            k = inj.shape[1]
        if k <= len(idx):
            dense = p_r if isinstance(p_r, np.ndarray) else p_r.toarray()
            theta = np.zeros((self.n_buses, k))
            theta[self.reduced_buses] = self.solve_reduced(dense)
            return self.flows_from_angles(theta, idx)
        out = np.empty((len(idx), k))
        step = self.block_columns()
        for r in range(0, len(idx), step):
            rows = idx[r : r + step]
            y = self.solve_reduced(self.transfer_rhs(rows, self.susceptance_pu[rows]))
            out[r : r + step] = y.T @ p_r if isinstance(p_r, np.ndarray) else np.asarray((p_r.T @ y).T)
        return out

    def ptdf_blocks(
        self, branch_idx: IntArray, block_rows: int | None = None
    ) -> Iterator[tuple[IntArray, FloatArray]]:
        """PTDF rows of ``branch_idx`` against *every* bus, in row blocks ``(branches, block)``.

        Each block is ``(len(branches), n_buses)``; only one block is held at a time, so monitored-
        element sensitivities of any case fit in memory (the whole matrix would not on 70,000 buses).
        """
        idx = np.asarray(branch_idx, dtype=np.int64)
        step = min(256, self.block_columns()) if block_rows is None else max(1, int(block_rows))
        for r in range(0, len(idx), step):
            rows = idx[r : r + step]
            y = self.solve_reduced(self.transfer_rhs(rows, self.susceptance_pu[rows]))
            block = np.zeros((len(rows), self.n_buses))
            block[:, self.reduced_buses] = y.T
            yield rows, block

    def dense_ptdf(self, max_elements: int = DENSE_PTDF_MAX_ELEMENTS) -> FloatArray:
        """The full ``branches x buses`` PTDF, for small cases only (raises above ``max_elements``)."""
        size = self.n_branches * self.n_buses
        if size > max_elements:
            raise SizeLimitError(
                f"network {self.network.name!r}: dense PTDF would have {size} elements (> {max_elements}); "
                "ask for the rows and columns you need with ptdf()"
            )
        return self.ptdf(np.arange(self.n_branches), np.eye(self.n_buses))

    def branch_transfer_ptdf(self, monitored_idx: IntArray, outage_idx: IntArray) -> FloatArray:
        """``PTDF[l, (o)]``: MW on ``l`` per MW moved from ``from(o)`` to ``to(o)``, ``(m, o)``."""
        out_idx = np.asarray(outage_idx, dtype=np.int64)
        mon = np.asarray(monitored_idx, dtype=np.int64)
        if len(out_idx) <= len(mon):
            theta = np.zeros((self.n_buses, len(out_idx)))
            theta[self.reduced_buses] = self.solve_reduced(self.transfer_rhs(out_idx))
            return self.flows_from_angles(theta, mon)
        y = self.solve_reduced(self.transfer_rhs(mon, self.susceptance_pu[mon]))
        return np.asarray(self.transfer_rhs(out_idx).T @ y).T

    def lodf(self, monitored_idx: IntArray, outage_idx: IntArray) -> FloatArray:
        """Single-outage LODFs ``(m, o)``: ``f_l' = f_l + LODF[l, o] f_o`` after opening branch ``o``.

        ``LODF[l, o] = PTDF[l, (o)] / (1 - PTDF[o, (o)])`` and ``LODF[o, o] = -1``. A branch that is
        already open has a zero column. An outage that would island buses (a bridge) has no LODF: it
        raises :class:`InvalidElementError`; :class:`network.flows.FlowEvaluator` handles such outages.
        """
        out_idx = np.asarray(outage_idx, dtype=np.int64)
        mon = np.asarray(monitored_idx, dtype=np.int64)
        islanding = self.bridge_mask[out_idx]
        if islanding.any():
            i = int(out_idx[np.flatnonzero(islanding)[0]])
            raise InvalidElementError(
                f"outage of branch {self.network.branch_ids[i]!r} islands buses: it has no LODF "
                "(FlowEvaluator handles islanding contingencies)"
            )
        theta = self.transfer_angles(out_idx)
        w = self.flows_from_angles(theta, mon)
        cols = np.arange(len(out_idx))
        h_diag = self.susceptance_pu[out_idx] * (
            theta[self.branch_from[out_idx], cols] - theta[self.branch_to[out_idx], cols]
        )
        live = self.energised_branch[out_idx]
        denom = np.where(live, 1.0 - h_diag, 1.0)
        out = np.where(live[None, :], w / denom[None, :], 0.0)
        same = mon[:, None] == out_idx[None, :]
        out[same & live[None, :]] = -1.0
        return out

    def transfer_angles(self, branch_idx: IntArray) -> FloatArray:
        """Bus angles ``(n_buses, len)`` of 1 MW moved from ``from(o)`` to ``to(o)`` of each branch."""
        theta = np.zeros((self.n_buses, len(branch_idx)))
        theta[self.reduced_buses] = self.solve_reduced(self.transfer_rhs(branch_idx))
        return theta


def build_sensitivity_model(net: Network, conditions: PeriodConditions | None = None) -> SensitivityModel:
    """Factorise the period's topology: ``network`` with ``conditions.scheduled_outages`` opened."""
    return SensitivityModel(net, conditions)
