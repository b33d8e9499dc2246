"""A path's clearing price and its decomposition by binding constraint, from posted results.

The clearing publishes each binding row ``r`` (constraint, contingency) with its shadow price
``mu_r`` ($/MW of flow for the period, >= 0) and its flow in the constraint's own direction; the
row binds in direction ``d_r = sign(flow_mw)``. With ``S_rp`` the MW on the row per MW injected at
point p (withdrawn at the reference bus), the path price is (see :mod:`feasibility.prices`)

    price(s -> t) = sum_r mu_r d_r (S_rs - S_rt)

so each binding row contributes ``mu_r d_r (S_rs - S_rt)``: a path that loads a binding constraint
in its binding direction pays its shadow price per MW of that flow; a row the path relieves pays the
path's holder (a negative term). A path loading no binding row is worth 0 (and is awarded at any
non-negative price it clears).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from feasibility.grid import BASE_CASE
from feasibility.network_grid import NetworkGrid
from network.model import Contingency, Network, PeriodConditions


@dataclass(frozen=True, slots=True)
class PostedBinding:
    """A binding row as posted: ``flow_mw`` in the constraint's own direction (its sign is the direction)."""

    constraint_id: str
    contingency_id: str | None
    shadow_price: float
    flow_mw: float


@dataclass(frozen=True, slots=True)
class PathTerm:
    """One binding row's share of a path price ($/MW for the period)."""

    constraint_id: str
    contingency_id: str | None
    shadow_price: float
    direction: int
    sensitivity: float
    """MW on the row (in its binding direction) per MW transferred from source to sink"""
    contribution: float


def path_terms(
    network: Network,
    conditions: PeriodConditions,
    binding: Sequence[PostedBinding],
    source: str,
    sink: str,
    contingencies: Sequence[Contingency] | Literal["all"] | None = None,
) -> tuple[PathTerm, ...]:
    """The terms of ``price(source -> sink)``, one per binding row, in the order given.

    ``contingencies`` is the set the auction cleared with, as the engine takes it (``None``: the
    network's own list; ``"all"``: full N-1, a contingency's id being its branch's id).

    Raises ``KeyError`` naming a binding row whose constraint or contingency the network does not
    have, and a ``network.errors.NetworkError`` (from the grid) for an unknown source or sink.
    """
    if not binding:
        return ()
    wanted = {b.contingency_id for b in binding if b.contingency_id is not None}
    if contingencies == "all":
        cases = [Contingency(cid, (cid,)) for cid in sorted(wanted)]
    else:
        listed = network.contingencies if contingencies is None else contingencies
        cases = [c for c in listed if c.id in wanted]
    grid = NetworkGrid.build(network, conditions, cases)
    constraint_index = {cid: i for i, cid in enumerate(grid.constraint_ids)}
    case_index = {cid: i for i, cid in enumerate(grid.contingency_ids)}
    cons, case = [], []
    for b in binding:
        if b.constraint_id not in constraint_index:
            raise KeyError(f"binding constraint {b.constraint_id!r} is not monitored in the network")
        if b.contingency_id is not None and b.contingency_id not in case_index:
            raise KeyError(f"contingency {b.contingency_id!r} is not in the network")
        cons.append(constraint_index[b.constraint_id])
        case.append(BASE_CASE if b.contingency_id is None else case_index[b.contingency_id])
    sens = grid.sensitivities(
        np.array(cons, dtype=np.int64), np.array(case, dtype=np.int64), grid.injection_matrix([source, sink])
    )
    delta = sens[:, 0] - sens[:, 1]
    terms = []
    for i, b in enumerate(binding):
        d = 1 if b.flow_mw >= 0 else -1
        s = float(d * delta[i])
        terms.append(
            PathTerm(
                constraint_id=b.constraint_id,
                contingency_id=b.contingency_id,
                shadow_price=b.shadow_price,
                direction=d,
                sensitivity=s + 0.0,
                contribution=b.shadow_price * s + 0.0,
            )
        )
    return tuple(terms)
