"""Names users recognise for a binding constraint, read from the auction's stored network version.

A branch constraint is named by its from/to buses (and their names, MATPOWER ``bus_name``) and the
branch's own name where the model has one; an interface by its id. A contingency is named by its id
and the branches it takes out, as the auction's contingency set defines them (``network``: the
version's own; ``all_n_1``: one per branch, named by the branch id; ``list``: the OI's list). Nothing
here is stored: it is derived from the document the clearing used.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from network.model import Network


@dataclass(frozen=True, slots=True)
class ConstraintNames:
    from_bus: str | None = None
    to_bus: str | None = None
    from_bus_name: str | None = None
    to_bus_name: str | None = None
    branch_name: str | None = None
    contingency_branches: tuple[str, ...] = ()


class ConstraintNamer:
    """Describes the constraints of one auction: its network and its contingency set."""

    def __init__(self, net: Network, contingency_set: str, contingencies_json: str) -> None:
        self.net = net
        self.outages: Mapping[str, tuple[str, ...]]
        if contingency_set == "list":
            self.outages = {cid: tuple(b) for cid, b in json.loads(contingencies_json)}
        elif contingency_set == "network":
            self.outages = {c.id: c.branch_ids for c in net.contingencies}
        else:  # all_n_1 names each contingency by its branch; none has no contingencies
            self.outages = {}
        self.single_branch = contingency_set == "all_n_1"

    def describe(self, constraint_id: str, contingency_id: str | None) -> ConstraintNames:
        net = self.net
        if contingency_id is None:
            outaged: tuple[str, ...] = ()
        elif contingency_id in self.outages:
            outaged = self.outages[contingency_id]
        else:
            outaged = (contingency_id,) if self.single_branch and contingency_id in net.branch_ids else ()
        if constraint_id not in net.branch_ids:
            return ConstraintNames(contingency_branches=outaged)
        i = net.branch_index(constraint_id)
        from_bus, to_bus = net.bus_ids[int(net.branch_from[i])], net.bus_ids[int(net.branch_to[i])]
        return ConstraintNames(
            from_bus=from_bus,
            to_bus=to_bus,
            from_bus_name=net.bus_name(from_bus),
            to_bus_name=net.bus_name(to_bus),
            branch_name=net.branch_name(constraint_id),
            contingency_branches=outaged,
        )
