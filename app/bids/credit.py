"""The credit rule for bids and offers (OA 7.3.5(b),(c): bids and offers are subject to credit).

Each open order holds credit; a participant's orders together may hold at most its credit limit,
set by the OI. For one order of ``q`` MW at ``p`` $/MW (for the whole period of its class, which
has ``H`` hours) and the floor ``f`` $/MWh (``FTR_CREDIT_FLOOR_CENTS_PER_MWH``, default 0.10 $/MWh):

    buy bid:     credit = ( max(p, 0) + f * H ) * q
    sell offer:  credit = max(-p, 0) * q

Every term is non-negative and orders are summed, never netted: a counterflow bid (``p < 0``,
the buyer is paid to take a right whose credits may be negative) still holds ``f * H * q``.
A book of large prevailing-flow and counterflow bids therefore cannot net its requirement down
to nothing, which is how the 2018 GreenHat default (PJM, over $100M) was reached. An offer
sells a right the offeror holds (verified against its holdings); it holds credit only when its
reservation price is negative, i.e. when the offeror may have to pay to be relieved of it.

Amounts are integer cents, rounded up per order. An order holds credit until its auction's results
are posted (nothing of a clearing shows before posting, OA 7.3.7). From posting on, what it was
**awarded** holds credit by the same rule at the clearing price ``c`` on the cleared MW ``a``
(:func:`award_credit_cents`):

    bought award:  credit = ( max(c, 0) + f * H ) * a
    sold award:    credit = max(-c, 0) * a

until the month the award covers is settled (its first settlement run releases it; a monthly
auction's awards cover one month). The counterflow award (``c < 0``, the buyer is paid) still holds
``f * H * a``: a portfolio of opposite awards never nets itself to zero credit (GreenHat again).
The part of an order that did not clear holds nothing from posting on.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import numpy.typing as npt


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def order_credit_cents(
    *, side: Side, price_cents: int, mw_tenths: int, class_hours: int, floor_cents_per_mwh: int
) -> int:
    """Credit held by one order, in cents (rounded up). ``mw_tenths`` > 0, prices in cents per MW."""
    if mw_tenths <= 0:
        raise ValueError(f"MW must be > 0, got {mw_tenths} tenths")
    if class_hours < 0 or floor_cents_per_mwh < 0:
        raise ValueError("class hours and the credit floor must be non-negative")
    if side is Side.BUY:
        per_mw_cents = max(price_cents, 0) + floor_cents_per_mwh * class_hours
    else:
        per_mw_cents = max(-price_cents, 0)
    return _ceil_div(per_mw_cents * mw_tenths, 10)


def orders_credit_cents(
    *,
    sell: npt.NDArray[np.bool_],
    price_cents: npt.NDArray[np.int64],
    mw_tenths: npt.NDArray[np.int64],
    class_hours: npt.NDArray[np.int64],
    floor_cents_per_mwh: int,
) -> npt.NDArray[np.int64]:
    """:func:`order_credit_cents` of many orders at once (arrays of equal length; MW > 0)."""
    if floor_cents_per_mwh < 0 or (class_hours < 0).any():
        raise ValueError("class hours and the credit floor must be non-negative")
    if (mw_tenths <= 0).any():
        raise ValueError("MW must be > 0")
    per_mw_cents = np.where(
        sell, np.maximum(-price_cents, 0), np.maximum(price_cents, 0) + floor_cents_per_mwh * class_hours
    )
    return -((-per_mw_cents * mw_tenths) // 10)


def award_credit_cents(
    *, side: Side, clearing_price_cents: int, mw_tenths: int, class_hours: int, floor_cents_per_mwh: int
) -> int:
    """Credit held by one unsettled award, in cents (rounded up): the order rule at the clearing price."""
    return order_credit_cents(
        side=side,
        price_cents=clearing_price_cents,
        mw_tenths=mw_tenths,
        class_hours=class_hours,
        floor_cents_per_mwh=floor_cents_per_mwh,
    )
