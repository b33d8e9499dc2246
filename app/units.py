"""Conversions between stored integers and wire decimals.

Stored: money in integer cents, prices in integer cents per MW, MW in integer tenths
(OA 7.3.5(d): bids are to the nearest 0.1 MW). Wire: :class:`~decimal.Decimal`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")
TENTH = Decimal("0.1")


def to_cents(dollars: Decimal) -> int:
    """Dollars (at most 2 decimals, validated upstream) to integer cents."""
    return int((dollars / CENT).to_integral_value(rounding=ROUND_HALF_EVEN))


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) * CENT).quantize(CENT)


def to_tenths(mw: Decimal) -> int:
    """MW (a multiple of 0.1, validated upstream) to integer tenths of a MW."""
    return int((mw / TENTH).to_integral_value(rounding=ROUND_HALF_EVEN))


def from_tenths(tenths: int) -> Decimal:
    return (Decimal(tenths) * TENTH).quantize(TENTH)
