"""Contingencies: which branches they open, whether they island buses, and how that is handled.

An outage set ``M`` is modelled by the LODF compensation (CAISO App. A and C; OA 7.4 "contingency-
constrained"): with pre-contingency flows ``f``, ``Delta = (I - H_MM)^-1 f_M`` where
``H_MM[a, b] = PTDF[m_a, (m_b)]`` (MW on ``m_a`` per MW moved across ``m_b``), and every branch ``l``
gets ``f_l' = f_l + (PTDF[l, (M)] - I[l, M]) Delta`` (so each opened branch ends at exactly 0 MW).

Islanding is decided from the topology (bridges, connected components), never from ``1 - h``:

- A contingency that leaves buses ``S`` cut off from the reference bus's island is *islanding*. It is
  evaluated on the part that stays connected: injections inside ``S`` are lost (the reference bus
  makes up the difference, which is what a PTDF's "withdrawn at the reference" already assumes), and
  branches inside ``S`` carry 0 MW. This keeps flows linear in the injections, as the auction LP needs.
  Exactly: injections in ``S`` are zeroed, and of the opened branches a spanning set ``K`` that
  re-attaches every cut-off piece as a tree is left closed (with no injection behind it a hanging
  tree carries 0 MW); the rest ``M \\ K`` is opened by the formula above, which is then non-singular.
- A contingency that leaves the reference bus on the *smaller* side keeps the largest island instead
  (by bus count; among equal largest, the reference bus's, else the one holding the lowest bus
  position; docs/rules.md, "Islands"). The reference's side is then the cut-off part, and the kept
  island gets its own reference (``ContingencyPlan.reference``): the bus with the largest in-service
  generation capacity, ties and no generation by lowest position. The kept island's injections are
  balanced at that bus (its net injection is withdrawn there), so the cut-off part, old reference
  included, carries no flow, and flows stay linear in the injections.
- Opened branches that are already open (out of service or scheduled out) are ignored; a contingency
  with nothing left to open leaves the flows unchanged.
- A non-islanding contingency whose ``I - H_MM`` is numerically singular (reactances that cancel out
  around a loop) has no defined post-contingency flow; it is reported and its flows are the base flows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from market_terms import IntArray
from network.errors import InvalidElementError
from network.model import Contingency
from network.sensitivity import SensitivityModel, branch_position
from network.topology import island_labels, island_reference, kept_island


class ContingencyHandling(StrEnum):
    """How a contingency is evaluated."""

    LODF = "lodf"
    ISLANDING_INJECTIONS_LOST = "islanding_injections_lost"
    NO_BRANCH_TO_OPEN = "no_branch_to_open"
    SINGULAR_BASE_FLOWS_KEPT = "singular_base_flows_kept"


@dataclass(frozen=True)
class ContingencyPlan:
    """A contingency resolved against one topology (positions are internal branch/bus positions)."""

    id: str
    opened: IntArray
    effective: IntArray
    cut_off_buses: IntArray
    handling: ContingencyHandling
    reference: int = -1
    """Reference bus of the kept island when the model's reference is cut off, else -1."""


@dataclass(frozen=True, slots=True)
class ContingencyReport:
    """A contingency that is not a plain LODF case: which buses it cuts off and what was done.

    ``reference_bus_id`` is the kept island's reference when the contingency cut off the model's.
    """

    contingency_id: str
    handling: ContingencyHandling
    cut_off_bus_ids: tuple[str, ...]
    reference_bus_id: str | None = None


def plan_contingency(model: SensitivityModel, contingency: Contingency) -> ContingencyPlan:
    """Resolve a contingency: energised branches it opens, islanding, the branches modelled as opened."""
    idx = np.array(
        sorted(
            {
                branch_position(model.network, b, f"contingency {contingency.id!r}")
                for b in contingency.branch_ids
            }
        ),
        dtype=np.int64,
    )
    opened = idx[model.energised_branch[idx]] if len(idx) else idx
    empty = np.zeros(0, dtype=np.int64)
    if len(opened) == 0:
        return ContingencyPlan(contingency.id, opened, empty, empty, ContingencyHandling.NO_BRANCH_TO_OPEN)
    if len(opened) == 1:
        if not model.bridge_mask[opened[0]]:
            return ContingencyPlan(contingency.id, opened, opened, empty, ContingencyHandling.LODF)
        # a single bridge: its own cut-off side from the bridge tree; the bridge itself is the kept link
        cut = model.bridge_cut_off(int(opened[0]))
        n_kept = int(model.energised_bus.sum()) - len(cut)
        reference = -1
        if len(cut) > n_kept:  # the reference's side is the smaller one: keep the other
            side = np.zeros(model.n_buses, dtype=np.bool_)
            side[cut] = True
            reference = island_reference(side, model.reference_index, model.generation_capacity_mw)
            cut = np.flatnonzero(model.energised_bus & ~side)
        return ContingencyPlan(
            contingency.id, opened, empty, cut, ContingencyHandling.ISLANDING_INJECTIONS_LOST, reference
        )
    keep = model.energised_branch.copy()
    keep[opened] = False
    f, t = model.branch_from[keep], model.branch_to[keep]
    _, labels = island_labels(model.n_buses, f, t)
    main = kept_island(labels, model.energised_bus, model.reference_index)
    cut = np.flatnonzero(model.energised_bus & ~main)
    reference = -1
    if not main[model.reference_index]:
        reference = island_reference(main, model.reference_index, model.generation_capacity_mw)
    if len(cut) == 0:
        return ContingencyPlan(contingency.id, opened, opened, empty, ContingencyHandling.LODF)
    # union-find over the pieces: keep closed the opened branches that re-attach a new piece
    parent: dict[int, int] = {}

    def find(a: int) -> int:
        while parent.get(a, a) != a:
            a = parent.get(a, a)
        return a

    kept: set[int] = set()
    for br in opened.tolist():
        ra = find(int(labels[model.branch_from[br]]))
        rb = find(int(labels[model.branch_to[br]]))
        if ra != rb:
            parent[ra] = rb
            kept.add(br)
    effective = np.array([b for b in opened.tolist() if b not in kept], dtype=np.int64)
    return ContingencyPlan(
        contingency.id, opened, effective, cut, ContingencyHandling.ISLANDING_INJECTIONS_LOST, reference
    )


def plan_contingencies(
    model: SensitivityModel, contingencies: Sequence[Contingency]
) -> tuple[ContingencyPlan, ...]:
    """Plans in input order; duplicate contingency ids are an error."""
    seen: set[str] = set()
    for c in contingencies:
        if c.id in seen:
            raise InvalidElementError(f"contingency {c.id!r} is defined twice")
        seen.add(c.id)
    return tuple(plan_contingency(model, c) for c in contingencies)


def single_branch_contingencies(
    model: SensitivityModel, *, include_radial: bool = False, prefix: str = ""
) -> tuple[Contingency, ...]:
    """Full N-1: one contingency per energised branch (bridges only if ``include_radial``).

    Ids are ``prefix + branch id``.
    """
    mask = model.energised_branch if include_radial else model.energised_branch & ~model.bridge_mask
    ids = model.network.branch_ids
    return tuple(Contingency(prefix + ids[i], (ids[i],)) for i in np.flatnonzero(mask).tolist())
