"""Exact units for the holdings ledger: MW in integer tenths, money in integer cents.

OA 7.3.5(d): bids and offers are specified "to the nearest tenth of a megawatt", so every MW
figure the ledger stores is an ``int`` count of 0.1 MW (``123`` means 12.3 MW). Money totals
are ``int`` cents; prices are :class:`~decimal.Decimal` dollars per MW for the period. No
binary float ever enters a quantity or an amount, so sums are exact and histories replay
to the same numbers on every machine.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation

TENTHS_PER_MW = 10
CENTS_PER_DOLLAR = 100


def mw_to_tenths(value: Decimal | str | int) -> int:
    """MW to integer tenths; refuses finer precision than 0.1 MW instead of rounding it away.

    ``Decimal("12.3") -> 123``; ``"12.34"`` is an error (OA 7.3.5(d)). Floats are refused:
    a float such as ``0.1`` is not exactly one tenth.
    """
    if isinstance(value, float | bool):
        raise TypeError(f"MW must be a Decimal, str or int, not {type(value).__name__} ({value!r})")
    try:
        mw = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"MW {value!r} is not a number") from None
    if not mw.is_finite():
        raise ValueError(f"MW {value!r} is not finite")
    tenths = mw * TENTHS_PER_MW
    if tenths != tenths.to_integral_value():
        raise ValueError(f"MW {value!r} is finer than 0.1 MW (OA 7.3.5(d))")
    return int(tenths)


def tenths_to_mw(tenths: int) -> Decimal:
    """Integer tenths back to MW, exactly: ``123 -> Decimal('12.3')``."""
    return Decimal(tenths) / TENTHS_PER_MW


def dollars_to_cents(amount: Decimal) -> int:
    """Round a dollar amount to whole cents, ties away from zero (``ROUND_HALF_UP``).

    Ties away from zero is symmetric in sign, so a buyer's charge and a seller's payment on
    the same path and MW round to the same absolute cents.
    """
    if not amount.is_finite():
        raise ValueError(f"amount {amount!r} is not finite")
    return int((amount * CENTS_PER_DOLLAR).to_integral_value(rounding=ROUND_HALF_UP))


def cents_to_dollars(cents: int) -> Decimal:
    """Integer cents back to dollars, exactly: ``12345 -> Decimal('123.45')``."""
    return Decimal(cents) / CENTS_PER_DOLLAR


def tenths_from_solver_mw(mw: float, what: str = "MW") -> int:
    """A solver's float MW (an award of the clearing LP) to integer tenths.

    Awards are in 0.1 MW steps (OA 7.3.5(d)); the float may carry rounding noise, tolerated up
    to 1e-6 tenths. Anything further from a step is an error naming the value, not a rounding.
    """
    if not math.isfinite(mw):
        raise ValueError(f"{what} {mw!r} is not finite")
    scaled = mw * TENTHS_PER_MW
    tenths = round(scaled)
    if abs(scaled - tenths) > 1e-6 * max(1.0, abs(scaled)):
        raise ValueError(f"{what} {mw!r} is not a multiple of 0.1 MW (OA 7.3.5(d))")
    return int(tenths)


def posted_price(price: float, places: int = 2) -> Decimal:
    """A solver's float clearing price ($/MW) as the Decimal that is posted and billed.

    Rounded once, half to even, to ``places`` decimals ($0.01/MW by default): the price posted
    under OA 7.3.7 is the price every buyer and seller on the path pays or is paid (OA 7.3.8).
    """
    if not math.isfinite(price):
        raise ValueError(f"price {price!r} is not finite")
    return Decimal(repr(price)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
