"""Check an auction's period conditions (OA 7.3.6(a)) against its network version."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

from app.errors import FieldError, ValidationFailed
from network.model import Network


@lru_cache(maxsize=4)
def network_from_document(document: str) -> Network:
    """The :class:`~network.model.Network` of a stored canonical document (cached: versions are immutable)."""
    from network.json_format import load_network_json  # loaded on first use, like the other parsers

    data: Any = json.loads(document)
    return load_network_json(data)


def check_period_conditions(
    document: str, outages: Sequence[str], loop_flow_mw: Mapping[str, Decimal]
) -> None:
    """Every outage must name a branch and every loop-flow key a branch or interface of the version."""
    if not outages and not loop_flow_mw:
        return
    net = network_from_document(document)
    branches = set(net.branch_ids)
    constraints = branches | {i.id for i in net.interfaces}
    errors = [
        FieldError(f"body.scheduled_outages.{i}", f"unknown branch {b!r}")
        for i, b in enumerate(outages)
        if b not in branches
    ]
    errors += [
        FieldError(f"body.loop_flow_mw.{k}", f"unknown constraint {k!r} (a branch or interface id)")
        for k in loop_flow_mw
        if k not in constraints
    ]
    if errors:
        raise ValidationFailed(
            "the period conditions name elements the network version does not have", errors=errors
        )


CONTINGENCY_SETS = ("network", "none", "all_n_1", "list")


def check_contingencies(
    document: str, contingency_set: str, contingencies: Sequence[tuple[str, Sequence[str]]]
) -> None:
    """A ``list`` names known branches, each once per contingency, under distinct ids; others name none."""
    if contingency_set not in CONTINGENCY_SETS:
        raise ValidationFailed(
            f"unknown contingency set {contingency_set!r}",
            errors=[FieldError("body.contingency_set", f"one of {', '.join(CONTINGENCY_SETS)}")],
        )
    if contingency_set != "list":
        if contingencies:
            raise ValidationFailed(
                "contingencies are given only with contingency_set 'list'",
                errors=[FieldError("body.contingencies", "only with contingency_set 'list'")],
            )
        return
    if not contingencies:
        raise ValidationFailed(
            "contingency_set 'list' needs at least one contingency",
            errors=[FieldError("body.contingencies", "empty")],
        )
    branches = set(network_from_document(document).branch_ids)
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, (cid, members) in enumerate(contingencies):
        where = f"body.contingencies.{i}.branches"
        if cid in seen:
            errors.append(FieldError(f"body.contingencies.{i}.id", f"contingency {cid!r} given twice"))
        seen.add(cid)
        if not members:
            errors.append(FieldError(where, "no branch"))
        for j, branch in enumerate(members):
            if branch not in branches:
                errors.append(
                    FieldError(f"body.contingencies.{i}.branches.{j}", f"unknown branch {branch!r}")
                )
            elif list(members).index(branch) != j:
                errors.append(FieldError(f"{where}.{j}", f"branch {branch!r} twice"))
    if errors:
        raise ValidationFailed(
            "the contingencies name branches the network version does not have", errors=errors
        )
