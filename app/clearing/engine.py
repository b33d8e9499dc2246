"""The bridge to the clearing engine (:func:`auction.clearing.clear_auction`): snapshot in, outcome out.

Everything here is plain data: the flow takes a :class:`ClassSnapshot` out of the database, this
module clears it, and the flow stores the :class:`ClassOutcome`. Conversions:

- MW: stored tenths -> float MW for the engine; awards back to tenths (the engine awards whole
  0.1 MW steps, OA 7.3.5(d)).
- Prices: stored cents per MW -> float $/MW for the period; clearing and nodal prices back to
  integer cents per MW, rounded half-even.
- Base model (OA 7.3.6(a)): each holder's net holding on a path for the month and class, less what
  it offers in this auction (the engine adds offered FTRs to the base model at full MW itself).
  Holdings are counted as obligations.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

from app.contingency_sets import engine_contingencies
from app.networks.outages import network_from_document
from feasibility.progress import ProgressCallback
from feasibility.result import Status
from market_terms.money import to_cents
from market_terms.mw import round_to_tenths
from network.model import Contingency, PeriodConditions


@dataclass(frozen=True, slots=True)
class OrderRow:
    bid_id: int
    participant_id: int
    side: str
    source: str
    sink: str
    hedge: str
    mw_tenths: int
    price_cents: int


@dataclass(frozen=True, slots=True)
class HoldingRow:
    holder_id: int
    source: str
    sink: str
    mw_tenths: int
    hedge: str = "obligation"


@dataclass(frozen=True, slots=True)
class ClassSnapshot:
    class_auction_id: int
    period_class: str
    network_document: str
    scheduled_outages: tuple[str, ...]
    loop_flow_mw: tuple[tuple[str, str], ...]
    orders: tuple[OrderRow, ...]
    holdings: tuple[HoldingRow, ...]
    contingency_set: str = "network"
    contingencies: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def fingerprint(self) -> str:
        """SHA-256 of everything the clearing depends on (the re-run check compares it)."""
        doc = {
            "class": self.period_class,
            "network": hashlib.sha256(self.network_document.encode()).hexdigest(),
            "outages": sorted(self.scheduled_outages),
            "loop_flow": sorted(self.loop_flow_mw),
            "orders": sorted(
                (o.bid_id, o.participant_id, o.side, o.source, o.sink, o.hedge, o.mw_tenths, o.price_cents)
                for o in self.orders
            ),
            # an option holding carries its hedge; obligations keep the fingerprint they always had
            "holdings": sorted(
                (h.holder_id, h.source, h.sink, h.mw_tenths, *([h.hedge] if h.hedge != "obligation" else []))
                for h in self.holdings
            ),
        }
        # the network's own contingencies keep the fingerprint they always had
        if self.contingency_set != "network":
            doc["contingencies"] = [self.contingency_set, [[c, list(b)] for c, b in self.contingencies]]
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class FillRow:
    bid_id: int
    cleared_mw_tenths: int
    clearing_price_cents: int


@dataclass(frozen=True, slots=True)
class BindingRow:
    constraint_id: str
    contingency_id: str | None
    shadow_price: Decimal
    flow_mw: Decimal
    limit_mw: Decimal


@dataclass(frozen=True, slots=True)
class ClassOutcome:
    class_auction_id: int
    status: Status
    termination: str
    fills: tuple[FillRow, ...]
    nodal_prices_cents: tuple[tuple[str, int], ...]
    binding: tuple[BindingRow, ...]
    summary: Mapping[str, Any]

    @property
    def ok(self) -> bool:
        return self.status is Status.OPTIMAL

    def fingerprint(self) -> str:
        doc = {
            "fills": [(f.bid_id, f.cleared_mw_tenths, f.clearing_price_cents) for f in self.fills],
            "prices": list(self.nodal_prices_cents),
            "binding": [
                (b.constraint_id, b.contingency_id, str(b.shadow_price), str(b.flow_mw), str(b.limit_mw))
                for b in self.binding
            ],
        }
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def _exact(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)


def _base_model(snapshot: ClassSnapshot) -> list[tuple[int, str, str, str, int]]:
    """Net holdings less what each holder offers now, per (holder, source, sink, hedge), in tenths (> 0
    only): the held FTRs not offered; an option stays an option (its adverse flow only)."""
    net: dict[tuple[int, str, str, str], int] = defaultdict(int)
    for h in snapshot.holdings:
        net[(h.holder_id, h.source, h.sink, h.hedge)] += h.mw_tenths
    for o in snapshot.orders:
        if o.side == "sell":
            net[(o.participant_id, o.source, o.sink, o.hedge)] -= o.mw_tenths
    return [(holder, s, t, hedge, mw) for (holder, s, t, hedge), mw in sorted(net.items()) if mw > 0]


def _contingencies(snapshot: ClassSnapshot) -> list[Contingency] | Literal["all"] | None:
    """The auction's contingency set as the engine takes it (``None``: the network version's own)."""
    return engine_contingencies(snapshot.contingency_set, snapshot.contingencies)


def clear_class(snapshot: ClassSnapshot, progress: ProgressCallback | None = None) -> ClassOutcome:
    """Clear one class auction with the engine (deterministic: same snapshot, same outcome).

    ``progress`` receives the engine's events (:mod:`feasibility.progress`) between solver rounds; an
    exception it raises (a cancelled job) stops the clearing."""
    # The solver stack (HiGHS, scipy) loads on the first clearing, not at every start of the CLI.
    from auction.bids import Bid, HeldFtr, Offer
    from auction.clearing import clear_auction
    from market_terms import Hedge

    network = network_from_document(snapshot.network_document)
    conditions = PeriodConditions(
        scheduled_outages=snapshot.scheduled_outages,
        loop_flow_mw={k: float(Decimal(v)) for k, v in snapshot.loop_flow_mw},
    )
    orders = sorted(snapshot.orders, key=lambda o: o.bid_id)

    def terms(o: OrderRow) -> dict[str, Any]:
        """What a bid and an offer share, in the engine's units (MW, $/MW)."""
        return {
            "participant": str(o.participant_id),
            "source": o.source,
            "sink": o.sink,
            "mw": o.mw_tenths / 10,
            "price": o.price_cents / 100,
            "hedge": Hedge(o.hedge),
        }

    bids = [Bid(bid_id=str(o.bid_id), **terms(o)) for o in orders if o.side == "buy"]
    offers = [Offer(offer_id=str(o.bid_id), **terms(o)) for o in orders if o.side == "sell"]
    held = [
        HeldFtr(holder=str(h), source=s, sink=t, mw=mw / 10, hedge=Hedge(hedge))
        for h, s, t, hedge, mw in _base_model(snapshot)
    ]
    result = clear_auction(
        network,
        bids,
        offers,
        held,
        conditions=conditions,
        contingencies=_contingencies(snapshot),
        progress=progress,
    )
    fills = tuple(FillRow(int(a.id), round_to_tenths(a.mw_awarded), to_cents(a.price)) for a in result.awards)
    prices = tuple(sorted((point, to_cents(p)) for point, p in result.nodal_prices.items()))
    binding = tuple(
        BindingRow(
            constraint_id=b.constraint_id,
            contingency_id=b.contingency_id,
            shadow_price=_exact(b.shadow_price),
            flow_mw=_exact(b.flow_mw),
            limit_mw=_exact(b.limit_mw),
        )
        for b in result.binding_constraints
    )
    return ClassOutcome(
        class_auction_id=snapshot.class_auction_id,
        status=result.status,
        termination=result.termination,
        fills=fills,
        nodal_prices_cents=prices,
        binding=binding,
        summary=_jsonable(result.summary),
    )


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def sequence_fingerprint(parts: Sequence[str]) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()
