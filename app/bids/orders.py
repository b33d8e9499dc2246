"""An order (bid or offer) as the rules see it: stored units, no wire or table types."""

from __future__ import annotations

from dataclasses import dataclass

from app.bids.credit import Side


@dataclass(frozen=True, slots=True)
class OrderSpec:
    """A validated order: MW in tenths (> 0), price in cents per MW for the period of the class."""

    side: Side
    period_class: str
    source: str
    sink: str
    hedge: str
    mw_tenths: int
    price_cents: int
