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
