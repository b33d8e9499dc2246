"""Conversions between stored integers and wire decimals, by the rules of :mod:`market_terms`.

Stored: money in integer cents, prices in integer cents per MW, MW in integer tenths
(OA 7.3.5(d): bids are to the nearest 0.1 MW). Wire: :class:`~decimal.Decimal`. Wire values are
validated upstream to at most 2 (money) or 1 (MW) decimals, so the rounding rule
(:mod:`market_terms.money`: half to even) only decides values that validation let through.
"""

from __future__ import annotations

from decimal import Decimal

from market_terms.money import CENT, cents_to_dollars, to_cents
from market_terms.mw import TENTH, round_to_tenths

__all__ = ["CENT", "TENTH", "from_cents", "from_tenths", "to_cents", "to_tenths"]


def from_cents(cents: int) -> Decimal:
    """Integer cents to dollars with two places: ``12345 -> Decimal('123.45')``."""
    return cents_to_dollars(cents)


def to_tenths(mw: Decimal) -> int:
    """MW (a multiple of 0.1, validated upstream) to integer tenths of a MW."""
    return round_to_tenths(mw)


def from_tenths(tenths: int) -> Decimal:
    """Integer tenths to MW with one place: ``123 -> Decimal('12.3')``."""
    return (Decimal(tenths) * TENTH).quantize(TENTH)
