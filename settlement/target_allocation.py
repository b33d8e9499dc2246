"""Target allocations per position per hour (OA 5.2.3, 5.2.4), vectorised over positions x hours.

For position ``p`` (FTR from ``source`` to ``sink``, ``mw`` MW) in hour ``h``::

    TA[p, h] = mw_p x (price[sink_p, h] - price[source_p, h])          $ (MW x $/MWh x 1 h)

when the position is held in ``h`` and ``h`` is of the FTR's class (OA 7.3.4), else 0. An option's
TA is ``max(TA, 0)`` (an option never owes money); an obligation's may be negative (counterflow,
OA 7.3.5(c)). Network Service User FTRs (OA 5.2.3) are the same formula with ``sink`` an aggregate
load pricing point (see :mod:`settlement.prices`). A holder's hourly TA is the sum over its positions
(OA 5.2.3, 5.2.4), taken in :mod:`settlement.holders`.

Arrays are position-major ``(n_positions, n_hours)`` so that gathering a node's prices is a contiguous
row copy; the work is done in blocks of positions to bound temporaries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from market_terms.arrays import BoolArray, FloatArray
from settlement.positions import Positions, partial_positions
from settlement.prices import HourlyPrices

BLOCK_POSITIONS = 4096
"""Positions per block: 4096 x 745 hours x 8 B = 24 MB of temporaries."""


@dataclass(frozen=True, slots=True, eq=False)
class TargetAllocations:
    """``values[p, h]``: $ target allocation (0 where not earning); ``active[p, h]``: held and in class."""

    values: FloatArray
    active: BoolArray


def active_hours(positions: Positions, on_peak_hours: BoolArray) -> BoolArray:
    """``active[p, h]``: position ``p`` is held in hour ``h`` and ``h`` is of its class."""
    active: BoolArray = positions.on_peak[:, None] == on_peak_hours[None, :]
    n_hours = len(on_peak_hours)
    for p in partial_positions(positions, n_hours):
        active[p, : positions.start[p]] = False
        active[p, positions.stop[p] :] = False
    return active


def target_allocations(
    positions: Positions, prices: HourlyPrices, on_peak_hours: BoolArray, *, source: str = "ftrs"
) -> TargetAllocations:
    """TA of every position in every hour of the month ($), see the module docstring.

    ``prices`` must cover every ``source`` and ``sink`` (an FTR naming an unpriced point is an error
    naming its row in ``source``) and be aligned with ``on_peak_hours``.
    """
    src = prices.node_index(positions.source, source, "source", positions.row)
    snk = prices.node_index(positions.sink, source, "sink", positions.row)
    active = active_hours(positions, on_peak_hours)
    n_positions, n_hours = len(positions), len(on_peak_hours)
    values = np.empty((n_positions, n_hours), dtype=np.float64)
    matrix = prices.values
    for lo in range(0, n_positions, BLOCK_POSITIONS):
        block = slice(lo, min(lo + BLOCK_POSITIONS, n_positions))
        out = values[block]
        np.subtract(matrix[snk[block]], matrix[src[block]], out=out)
        out *= positions.mw[block, None]
        options = np.flatnonzero(positions.is_option[block])
        if len(options):
            out[options] = np.maximum(out[options], 0.0)
        np.multiply(out, active[block], out=out)
    values += 0.0  # turn -0.0 from masking into 0.0
    values.setflags(write=False)
    active.setflags(write=False)
    return TargetAllocations(values=values, active=active)
