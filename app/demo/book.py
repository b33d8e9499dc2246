"""The demo's seeded bid book on ``case_ACTIVSg200`` with branch 73 on maintenance.

With branch 73 out, branch 184 (rated 402.36 MW) limits exports from the generation pocket at
buses 187-189, and the day-ahead market prices it: a simulated month (``simulation``, seed 0)
gives each bus a congestion value, the sum over the class's hours of its LMP's congestion
component ($/MW for the month, relative to the pocket). :data:`NODE_VALUE` holds those figures,
rounded, for November 2026; the traders' views of a path are ``value(sink) - value(source)``
scaled by a seeded factor, so the book is realistic but not clairvoyant:

- buy bids out of the pocket at 45-110 % of the path's value (the market's appetite exceeds
  what branch 184 can carry, so the auction prices it);
- counterflow bids into the pocket asking to be paid 105-130 % of the path's value;
- a few bids between load buses (small spreads: nearly worthless paths).

MW in 0.1 steps, prices in cents per MW for the class's period (as the bid service stores them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.bids.credit import Side
from market_terms.money import to_cents
from market_terms.mw import round_to_tenths

MAINTENANCE_OUTAGES = ("73",)
"""Scheduled outage of every demo auction and of the simulated day-ahead month (OA 7.3.6(a))."""

POCKET = ("189", "187", "188")
LOAD_BUSES = ("121", "14", "16", "150", "13", "96", "92", "58")
NODE_VALUE: dict[str, dict[str, float]] = {
    "on_peak": {
        "189": 0.0, "187": 0.0, "188": 468.0, "121": 1459.0, "14": 1368.0, "16": 1340.0,
        "150": 1304.0, "13": 1272.0, "96": 824.0, "92": 580.0, "58": 838.0,
    },
    "off_peak": {
        "189": 0.0, "187": 0.0, "188": 13.0, "121": 41.0, "14": 38.0, "16": 38.0,
        "150": 37.0, "13": 36.0, "96": 23.0, "92": 16.0, "58": 24.0,
    },
}  # fmt: skip
MW_CHOICES = (5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0)

LSE_ALLOCATION = ("189", "121", 500)
"""The LSE's allocated FTR (OA 5.2.2(b)): source, sink, MW in tenths, every month and class."""

LSE_APPLICATION = ("DEMO-PTP-1", "189", "121", "5.0")
"""The LSE's pending application for the upcoming month (OA 5.2.2(c)): a firm point-to-point
reservation (id, receipt, delivery, firm MW)."""


@dataclass(frozen=True, slots=True)
class DemoOrder:
    participant: str
    side: Side
    period_class: str
    source: str
    sink: str
    mw_tenths: int
    price_cents: int


def path_value(period_class: str, source: str, sink: str) -> float:
    """$/MW for the period: ``value(sink) - value(source)``."""
    values = NODE_VALUE[period_class]
    return values[sink] - values[source]


def bid_book(year: int, month: int, traders: tuple[str, ...], lse: str) -> tuple[DemoOrder, ...]:
    """The month's book, seeded by the month (the same month always gets the same book)."""
    rng = np.random.default_rng(year * 100 + month)
    orders: list[DemoOrder] = []
    for cls in ("on_peak", "off_peak"):
        for trader in traders:
            for _ in range(9):
                source = str(rng.choice(POCKET, p=(0.5, 0.3, 0.2)))
                sink = str(rng.choice(LOAD_BUSES))
                price = path_value(cls, source, sink) * rng.uniform(0.45, 1.1)
                mw = float(rng.choice(MW_CHOICES))
                tenths = round_to_tenths(mw)
                orders.append(DemoOrder(trader, Side.BUY, cls, source, sink, tenths, to_cents(price)))
            for _ in range(2):
                source = str(rng.choice(LOAD_BUSES))
                sink = str(rng.choice(POCKET[:2]))
                price = path_value(cls, source, sink) * rng.uniform(1.05, 1.3)
                mw = float(rng.choice(MW_CHOICES[:4]))
                tenths = round_to_tenths(mw)
                orders.append(DemoOrder(trader, Side.BUY, cls, source, sink, tenths, to_cents(price)))
            source, sink = (str(b) for b in rng.choice(LOAD_BUSES[:5], size=2, replace=False))
            price = max(path_value(cls, source, sink), 0.0) * rng.uniform(0.5, 1.0) + 1.0
            orders.append(DemoOrder(trader, Side.BUY, cls, source, sink, 100, to_cents(price)))
        source, sink, _ = LSE_ALLOCATION
        ask = path_value(cls, source, sink) * rng.uniform(1.0, 1.15)
        orders.append(DemoOrder(lse, Side.SELL, cls, source, sink, 150, to_cents(ask)))
        bid = path_value(cls, "188", "14") * rng.uniform(0.6, 0.9)
        orders.append(DemoOrder(lse, Side.BUY, cls, "188", "14", 200, to_cents(bid)))
    return tuple(orders)
