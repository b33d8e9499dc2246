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

The day-ahead market is cleared against the base-case (pre-contingency) constraints: contingency
constraints of the auction (OA 7.4) are not imposed here. Revenue adequacy only needs the
auction's feasible set to lie inside the market's, which it does (the auction's set is smaller).

Size: ``H`` is dense, ``n_constraints x n_buses`` floats per topology (51 MB for
``case_ACTIVSg2000``), which bounds the simulator to cases of a few thousand buses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import numpy as np
import scipy.sparse as sp

from network.constraints import monitored_constraints
from network.model import Network, PeriodConditions
from network.sensitivity import build_sensitivity_model
from simulation.market import MarketInputs, OutageSet
from simulation.offers import offer_stack
from simulation.pricing_points import all_point_ids
from simulation.topology import ConstraintModel


def _with_outages(conditions: PeriodConditions | None, extra: Iterable[str]) -> PeriodConditions:
    base = conditions or PeriodConditions()
    outages = tuple(dict.fromkeys((*base.scheduled_outages, *extra)))
    return PeriodConditions(scheduled_outages=outages, loop_flow_mw=base.loop_flow_mw)


def constraint_model(
    net: Network, conditions: PeriodConditions | None = None, extra_outages: Sequence[str] = ()
) -> ConstraintModel:
    """The market's constraints for the period's topology with ``extra_outages`` opened too."""
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
    return ConstraintModel(
        constraint_ids=monitored.ids,
        contingency_ids=tuple("" for _ in monitored.ids),
        sensitivity=sensitivity,
        limit_mw=np.asarray(monitored.limit_normal_mw, dtype=np.float64),
        offset_mw=np.asarray(monitored.loop_flow_mw, dtype=np.float64),
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
) -> MarketInputs:
    """Market inputs for ``net`` in a period: topologies for ``()`` and each extra outage set.

    ``point_ids`` defaults to every bus and every defined pricing point; a point's weights are
    ``network``'s (``SensitivityModel.injection_matrix``, substitutions of the period applied).
    """
    points = tuple(point_ids) if point_ids is not None else all_point_ids(net)
    sets: set[OutageSet] = {()} | {tuple(sorted(s)) for s in extra_outage_sets}
    topologies = {s: constraint_model(net, conditions, s) for s in sorted(sets)}
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
