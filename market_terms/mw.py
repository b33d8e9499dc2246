"""MW: every quantity the service stores is an integer count of tenths of a MW.

OA 7.3.5(d): bids and offers are specified "to the nearest tenth of a megawatt", so ``123`` means
12.3 MW. Input from people (the wire, files) must already be on a tenth (:func:`mw_to_tenths` refuses
finer precision rather than rounding it away); a solver's float award is snapped to its tenth with a
tolerance for float noise (:func:`tenths_from_solver_mw`); a float MW that is not an award (a demo book, a
statistic) is rounded to the nearest tenth, ties to even, like money (:func:`round_to_tenths`).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

TENTHS_PER_MW = 10
TENTH = Decimal("0.1")


def mw_to_tenths(value: Decimal | str | int) -> int:
    """MW to integer tenths; refuses finer precision than 0.1 MW instead of rounding it away.

    ``Decimal("12.3") -> 123``; ``"12.34"`` is an error (OA 7.3.5(d)). Floats are refused: a float such
    as ``0.1`` is not exactly one tenth.
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


def round_to_tenths(mw: Decimal | float) -> int:
    """MW to the nearest integer tenth, ties to even (a float read as its shortest decimal)."""
    value = Decimal(repr(mw)) if isinstance(mw, float) else Decimal(mw)
    if not value.is_finite():
        raise ValueError(f"MW {mw!r} is not finite")
    return int((value * TENTHS_PER_MW).to_integral_value(rounding=ROUND_HALF_EVEN))


def tenths_to_mw(tenths: int) -> Decimal:
    """Integer tenths back to MW, exactly: ``123 -> Decimal('12.3')``."""
    return Decimal(tenths) / TENTHS_PER_MW


def tenths_from_solver_mw(mw: float, what: str = "MW") -> int:
    """A solver's float MW (an award of the clearing LP) to integer tenths.

    Awards are in 0.1 MW steps (OA 7.3.5(d)); the float may carry rounding noise, tolerated up to 1e-6
    tenths. Anything further from a step is an error naming the value, not a rounding.
    """
    if not math.isfinite(mw):
        raise ValueError(f"{what} {mw!r} is not finite")
    scaled = mw * TENTHS_PER_MW
    tenths = round(scaled)
    if abs(scaled - tenths) > 1e-6 * max(1.0, abs(scaled)):
        raise ValueError(f"{what} {mw!r} is not a multiple of 0.1 MW (OA 7.3.5(d))")
    return int(tenths)
