"""Exact economic dispatch without network limits (the "lambda" of a copper-plate market).

With only the energy balance, the OPF's optimality conditions are ``C_g'(p_g) = lambda`` for
every unit strictly inside its range, so each unit's output is a function of ``lambda``::

    c2 > 0:  p_g(lambda) = clip((lambda - c1) / (2 c2), pmin, pmax)
    c2 = 0:  p_g(lambda) = pmin below c1, pmax above c1, anything in between at c1

and the total ``P(lambda)`` is non-decreasing and piecewise linear. ``lambda`` is found exactly
(no iteration tolerance) by locating ``D`` between the breakpoints and interpolating on the
linear piece; linear units priced exactly at ``lambda`` share what is left in proportion to
their range. Most hours of a month are uncongested: if these flows violate no limit, this is the
OPF's solution (see :func:`simulation.dcopf.solve_dcopf`) and the QP solver is not needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from market_terms import FloatArray
from simulation.offers import OfferStack


@dataclass(frozen=True)
class Dispatch:
    """The balancing price ``lambda`` ($/MWh) and each unit's output (MW)."""

    price: float
    output_mw: FloatArray


def economic_dispatch(offers: OfferStack, demand_mw: float) -> Dispatch | None:
    """Least-cost dispatch meeting ``demand_mw``; ``None`` when outside ``[sum pmin, sum pmax]``."""
    lo, hi, c1, c2 = offers.pmin_mw, offers.pmax_mw, offers.c1, offers.c2
    if offers.n == 0 or not float(lo.sum()) <= demand_mw <= float(hi.sum()):
        return None
    quad = c2 > 0.0
    breaks = np.unique(
        np.concatenate(
            [c1[~quad], c1[quad] + 2.0 * c2[quad] * lo[quad], c1[quad] + 2.0 * c2[quad] * hi[quad]]
        )
    )

    def quad_output(price: FloatArray) -> FloatArray:
        # (n_prices, n_quad) outputs of the quadratic units
        q = (price[:, None] - c1[quad][None, :]) / (2.0 * c2[quad][None, :])
        return np.clip(q, lo[quad][None, :], hi[quad][None, :])

    lin_lo, lin_hi, lin_c1 = lo[~quad], hi[~quad], c1[~quad]
    base = quad_output(breaks).sum(axis=1)
    below = (lin_c1[None, :] < breaks[:, None]) * lin_hi + (lin_c1[None, :] >= breaks[:, None]) * lin_lo
    above = (lin_c1[None, :] <= breaks[:, None]) * lin_hi + (lin_c1[None, :] > breaks[:, None]) * lin_lo
    left = base + below.sum(axis=1)  # P just below each breakpoint
    right = base + above.sum(axis=1)  # P just above it
    at = np.flatnonzero((left <= demand_mw) & (demand_mw <= right))
    if at.size:
        price = float(breaks[at[0]])
    else:
        k = int(np.searchsorted(right, demand_mw)) - 1  # right[k] < D < left[k + 1]
        a, b = breaks[k], breaks[k + 1]
        slope = (left[k + 1] - right[k]) / (b - a)
        price = float(a + (demand_mw - right[k]) / slope)
    out = np.zeros(offers.n)
    out[quad] = quad_output(np.array([price]))[0]
    lin = np.flatnonzero(~quad)
    out[lin] = np.where(lin_c1 < price, lin_hi, lin_lo)
    marginal = lin[lin_c1 == price]
    if marginal.size:
        rest = demand_mw - float(out.sum())
        room = hi[marginal] - lo[marginal]
        share = room / room.sum() if room.sum() > 0.0 else np.full(marginal.size, 1.0 / marginal.size)
        out[marginal] = lo[marginal] + rest * share
    return Dispatch(price=price, output_mw=out)
