"""Money: every amount the service bills, posts or stores becomes integer cents here, by one rule.

The rule: the amount's decimal value is rounded to the nearest cent, **ties to the even cent**
(``ROUND_HALF_EVEN``). A float is first read as a decimal to the nearest ``FLOAT_QUANTUM_DOLLARS``
(1e-7 $, a hundred-thousandth of a cent): far below a cent, far above the float64 noise of the products
and sums the settlement computes (``0.1 MW x 0.45 $/MW`` is the float ``0.045000000000000005``, read as
the tie ``0.045``), so an amount computed in floats rounds like the same amount computed exactly in
decimals (the auction statements' ``Decimal`` price x MW) for amounts up to about $10^8 a line.

Why half-even. The Operating Agreement fixes what is paid, not how a half cent is broken; what its
settlement does fix is that amounts are *summed and must balance*: congestion credits plus the excess
equal the charges collected, hour by hour and month by month (OA 5.2.6), every buyer and seller on a
path pays or is paid the same clearing price (OA 7.3.8), and the net auction revenue, the sum of the
statements' lines, is handed out to the revenue-requirement holders. A tie rule that always moves
away from zero (half-up) adds half a cent to every tied line, so the sum of rounded lines drifts
above the sum of the amounts it stands for; half-even breaks ties both ways, so totals of many lines
stay unbiased, and it is symmetric in sign (a buyer's charge and the seller's payment on one path
and MW round to the same absolute cents). It is also the rule the posted prices were already rounded
by (OA 7.3.7), so one trade's price and its amount follow the same rule.

An exact half-cent tie (0.1 MW at $0.25/MW = $0.025) is 2 cents, where ties away from zero would give 3.
A credit hold (:mod:`app.bids.credit`) rounds up on purpose: it is a limit, not an amount billed.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

import numpy as np
from numpy.typing import ArrayLike, NDArray

CENTS_PER_DOLLAR = 100
CENT = Decimal("0.01")
ROUNDING = ROUND_HALF_EVEN
"""The one tie rule for money (see the module docstring)."""

FLOAT_QUANTUM_DOLLARS = Decimal("1e-7")
"""$: a float amount is read as a decimal to this step before it is rounded to the cent."""


def _decimal(amount: Decimal | float | int | str) -> Decimal:
    if isinstance(amount, bool):
        raise TypeError(f"amount {amount!r} is a bool, not money")
    if isinstance(amount, float):
        if not math.isfinite(amount):
            raise ValueError(f"amount {amount!r} is not finite")
        value = Decimal(repr(amount))
        # beyond $10^15 a float has no digits left below the quantum (and quantize would overflow)
        return value if abs(amount) >= 1e15 else value.quantize(FLOAT_QUANTUM_DOLLARS, rounding=ROUNDING)
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise ValueError(f"amount {amount!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"amount {amount!r} is not finite")
    return value


def to_cents(amount: Decimal | float | int | str) -> int:
    """Dollars to integer cents, half-even on the decimal value: ``Decimal("1.005") -> 100``,
    ``1.015 -> 102``, ``0.1 * 0.45 -> 4``, ``-0.025 -> -2``."""
    return int((_decimal(amount) * CENTS_PER_DOLLAR).to_integral_value(rounding=ROUNDING))


_QUANTA_PER_DOLLAR = 10**7
"""``1 / FLOAT_QUANTUM_DOLLARS``: a float amount is first a whole number of these quanta."""
_QUANTA_PER_CENT = _QUANTA_PER_DOLLAR // CENTS_PER_DOLLAR
_VECTOR_LIMIT_DOLLARS = 1e8
"""Below this, ``dollars x 10^7`` is exact in the integers a float holds (< 2^53); larger amounts (rare)
are decided one by one by :func:`to_cents`."""


def array_to_cents(amounts: ArrayLike) -> NDArray[np.int64]:
    """Vectorised :func:`to_cents` for float dollars: the same cents, entry by entry, exactly.

    The scalar rule in two integer steps. (1) The amount as a whole number ``q`` of quanta (1e-7 $):
    the nearest integer of ``dollars x 10^7``; the float product is within a few units in the last place
    of the decimal value of ``repr(dollars)`` that :func:`to_cents` reads, so wherever it is not within that
    error of a half quantum the nearest integer is the same, and the few that are (or that are too large)
    go to :func:`to_cents`. (2) ``q`` quanta to cents half-even in integer arithmetic: ``q = 10^5 c + r``
    with ``0 <= r < 10^5``; up when ``r > 5 x 10^4``, and on the exact half cent ``r = 5 x 10^4`` to the
    even one of ``c, c + 1``. Exact half-cent ties (``0.1 MW x $0.25``) are therefore decided by
    integers, never by the float's last bits.
    """
    dollars = np.asarray(amounts, dtype=np.float64)
    if not np.all(np.isfinite(dollars)):
        raise ValueError("amounts are not all finite")
    flat = dollars.reshape(-1)
    scaled = flat * _QUANTA_PER_DOLLAR
    quanta = np.rint(scaled)
    # The float product is within half an ulp of the amount (x 10^7) plus its own rounding of the decimal
    # value x 10^7, both < |scaled| x 2^-52; a margin of 16 times that.
    distance = np.abs(scaled - quanta)
    distance -= 0.5
    np.abs(distance, out=distance)
    doubtful = distance <= np.abs(scaled) * 2.0**-48
    doubtful |= np.abs(flat) >= _VECTOR_LIMIT_DOLLARS
    q = np.where(doubtful, 0.0, quanta).astype(np.int64)
    whole = q // _QUANTA_PER_CENT
    rest = q - whole * _QUANTA_PER_CENT
    half = _QUANTA_PER_CENT // 2
    cents = whole + (rest > half) + ((rest == half) & (whole % 2 == 1))
    for i in np.flatnonzero(doubtful):
        cents[i] = to_cents(float(flat[i]))
    result: NDArray[np.int64] = cents.reshape(dollars.shape)
    return result


def round_to_cent(amount: float) -> float:
    """A float $ amount rounded to the cent by the same rule, for reports that keep dollars as floats
    (``+ 0.0`` turns -0.0 into 0.0)."""
    return to_cents(float(amount)) / CENTS_PER_DOLLAR + 0.0


def array_round_to_cent(amounts: ArrayLike) -> NDArray[np.float64]:
    """Vectorised :func:`round_to_cent`."""
    out: NDArray[np.float64] = array_to_cents(amounts) / CENTS_PER_DOLLAR + 0.0
    return out


def cents_to_dollars(cents: int) -> Decimal:
    """Integer cents back to dollars, exactly, with two places: ``12345 -> Decimal('123.45')``."""
    return (Decimal(cents) * CENT).quantize(CENT)


def posted_price(price: float, places: int = 2) -> Decimal:
    """A solver's float clearing price ($/MW) as the Decimal that is posted and billed.

    Rounded once, by the same rule, to ``places`` decimals ($0.01/MW by default): the price posted under
    OA 7.3.7 is the price every buyer and seller on the path pays or is paid (OA 7.3.8).
    """
    if not math.isfinite(price):
        raise ValueError(f"price {price!r} is not finite")
    return Decimal(repr(price)).quantize(Decimal(1).scaleb(-places), rounding=ROUNDING)
