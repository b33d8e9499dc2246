"""From the network model to the day-ahead market's inputs, through the ``network`` API only.

- :func:`constraint_model`: the monitored set of a period (``network.constraints``) with its
  sensitivities over all buses, ``H = C @ PTDF`` (``network.sensitivity``; ``C`` the constraint
  coefficients on branch flows), for the period's scheduled outages plus ``extra_outages``.
  Loop flow (OA 7.3.6(a)) is kept for the constraints still monitored in that topology, so the
  market uses up (or frees) the same capacity the auction did.
- Cut-off buses (islanded by outages) are priced at their substitute, the closest connected bus
  (CAISO App. C, ``SensitivityModel.substitutions``); a bus without one (an island in the case
  itself) is priced at the reference bus (its congestion component is 0).
- :func:`market_inputs`: offers, peak loads, pricing points and the topologies needed.

Contingencies. With ``contingencies`` (the auction's set: ``None`` the network's own list,
``"all"`` every energised non-radial branch of the topology, or an explicit list; ``()``, the
default, base case only) the model also holds one row per (monitored constraint, contingency):
its post-contingency sensitivity from ``network.flows.FlowEvaluator`` (LODF compensation,
islanding contingencies with their cut-off injections lost, as in the auction), its emergency
rating and the same loop flow. Rows that an outage leaves without any sensitivity (the
contingency opens the monitored branch itself) are dropped. The DC-OPF imposes these rows
lazily, as the clearing does: it solves with the base rows it needs, evaluates every row's flow
and adds the violated ones until none is violated (:mod:`simulation.dcopf`). The day-ahead
market then sees the N-1 congestion that the auction priced, and that underfunds FTRs.

Size: ``H`` is dense, ``n_rows x n_buses`` floats per topology (51 MB for the base rows of
``case_ACTIVSg2000``); with contingencies ``n_rows = n_constraints x (1 + n_contingencies)``,
which bounds the contingency-constrained simulator to cases of a few hundred buses
(:data:`MAX_SENSITIVITY_BYTES`; a larger model is refused with a clear error).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Literal

import numpy as np
import scipy.sparse as sp

from network.constraints import monitored_constraints
from network.contingency import single_branch_contingencies
from network.flows import FlowEvaluator
from network.model import Contingency, Network, PeriodConditions
from network.sensitivity import SensitivityModel, build_sensitivity_model
from simulation.market import MarketInputs, OutageSet
from simulation.offers import offer_stack
from simulation.pricing_points import all_point_ids
from simulation.topology import ConstraintModel

#: A contingency set as the auction's engine takes it: ``None`` the network's own list, ``"all"``
#: full N-1 of the topology, a list, or ``()`` for the base case only.
Contingencies = Sequence[Contingency] | Literal["all"] | None

#: Largest dense sensitivity matrix (bytes) a contingency-constrained topology may hold.
MAX_SENSITIVITY_BYTES = 1 * 2**30


def _with_outages(conditions: PeriodConditions | None, extra: Iterable[str]) -> PeriodConditions:
    base = conditions or PeriodConditions()
    outages = tuple(dict.fromkeys((*base.scheduled_outages, *extra)))
    return PeriodConditions(scheduled_outages=outages, loop_flow_mw=base.loop_flow_mw)


def _contingency_list(
    net: Network, model: SensitivityModel, contingencies: Contingencies
) -> tuple[Contingency, ...]:
    if contingencies is None:
        return tuple(net.contingencies)
    if isinstance(contingencies, str):
        if contingencies != "all":
            raise ValueError(f"contingencies must be a list, 'all' or None, got {contingencies!r}")
        return single_branch_contingencies(model)
    return tuple(contingencies)


def constraint_model(
    net: Network,
    conditions: PeriodConditions | None = None,
    extra_outages: Sequence[str] = (),
    contingencies: Contingencies = (),
) -> ConstraintModel:
    """The market's constraints for the period's topology with ``extra_outages`` opened too.

    ``contingencies`` adds the post-contingency rows of the auction's set (module doc).
    """
    period = _with_outages(conditions, extra_outages)
    if extra_outages:
        unknown = [b for b in extra_outages if b not in set(net.branch_ids)]
        if unknown:
            raise KeyError(f"extra outage of unknown branch {unknown[0]!r}")
        # loop flow on a constraint the extra outage removes no longer applies
        monitored = monitored_constraints(net, PeriodConditions(scheduled_outages=period.scheduled_outages))
        kept = {c: mw for c, mw in period.loop_flow_mw.items() if c in set(monitored.ids)}
        period = PeriodConditions(scheduled_outages=period.scheduled_outages, loop_flow_mw=kept)
    monitored = monitored_constraints(net, period)
    model = build_sensitivity_model(net, period)
    coefficients = sp.csr_matrix(monitored.branch_coefficients)
    branches = np.unique(coefficients.indices).astype(np.int64)
    if branches.size:
        ptdf = model.ptdf(branches, sp.identity(net.n_buses, format="csc"))
        sensitivity = np.asarray(coefficients[:, branches] @ ptdf, dtype=np.float64)
    else:
        sensitivity = np.zeros((monitored.n_constraints, net.n_buses))
    ref = model.reference_index
    nearest = np.arange(net.n_buses, dtype=np.int64)
    for sub in model.substitutions:
        target = ref if sub.substitute_bus_id is None else net.bus_index(sub.substitute_bus_id)
        nearest[net.bus_index(sub.bus_id)] = target
    constraint_ids = list(monitored.ids)
    contingency_ids = ["" for _ in monitored.ids]
    limits = [np.asarray(monitored.limit_normal_mw, dtype=np.float64)]
    offsets = [np.asarray(monitored.loop_flow_mw, dtype=np.float64)]
    blocks = [sensitivity]
    conts = _contingency_list(net, model, contingencies)
    if conts and monitored.n_constraints:
        n_rows = monitored.n_constraints * (1 + len(conts))
        if 8 * n_rows * net.n_buses > MAX_SENSITIVITY_BYTES:
            raise ValueError(
                f"{monitored.n_constraints} constraints x {len(conts)} contingencies x {net.n_buses} buses "
                f"exceed the simulator's {MAX_SENSITIVITY_BYTES // 2**20} MiB of dense sensitivities; "
                "use a monitored contingency list"
            )
        evaluator = FlowEvaluator.build(model, monitored, conts)
        rows: list[tuple[int, int | None]] = [
            (c, j) for j in range(len(conts)) for c in range(monitored.n_constraints)
        ]
        post = np.asarray(
            evaluator.constraint_sensitivities(rows, sp.identity(net.n_buses, format="csc")),
            dtype=np.float64,
        )
        post[:, ref] = 0.0
        keep = np.flatnonzero(np.max(np.abs(post), axis=1) > 1e-9)
        blocks.append(post[keep])
        for r in keep.tolist():
            c, j = rows[r]
            assert j is not None
            constraint_ids.append(monitored.ids[c])
            contingency_ids.append(evaluator.contingency_ids[j])
        emergency = np.asarray(monitored.limit_emergency_mw, dtype=np.float64)
        loop = np.asarray(monitored.loop_flow_mw, dtype=np.float64)
        index = np.array([rows[r][0] for r in keep.tolist()], dtype=np.int64)
        limits.append(emergency[index])
        offsets.append(loop[index])
    return ConstraintModel(
        constraint_ids=tuple(constraint_ids),
        contingency_ids=tuple(contingency_ids),
        sensitivity=np.vstack(blocks),
        limit_mw=np.concatenate(limits),
        offset_mw=np.concatenate(offsets),
        priced=np.asarray(model.energised_bus, dtype=bool),
        reference_bus=ref,
        nearest_priced_bus=nearest,
    )


def market_inputs(
    net: Network,
    conditions: PeriodConditions | None = None,
    *,
    point_ids: Sequence[str] | None = None,
    extra_outage_sets: Iterable[Sequence[str]] = (),
    enforce_pmin: bool = False,
    holidays: frozenset[date] = frozenset(),
    contingencies: Contingencies = (),
) -> MarketInputs:
    """Market inputs for ``net`` in a period: topologies for ``()`` and each extra outage set.

    ``point_ids`` defaults to every bus and every defined pricing point; a point's weights are
    ``network``'s (``SensitivityModel.injection_matrix``, substitutions of the period applied);
    ``contingencies`` is the auction's contingency set (module doc).
    """
    points = tuple(point_ids) if point_ids is not None else all_point_ids(net)
    sets: set[OutageSet] = {()} | {tuple(sorted(s)) for s in extra_outage_sets}
    topologies = {s: constraint_model(net, conditions, s, contingencies) for s in sorted(sets)}
    base_model = build_sensitivity_model(net, _with_outages(conditions, ()))
    weights = sp.csr_matrix(base_model.injection_matrix(points).T)
    return MarketInputs(
        bus_ids=net.bus_ids,
        peak_demand_mw=np.asarray(net.bus_demand_mw, dtype=np.float64),
        offers=offer_stack(net, enforce_pmin=enforce_pmin),
        point_ids=points,
        point_weights=weights,
        topologies=topologies,
        holidays=holidays,
    )
