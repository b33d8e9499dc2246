"""Auction settlement (OA 7.3.8): buyers pay, sellers are paid, the clearing price x MW.

"All buyers and sellers of FTRs between the same points of receipt and delivery shall pay or be
paid the market-clearing price" (OA 7.3.8). For each cleared trade

    amount_cents = to_cents(price_per_mw x MW)        (ties to the even cent, :mod:`market_terms.money`)

with ``price_per_mw`` in $/MW for the whole period (OA 7.3.6(c)) and MW = tenths / 10. Signs,
from the participant's side:

- a buyer *pays* ``amount`` (a counterflow path has a negative price: its buyer is paid);
- a seller *is paid* ``amount`` (on a counterflow path the seller pays).

A participant's ``net_charge_cents`` = sum over its buys - sum over its sells: what it owes the
OI (negative: the OI owes it). Each trade is rounded once, and the statement totals and the net
auction revenue are sums of those rounded amounts, so what the statements bill is exactly what
:func:`net_auction_revenue_cents` reports and what :mod:`auction.revenue_allocation` hands out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from auction.ledger import FtrKey
from market_terms.money import to_cents
from market_terms.mw import TENTHS_PER_MW


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


@dataclass(frozen=True, slots=True)
class ClearedTrade:
    """One award (``BUY``) or one sale from an offer (``SELL``) after clearing.

    ``reference`` names the bid or offer it came from; ``price_per_mw`` is the clearing price
    of the path and class ($/MW for the period, OA 7.3.6(c)); ``mw_tenths`` > 0.
    """

    auction_id: str
    participant: str
    side: Side
    key: FtrKey
    mw_tenths: int
    price_per_mw: Decimal
    reference: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "side", Side(self.side))
        if not isinstance(self.mw_tenths, int) or self.mw_tenths <= 0:
            raise ValueError(f"trade {self.reference!r}: mw_tenths must be a positive int")
        if not isinstance(self.price_per_mw, Decimal) or not self.price_per_mw.is_finite():
            raise ValueError(f"trade {self.reference!r}: price_per_mw must be a finite Decimal")
        if not self.participant:
            raise ValueError(f"trade {self.reference!r}: participant is empty")


@dataclass(frozen=True, slots=True)
class StatementLine:
    """A trade and its settlement: ``charge_cents`` > 0 is owed by the participant."""

    trade: ClearedTrade
    amount_cents: int
    charge_cents: int


@dataclass(frozen=True, slots=True)
class AuctionStatement:
    """One participant's settlement for one auction (OA 7.3.8)."""

    auction_id: str
    participant: str
    lines: tuple[StatementLine, ...]
    purchases_cents: int
    sales_cents: int
    net_charge_cents: int


def trade_amount_cents(trade: ClearedTrade) -> int:
    """``round_to_cent(price_per_mw x MW)``, sign of the price kept."""
    return to_cents(trade.price_per_mw * trade.mw_tenths / TENTHS_PER_MW)


def auction_statements(trades: Iterable[ClearedTrade]) -> tuple[AuctionStatement, ...]:
    """Per participant and auction, its trades and what it pays (OA 7.3.8), sorted by both ids."""
    grouped: dict[tuple[str, str], list[StatementLine]] = {}
    for trade in trades:
        amount = trade_amount_cents(trade)
        charge = amount if trade.side is Side.BUY else -amount
        grouped.setdefault((trade.auction_id, trade.participant), []).append(
            StatementLine(trade, amount, charge)
        )
    statements = []
    for (auction_id, participant), lines in sorted(grouped.items()):
        purchases = sum(ln.amount_cents for ln in lines if ln.trade.side is Side.BUY)
        sales = sum(ln.amount_cents for ln in lines if ln.trade.side is Side.SELL)
        statements.append(
            AuctionStatement(auction_id, participant, tuple(lines), purchases, sales, purchases - sales)
        )
    return tuple(statements)


def net_auction_revenue_cents(trades: Iterable[ClearedTrade]) -> int:
    """Auction revenue net of payments to sellers (OA 7.3.9): sum of every participant's net charge."""
    return sum(s.net_charge_cents for s in auction_statements(trades))
