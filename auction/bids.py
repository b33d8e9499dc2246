"""Bids, offers and held FTRs of one auction (one period class), as submitted (OA 7.3.5).

- A :class:`Bid` buys up to ``mw`` MW of the FTR ``source -> sink`` at up to ``price`` $/MW for the
  period; partial fills are allowed, there is no minimum (OA 7.3.5(c)); a negative price is a
  counterflow bid that asks to be paid.
- An :class:`Offer` sells up to ``mw`` MW of a held FTR ``source -> sink`` for at least ``price``
  $/MW (the reservation price, OA 7.3.5(b)). The offered FTR is in the base model at its full MW;
  what is sold leaves it.
- A :class:`HeldFtr` is an outstanding FTR not offered (OA 7.3.6(a)) or an assigned FTR (OA 7.3.3):
  always in the base model.

MW are to the nearest 0.1 and > 0 (OA 7.3.5(d)). Offers and held FTRs are obligations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from market_terms import Hedge

AWARD_STEP_MW = 0.1
"""Bids, offers and awards are in steps of 0.1 MW (OA 7.3.5(d))."""


class BidError(ValueError):
    """A bid, offer or held FTR that breaks an auction rule; the message names it and the rule."""


def mw_in_steps(mw: float) -> bool:
    """Whether ``mw`` is a positive multiple of :data:`AWARD_STEP_MW` (to 1e-9 MW)."""
    tenths = mw / AWARD_STEP_MW
    return math.isfinite(mw) and mw > 0 and abs(tenths - round(tenths)) <= 1e-9 * max(1.0, abs(tenths))


@dataclass(frozen=True, slots=True)
class Bid:
    """A bid to buy an FTR: MW, $/MW for the period, receipt (source) and delivery (sink) points."""

    bid_id: str
    participant: str
    source: str
    sink: str
    mw: float
    price: float
    hedge: Hedge = Hedge.OBLIGATION


@dataclass(frozen=True, slots=True)
class Offer:
    """An offer to sell a held FTR; ``price`` is the reservation price in $/MW for the period;
    ``hedge`` is the held FTR's (an option's sale releases only its adverse flow)."""

    offer_id: str
    participant: str
    source: str
    sink: str
    mw: float
    price: float
    hedge: Hedge = Hedge.OBLIGATION


@dataclass(frozen=True, slots=True)
class HeldFtr:
    """An outstanding FTR that stays in the base model (not offered, or assigned under OA 7.3.3); an
    option counts with its adverse flow only."""

    holder: str
    source: str
    sink: str
    mw: float
    hedge: Hedge = Hedge.OBLIGATION


def _check_transfer(kind: str, ident: str, source: str, sink: str, mw: float, price: float | None) -> None:
    if source == sink:
        raise BidError(f"{kind} {ident!r}: source and sink are the same point {source!r}")
    if not mw_in_steps(mw):
        raise BidError(f"{kind} {ident!r}: MW {mw!r} must be > 0 and to the nearest 0.1 MW (OA 7.3.5(d))")
    if price is not None and not math.isfinite(price):
        raise BidError(f"{kind} {ident!r}: price {price!r} is not a finite number")


def validate(bids: Sequence[Bid], offers: Sequence[Offer], held: Sequence[HeldFtr]) -> None:
    """Raise :class:`BidError` on the first bid, offer or held FTR breaking a rule; ids must be unique."""
    seen: set[str] = set()
    for b in bids:
        if b.bid_id in seen:
            raise BidError(f"bid {b.bid_id!r}: id used twice")
        seen.add(b.bid_id)
        _check_transfer("bid", b.bid_id, b.source, b.sink, b.mw, b.price)
    for o in offers:
        if o.offer_id in seen:
            raise BidError(f"offer {o.offer_id!r}: id already used by a bid or offer")
        seen.add(o.offer_id)
        _check_transfer("offer", o.offer_id, o.source, o.sink, o.mw, o.price)
    for i, h in enumerate(held):
        _check_transfer("held FTR", f"#{i + 1} of {h.holder}", h.source, h.sink, h.mw, None)
