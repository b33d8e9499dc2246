"""The period's flow model for the simultaneous-feasibility test (OA 7.3.3(b), 7.4).

The model is the network version of the month's auction with its scheduled outages, loop flow
and contingencies (OA 7.3.6(a)), as ``network.flows.FlowEvaluator``; the test itself is
:func:`auction.allocation_feasibility.check_simultaneous_feasibility`. Evaluators are kept per
(network content hash, outages, loop flow): versions are immutable.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from decimal import Decimal

from sqlmodel import Session

from app.auctions.repository import AuctionRepository
from app.auctions.tables import Auction
from app.errors import FieldError, NotSimultaneouslyFeasible, ValidationFailed
from app.networks.outages import network_from_document
from app.networks.repository import NetworkRepository
from app.networks.tables import NetworkVersion
from auction.allocation_feasibility import (
    FtrFlow,
    TransferFlowEvaluator,
    check_simultaneous_feasibility,
)

_CACHE: dict[tuple[str, str, str], TransferFlowEvaluator] = {}
_LOCK = threading.Lock()
_CACHE_SIZE = 4


def _build(document: str, outages: tuple[str, ...], loop_flow: dict[str, str]) -> TransferFlowEvaluator:
    from network.constraints import monitored_constraints
    from network.flows import FlowEvaluator
    from network.model import PeriodConditions
    from network.sensitivity import build_sensitivity_model

    net = network_from_document(document)
    conditions = PeriodConditions(
        scheduled_outages=outages, loop_flow_mw={k: float(Decimal(v)) for k, v in loop_flow.items()}
    )
    model = build_sensitivity_model(net, conditions)
    return FlowEvaluator.build(model, monitored_constraints(net, conditions), net.contingencies)


def auction_for_month(session: Session, year: int, month: int, field: str = "body.year") -> Auction:
    auction = AuctionRepository(session).by_month(year, month)
    if auction is None:
        raise ValidationFailed(
            f"there is no auction for {year}-{month:02d}: its network model and period conditions "
            "are needed to test simultaneous feasibility (OA 7.3.3(b))",
            errors=[FieldError(field, f"no auction for {year}-{month:02d}")],
        )
    return auction


def period_evaluator(session: Session, auction: Auction) -> TransferFlowEvaluator:
    version = session.get(NetworkVersion, auction.network_version_id)
    assert version is not None
    cache_key = (version.content_hash, auction.scheduled_outages, auction.loop_flow)
    with _LOCK:
        found = _CACHE.get(cache_key)
        if found is not None:
            return found
    evaluator = _build(
        version.document, tuple(json.loads(auction.scheduled_outages)), dict(json.loads(auction.loop_flow))
    )
    with _LOCK:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[cache_key] = evaluator
    return evaluator


def require_known_points(session: Session, auction: Auction, points: Sequence[tuple[str, str]]) -> None:
    """Every point must be a pricing point of the auction's network version (422 naming the field)."""
    known = NetworkRepository(session).known_points(auction.network_version_id, {p for p, _ in points})
    errors = [
        FieldError(field, f"unknown pricing point {p!r} in network version {auction.network_version_id}")
        for p, field in points
        if p not in known
    ]
    if errors:
        raise ValidationFailed(f"{len(errors)} unknown pricing point(s)", errors=errors)


def require_feasible(
    evaluator: TransferFlowEvaluator,
    outstanding: Sequence[FtrFlow],
    candidates: Sequence[FtrFlow],
    *,
    what: str,
    field: str,
) -> None:
    """Raise :class:`NotSimultaneouslyFeasible` naming the binding constraint, or return."""
    verdict = check_simultaneous_feasibility(evaluator, outstanding, candidates)
    if verdict.feasible or verdict.binding is None:
        return
    b = verdict.binding
    raise NotSimultaneouslyFeasible(
        f"{what}: {verdict.reason} (OA 7.3.3(b))",
        errors=[FieldError(field, verdict.reason)],
        extensions={
            "constraint_id": b.constraint_id,
            "contingency_id": b.contingency_id,
            "direction": "forward" if b.direction > 0 else "reverse",
            "flow_mw": f"{b.flow_mw:.3f}",
            "limit_mw": f"{b.limit_mw:.3f}",
        },
    )
