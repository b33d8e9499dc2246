"""Forfeiture of auction FTR credits for virtual bids at or near the FTR's points (OA 5.2.1(b),(c)).

An auction-acquired position ``p`` (source ``s``, sink ``t``) *forfeits* in hour ``h`` when both:

1. its holder had an accepted increment or decrement bid (``mw > 0``) in ``h`` at a pricing point ``b``
   that is **at or near** ``s`` or ``t`` (below); and
2. the day-ahead spread exceeded the real-time spread:
   ``DA[t, h] - DA[s, h] > RT[t, h] - RT[s, h]`` (OA 5.2.1(b)(ii); the rule's "result of the
   acceptance" cannot be observed separately, so the test is the spread comparison itself).

Then the position's TA in ``h`` is capped: ``TA' = min(TA, cap)`` with
``cap = mw x auction_price_per_mw / hours_in_month`` ($; "one divided by the number of hours in the
applicable month multiplied by the amount paid", all hours of the month, not only the class's). The
forfeited amount ``TA - TA'`` stays in the hour's pool: credits are computed on ``TA'``, so it goes to
the other holders (pro rata hours) or to excess (covered hours). The credit of a capped position is
then at most ``cap`` (``r_h <= 1``).

**At or near (OA 5.2.1(c)), the distribution-factor test.** ``dfax[k, n]`` is the flow on constraint
``k`` per MW injected at point ``n`` and withdrawn at the reference bus (a PTDF row, supplied by the
network package for the month's day-ahead binding constraints; ``binding[h, k]`` says which bind in
hour ``h``). The FTR's path puts ``D_k = dfax[k, s] - dfax[k, t]`` on ``k``. Point ``b`` is at or near

- the source if a transfer from ``b`` to the sink ``t`` puts at least 75% of that on ``k``:
  ``(dfax[k, b] - dfax[k, t]) / D_k >= 0.75``;
- the sink if a transfer from the source ``s`` to ``b`` does: ``(dfax[k, s] - dfax[k, b]) / D_k >= 0.75``;

for some constraint ``k`` binding in ``h`` on which the path has an effect (``|D_k| > 1e-9``). That is
"75 percent or more of the energy injected or withdrawn at that bus and withdrawn or injected at [the
other end of the FTR] is reflected in the constrained path". ``b = s`` or ``b = t`` always qualifies
on such a constraint; with no binding constraint in the hour nothing forfeits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from market_terms.arrays import BoolArray, FloatArray, IntArray
from settlement.errors import SettlementInputError
from settlement.positions import Positions
from settlement.prices import HourlyPrices
from settlement.target_allocation import TargetAllocations

AT_OR_NEAR_SHARE = 0.75
"""OA 5.2.1(c): "seventy-five percent or more"."""
PATH_EFFECT_EPS = 1e-9
"""|D_k| below this: the path has no effect on constraint k."""


@dataclass(frozen=True, slots=True, eq=False)
class VirtualBids:
    """Accepted day-ahead increment/decrement bids: holder, pricing point, hour index, MW (> 0)."""

    holder: NDArray[np.object_]
    node: NDArray[np.object_]
    hour: IntArray
    mw: FloatArray


@dataclass(frozen=True, slots=True, eq=False)
class DistributionFactors:
    """``dfax[k, n]`` for ``constraints`` x ``nodes``; ``binding[h, k]`` for each hour of the month."""

    constraints: tuple[str, ...]
    nodes: tuple[str, ...]
    dfax: FloatArray
    binding: BoolArray

    def __post_init__(self) -> None:
        if self.dfax.shape != (len(self.constraints), len(self.nodes)):
            raise ValueError(f"dfax shape {self.dfax.shape} != ({len(self.constraints)}, {len(self.nodes)})")
        if self.binding.ndim != 2 or self.binding.shape[1] != len(self.constraints):
            raise ValueError(
                f"binding shape {self.binding.shape} does not match {len(self.constraints)} constraints"
            )


@dataclass(frozen=True, slots=True, eq=False)
class ForfeitureInputs:
    """What forfeiture needs beyond the day-ahead prices."""

    rt_prices: HourlyPrices
    virtual_bids: VirtualBids
    factors: DistributionFactors


@dataclass(frozen=True, slots=True, eq=False)
class Forfeiture:
    """Forfeiting (position, hour) pairs, sorted; ``cap`` and ``forfeited = max(TA - cap, 0)`` in $."""

    position: IntArray
    hour: IntArray
    cap: FloatArray
    forfeited: FloatArray

    @staticmethod
    def none() -> Forfeiture:
        empty_i = np.zeros(0, dtype=np.int64)
        empty_f = np.zeros(0, dtype=np.float64)
        return Forfeiture(position=empty_i, hour=empty_i, cap=empty_f, forfeited=empty_f)


def virtual_bids(
    holder: pd.Series, node: pd.Series, hour_ending: pd.Series, mw: pd.Series, hours: pd.DatetimeIndex
) -> VirtualBids:
    """Validate long rows of accepted virtual bids for the month (hour_ending timezone-aware, mw > 0)."""
    stamps = pd.DatetimeIndex(hour_ending)
    if stamps.tz is None:
        raise SettlementInputError(
            "virtual_bids", "hour_ending has no UTC offset", row=1, column="hour_ending"
        )
    code = hours.get_indexer(stamps.tz_convert("UTC"))
    outside = np.flatnonzero(code < 0)
    if len(outside):
        r = int(outside[0])
        raise SettlementInputError(
            "virtual_bids",
            f"{stamps[r].isoformat()} is not an hour of the month",
            row=r + 1,
            column="hour_ending",
        )
    amounts = pd.to_numeric(mw, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~(amounts > 0))
    if len(bad):
        r = int(bad[0])
        raise SettlementInputError(
            "virtual_bids", f"mw must be > 0, got {mw.iloc[r]!r}", row=r + 1, column="mw"
        )
    return VirtualBids(
        holder=np.asarray(holder, dtype=object),
        node=np.asarray(node, dtype=object),
        hour=code.astype(np.int64),
        mw=amounts,
    )


def find_forfeitures(
    positions: Positions,
    targets: TargetAllocations,
    da_prices: HourlyPrices,
    inputs: ForfeitureInputs,
    hours_in_month: int,
) -> Forfeiture:
    """All forfeiting (position, hour) pairs with their caps (see the module docstring)."""
    bids = inputs.virtual_bids
    factors = inputs.factors
    if factors.binding.shape[0] != len(da_prices.hours):
        raise SettlementInputError("distribution factors", "binding mask does not have one row per hour")
    auction = np.flatnonzero(positions.is_auction)
    if len(auction) == 0 or len(bids.mw) == 0:
        return Forfeiture.none()
    bid_frame = pd.DataFrame({"holder": bids.holder, "node": bids.node, "hour": bids.hour})
    pos_frame = pd.DataFrame({"holder": positions.holder[auction], "position": auction})
    pairs = bid_frame.merge(pos_frame, on="holder", how="inner")
    if pairs.empty:
        return Forfeiture.none()
    pos = pairs["position"].to_numpy(dtype=np.int64)
    hour = pairs["hour"].to_numpy(dtype=np.int64)
    keep = targets.active[pos, hour]
    pos, hour, node = pos[keep], hour[keep], pairs["node"].to_numpy(dtype=object)[keep]
    rows = positions.row[pos]
    src_da = da_prices.node_index(positions.source[pos], "ftrs", "source", rows)
    snk_da = da_prices.node_index(positions.sink[pos], "ftrs", "sink", rows)
    src_rt = inputs.rt_prices.node_index(positions.source[pos], "rt prices", "source", rows)
    snk_rt = inputs.rt_prices.node_index(positions.sink[pos], "rt prices", "sink", rows)
    da_spread = da_prices.values[snk_da, hour] - da_prices.values[src_da, hour]
    rt_spread = inputs.rt_prices.values[snk_rt, hour] - inputs.rt_prices.values[src_rt, hour]
    keep = da_spread > rt_spread
    pos, hour, node = pos[keep], hour[keep], node[keep]
    near = _at_or_near(factors, positions.source[pos], positions.sink[pos], node, hour)
    pos, hour = pos[near], hour[near]
    if len(pos) == 0:
        return Forfeiture.none()
    flat = np.unique(pos * len(da_prices.hours) + hour)
    pos, hour = flat // len(da_prices.hours), flat % len(da_prices.hours)
    price = positions.auction_price_per_mw[pos]
    missing = np.flatnonzero(~np.isfinite(price))
    if len(missing):
        ftr = positions.ftr_id[pos[missing[0]]]
        raise SettlementInputError(
            "ftrs", f"auction FTR {ftr!r} forfeits but has no auction price", column="price"
        )
    cap = positions.mw[pos] * price / hours_in_month
    forfeited = np.maximum(targets.values[pos, hour] - cap, 0.0)
    return Forfeiture(position=pos, hour=hour, cap=cap, forfeited=forfeited)


def _at_or_near(
    factors: DistributionFactors,
    source: NDArray[np.object_],
    sink: NDArray[np.object_],
    node: NDArray[np.object_],
    hour: IntArray,
) -> BoolArray:
    lookup = pd.Index(factors.nodes)

    def column(ids: NDArray[np.object_], what: str) -> IntArray:
        index = lookup.get_indexer(pd.Index(ids))
        if (index < 0).any():
            raise SettlementInputError(
                "distribution factors",
                f"no distribution factors for {what} {ids[int(np.flatnonzero(index < 0)[0])]!r}",
            )
        return index.astype(np.int64)

    s, t, b = (
        column(source, "pricing point"),
        column(sink, "pricing point"),
        column(node, "virtual bid point"),
    )
    columns = factors.dfax.T  # nodes x constraints
    path = columns[s] - columns[t]
    effect = np.abs(path) > PATH_EFFECT_EPS
    safe = np.where(effect, path, 1.0)
    near_source = (columns[b] - columns[t]) / safe >= AT_OR_NEAR_SHARE
    near_sink = (columns[s] - columns[b]) / safe >= AT_OR_NEAR_SHARE
    qualifies = effect & (near_source | near_sink) & factors.binding[hour]
    return np.asarray(qualifies.any(axis=1), dtype=bool)


def apply_forfeiture(values: FloatArray, forfeiture: Forfeiture) -> FloatArray:
    """A copy of the TA matrix with each forfeiting entry reduced to ``min(TA, cap)``."""
    if len(forfeiture.position) == 0:
        return values
    capped = np.array(values, copy=True)
    capped[forfeiture.position, forfeiture.hour] -= forfeiture.forfeited
    capped.setflags(write=False)
    return capped
