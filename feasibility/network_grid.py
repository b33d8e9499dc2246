"""The :class:`~feasibility.grid.Grid` of an auction period, on top of the ``network`` package.

It holds the period's factorised sensitivity model (scheduled outages applied, cut-off pricing points
substituted), its monitored constraints (branches with a positive rating, interfaces; loop flow) and the
flow evaluator of the contingency list (LODF, islanding handled by the network package).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from feasibility.grid import BASE_CASE
from market_terms import FloatArray, IntArray
from network.constraints import MonitoredSet, monitored_constraints
from network.contingency import single_branch_contingencies
from network.flows import DEFAULT_CACHE_BYTES, FlowEvaluator
from network.model import Contingency, Network, PeriodConditions
from network.sensitivity import SensitivityModel, build_sensitivity_model

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class NetworkGrid:
    """A period's grid: ``model``, ``monitored`` and ``evaluator`` from the network package."""

    model: SensitivityModel
    monitored: MonitoredSet
    evaluator: FlowEvaluator

    @classmethod
    def build(
        cls,
        network: Network,
        conditions: PeriodConditions | None = None,
        contingencies: Sequence[Contingency] | Literal["all"] | None = None,
        *,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
    ) -> NetworkGrid:
        """Build for ``network`` in the period ``conditions``.

        ``contingencies``: ``None`` for the network's own list, ``"all"`` for full N-1 (one contingency
        per energised non-radial branch of the period's topology, id = branch id), or an explicit list.
        ``cache_bytes``: memory budget of the evaluator's sensitivity cache (:mod:`network.flows`).
        """
        model = build_sensitivity_model(network, conditions)
        monitored = monitored_constraints(network, conditions)
        if contingencies is None:
            conts: Sequence[Contingency] = network.contingencies
        elif isinstance(contingencies, str):
            if contingencies != "all":
                raise ValueError(f"contingencies must be a list or 'all', got {contingencies!r}")
            conts = single_branch_contingencies(model)
        else:
            conts = tuple(contingencies)
        grid = cls(model, monitored, FlowEvaluator.build(model, monitored, conts, cache_bytes=cache_bytes))
        grid._log_islands()
        return grid

    def island_report(self) -> dict[str, Any]:
        """What the period's islands drop (docs/rules.md, "Islands"), for the clearing summary.

        ``cut_off_buses``: buses outside the kept island of the period's topology, each with the bus
        whose price it takes (``None``: none, its price is undefined). ``moved_reference_contingencies``:
        contingencies that leave the reference bus on the smaller island, with the buses they drop and
        the kept island's reference; ``islanding_contingencies`` counts every islanding contingency.
        """
        model = self.model
        moved = [r for r in self.evaluator.islanding if r.reference_bus_id is not None]
        return {
            "network_reference_bus": model.network.reference_bus,
            "reference_bus": model.reference_bus_id,
            "reference_moved": bool(model.reference_moved),
            "cut_off_buses": [
                {"bus": s.bus_id, "priced_as": s.substitute_bus_id} for s in model.substitutions
            ],
            "islanding_contingencies": len(self.evaluator.islanding),
            "moved_reference_contingencies": [
                {
                    "contingency": r.contingency_id,
                    "reference_bus": r.reference_bus_id,
                    "dropped_buses": list(r.cut_off_bus_ids),
                }
                for r in moved
            ],
        }

    def _log_islands(self) -> None:
        model = self.model
        if model.reference_moved:
            LOG.warning(
                "network %r: the period's outages leave reference bus %s on a smaller island; the largest "
                "island is kept with reference bus %s and %d buses are cut off",
                model.network.name,
                model.network.reference_bus,
                model.reference_bus_id,
                len(model.substitutions),
            )
        for r in self.evaluator.islanding:
            if r.reference_bus_id is not None:
                LOG.warning(
                    "contingency %r leaves the reference bus on a smaller island: the largest island is "
                    "kept with reference bus %s; %d buses dropped (%s)",
                    r.contingency_id,
                    r.reference_bus_id,
                    len(r.cut_off_bus_ids),
                    ", ".join(r.cut_off_bus_ids[:20]) + (" ..." if len(r.cut_off_bus_ids) > 20 else ""),
                )

    @property
    def bus_ids(self) -> tuple[str, ...]:
        return self.model.network.bus_ids

    @property
    def constraint_ids(self) -> tuple[str, ...]:
        return self.monitored.ids

    @property
    def contingency_ids(self) -> tuple[str, ...]:
        return self.evaluator.contingency_ids

    @property
    def limit_normal_mw(self) -> FloatArray:
        return self.monitored.limit_normal_mw

    @property
    def limit_emergency_mw(self) -> FloatArray:
        return self.monitored.limit_emergency_mw

    @property
    def loop_flow_mw(self) -> FloatArray:
        return self.monitored.loop_flow_mw

    def injection_matrix(self, point_ids: Sequence[str]) -> sp.csc_matrix:
        return self.model.injection_matrix(point_ids)

    def case_flows(self, injection_mw: FloatArray) -> Iterator[tuple[int, FloatArray]]:
        base = self.monitored.branch_coefficients @ self.model.branch_flows(injection_mw)
        yield 0, np.asarray(base, dtype=np.float64)[None, :]
        if len(self.evaluator.contingency_ids) == 0:
            return
        for rows, block in self.evaluator.post_flow_blocks(injection_mw):
            yield 1 + rows.start, block

    def angle_system(self) -> tuple[sp.csr_matrix, sp.csr_matrix, IntArray]:
        bf = self.model.reduced_branch_matrix()
        n_br = self.model.n_branches
        rf = self.model.reduced_index[self.model.branch_from]
        rt = self.model.reduced_index[self.model.branch_to]
        rows = np.arange(n_br)
        mf, mt = rf >= 0, rt >= 0
        incidence = sp.csr_matrix(
            (
                np.concatenate([np.ones(int(mf.sum())), -np.ones(int(mt.sum()))]),
                (np.concatenate([rows[mf], rows[mt]]), np.concatenate([rf[mf], rt[mt]])),
            ),
            shape=(n_br, len(self.model.reduced_buses)),
        )
        b_r = sp.csr_matrix(incidence.T @ bf)
        return b_r, sp.csr_matrix(bf), self.model.reduced_buses

    def row_branch_weights(
        self, constraint_idx: IntArray, case_idx: IntArray
    ) -> tuple[sp.csr_matrix, NDArray[np.bool_]]:
        # the evaluator's own row weights: the same compensation its sensitivities use
        weights, cuts = self.evaluator.row_weights(self._rows(constraint_idx, case_idx))
        return weights, np.array([len(c) > 0 for c in cuts], dtype=bool)

    def sensitivities_and_weights(
        self, constraint_idx: IntArray, case_idx: IntArray, injections: sp.spmatrix
    ) -> tuple[FloatArray, sp.csr_matrix, NDArray[np.bool_]]:
        """:meth:`sensitivities` and :meth:`row_branch_weights` of the same rows, the weights built once."""
        rows = self._rows(constraint_idx, case_idx)
        weights, cuts = self.evaluator.row_weights(rows)
        if len(rows) <= injections.shape[1]:
            sens = self.evaluator.sensitivities_from_weights(weights, cuts, injections)
        else:  # fewer injection columns than rows: one solve per column is cheaper
            sens = self.evaluator.constraint_sensitivities(rows, injections)
        return sens, weights, np.array([len(c) > 0 for c in cuts], dtype=bool)

    def combined_sensitivities(
        self, constraint_idx: IntArray, case_idx: IntArray, coeffs: FloatArray, injections: sp.spmatrix
    ) -> FloatArray:
        """``coeffs @ sensitivities(...)`` (one value per injection column) without the rows'
        sensitivities: the rows' branch weights are combined first, so the rows that cut off no bus cost
        one solve together (prices from thousands of binding rows: one solve instead of thousands)."""
        rows = self._rows(constraint_idx, case_idx)
        weights, cuts = self.evaluator.row_weights(rows)
        whole = np.array([len(c) == 0 for c in cuts], dtype=bool)
        out = np.zeros(injections.shape[1])
        if whole.any():
            combined = sp.csr_matrix(sp.csr_matrix(coeffs[whole][None, :]) @ weights[np.flatnonzero(whole)])
            none = np.zeros(0, dtype=np.int64)
            out += self.evaluator.sensitivities_from_weights(combined, [none], injections)[0]
        cut = np.flatnonzero(~whole)
        if cut.size:
            sens = self.evaluator.sensitivities_from_weights(
                sp.csr_matrix(weights[cut]), [cuts[int(i)] for i in cut], injections
            )
            out += coeffs[cut] @ sens
        return out

    @staticmethod
    def _rows(constraint_idx: IntArray, case_idx: IntArray) -> list[tuple[int, int | None]]:
        return [
            (c, None if k == BASE_CASE else k)
            for c, k in zip(constraint_idx.tolist(), case_idx.tolist(), strict=True)
        ]

    def sensitivities(
        self, constraint_idx: IntArray, case_idx: IntArray, injections: sp.spmatrix
    ) -> FloatArray:
        out: FloatArray = self.evaluator.constraint_sensitivities(
            self._rows(constraint_idx, case_idx), injections
        )
        return out
