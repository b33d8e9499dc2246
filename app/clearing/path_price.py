"""The path price lookup: a posted path price and its decomposition by binding constraint.

The visibility is that of the posted results (:meth:`ResultsService.class_results`): every
participant once posted, the OI and auditors once cleared. The price is the posted
``price(sink) - price(source)``; the terms come from :func:`auction.path_price.path_terms` on the
auction's network version and period conditions.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN, Decimal

from sqlmodel import Session

from api_schemas.path_price import PathPricePublic, PathPriceTerm
from app.auctions.repository import AuctionRepository
from app.clearing.results import ResultsService
from app.contingency_sets import engine_contingencies
from app.errors import FieldError, NotFound, ValidationFailed
from app.networks.outages import network_from_document
from app.networks.repository import NetworkRepository
from app.participants.service import Caller
from auction.path_price import PostedBinding, path_terms
from network.model import PeriodConditions

_SIX = Decimal("0.000001")
_CENT = Decimal("0.01")


def _exact(value: float, step: Decimal) -> Decimal:
    return Decimal(repr(float(value))).quantize(step, rounding=ROUND_HALF_EVEN)


class PathPriceService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lookup(
        self, caller: Caller, auction_id: int, period_class: str, source: str, sink: str
    ) -> PathPricePublic:
        results = ResultsService(self.session).class_results(caller, auction_id, period_class)
        prices = {p.point_id: p.price for p in results.nodal_prices}
        errors = [
            FieldError(f"query.{name}", f"{point!r} is not a priced point of auction {auction_id}")
            for name, point in (("source", source), ("sink", sink))
            if point not in prices
        ]
        if source == sink:
            errors.append(FieldError("query.sink", "sink must differ from source"))
        if errors:
            raise ValidationFailed("the path cannot be priced", errors=errors)
        auction = AuctionRepository(self.session).get(auction_id)
        version = NetworkRepository(self.session).get(auction.network_version_id) if auction else None
        if auction is None or version is None:
            raise NotFound(f"auction {auction_id} not found")
        conditions = PeriodConditions(
            scheduled_outages=tuple(json.loads(auction.scheduled_outages)),
            loop_flow_mw={k: float(Decimal(v)) for k, v in json.loads(auction.loop_flow).items()},
        )
        binding = [
            PostedBinding(b.constraint_id, b.contingency_id, float(b.shadow_price), float(b.flow_mw or 0))
            for b in results.binding_constraints
        ]
        contingencies = engine_contingencies(auction.contingency_set, json.loads(auction.contingencies))
        terms = path_terms(
            network_from_document(version.document), conditions, binding, source, sink, contingencies
        )
        ordered = sorted(terms, key=lambda t: (-abs(t.contribution), t.constraint_id, t.contingency_id or ""))
        return PathPricePublic(
            auction_id=auction_id,
            period_class=results.period_class,
            source=source,
            sink=sink,
            price=prices[sink] - prices[source],
            source_price=prices[source],
            sink_price=prices[sink],
            terms=[
                PathPriceTerm(
                    constraint_id=t.constraint_id,
                    contingency_id=t.contingency_id,
                    shadow_price=_exact(t.shadow_price, _SIX),
                    sensitivity=_exact(t.sensitivity, _SIX),
                    contribution=_exact(t.contribution, _CENT),
                )
                for t in ordered
                if abs(t.contribution) >= 0.005 or abs(t.sensitivity) >= 1e-6
            ],
        )
