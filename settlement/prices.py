"""Hourly prices per pricing point, node-major, for one settlement month.

``values[n, h]`` is the day-ahead (or real-time) price of pricing point ``nodes[n]`` in hour
``hours[h]``, $/MWh. Where prices come with components the *congestion component* is used for target
allocations (OA 5.2.4 with marginal losses; in the seeds' lossless market the full LMP difference is
the same); the choice is made per input table, never per row, so spreads never mix the two.

Aggregate pricing points (hubs, zones, a Network Service User's load buses with its shares of annual
peak load, OA 5.2.3) are priced as ``sum_b weight_b x price_b`` with weights summing to 1, so that
``mw x (price[aggregate] - price[gen]) = mw x sum_b share_b x (price_b - price[gen])``: exactly the
OA 5.2.3 sum over load buses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from market_terms.arrays import FloatArray, IntArray
from network.model import PricingPoint
from settlement.errors import SettlementInputError
from settlement.hour_index import hour_codes

WEIGHT_SUM_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True, eq=False)
class HourlyPrices:
    """Prices ($/MWh) of ``nodes`` (rows) over ``hours`` (columns, UTC hour-ending instants)."""

    hours: pd.DatetimeIndex
    nodes: tuple[str, ...]
    values: FloatArray

    def __post_init__(self) -> None:
        if self.values.shape != (len(self.nodes), len(self.hours)):
            raise ValueError(
                f"price matrix shape {self.values.shape} != "
                f"(nodes {len(self.nodes)}, hours {len(self.hours)})"
            )
        if len(set(self.nodes)) != len(self.nodes):
            raise ValueError("price nodes repeat")

    def node_index(
        self,
        ids: Sequence[str] | NDArray[np.object_],
        source: str,
        column: str,
        rows: NDArray[np.int64] | None = None,
    ) -> IntArray:
        """Row of each id in ``values``; an id without prices is an error naming it, ``source`` and
        ``rows[i]`` (the input row of entry ``i``; ``i + 1`` if not given)."""
        lookup = pd.Index(self.nodes)
        index = lookup.get_indexer(pd.Index(np.asarray(ids, dtype=object)))
        missing = np.flatnonzero(index < 0)
        if len(missing):
            first = int(missing[0])
            row = first + 1 if rows is None else int(rows[first])
            raise SettlementInputError(
                source, f"pricing point {ids[first]!r} has no prices", row=row, column=column
            )
        return index.astype(np.int64)


def prices_from_matrix(hours: pd.DatetimeIndex, nodes: Sequence[str], values: FloatArray) -> HourlyPrices:
    """Wrap a node-major price matrix (copied, read-only); non-finite prices are an error."""
    matrix = np.array(values, dtype=np.float64, copy=True)
    bad = np.argwhere(~np.isfinite(matrix))
    if len(bad):
        n, h = bad[0]
        raise SettlementInputError("prices", f"price of {nodes[n]!r} at {hours[h].isoformat()} is not finite")
    matrix.setflags(write=False)
    return HourlyPrices(hours=hours, nodes=tuple(nodes), values=matrix)


def prices_from_long(
    hour_ending: pd.Series,
    node: pd.Series,
    price: pd.Series,
    hours: pd.DatetimeIndex,
    *,
    source: str = "prices",
    price_column: str = "price",
) -> HourlyPrices:
    """Build prices from long rows ``(hour_ending, node, price)``; every node needs every hour exactly once.

    ``hour_ending`` must be timezone-aware timestamps. Errors name ``source``, the 1-based data row and
    the column: an hour outside the month, a repeated (node, hour), a missing (node, hour), a bad price.
    """
    stamps = pd.DatetimeIndex(hour_ending)
    hour_code = hour_codes(hour_ending, hours, source=source)
    values = pd.to_numeric(price, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        r = int(bad[0])
        raise SettlementInputError(
            source, f"price {price.iloc[r]!r} is not a finite number", row=r + 1, column=price_column
        )
    node_code, node_ids = pd.factorize(np.asarray(node, dtype=object))
    n_nodes, n_hours = len(node_ids), len(hours)
    flat = node_code.astype(np.int64) * n_hours + hour_code
    counts = np.bincount(flat, minlength=n_nodes * n_hours)
    if (counts > 1).any():
        seen = pd.Series(flat).duplicated()
        r = int(np.flatnonzero(seen.to_numpy())[0])
        raise SettlementInputError(
            source,
            f"node {node_ids[node_code[r]]!r} at {stamps[r].isoformat()} is given more than once",
            row=r + 1,
            column="hour_ending",
        )
    if (counts == 0).any():
        gap = int(np.flatnonzero(counts == 0)[0])
        raise SettlementInputError(
            source,
            f"node {node_ids[gap // n_hours]!r} has no price for hour ending "
            f"{hours[gap % n_hours].isoformat()}",
        )
    flat_values = np.empty(n_nodes * n_hours, dtype=np.float64)
    flat_values[flat] = values
    matrix = flat_values.reshape(n_nodes, n_hours)
    matrix.setflags(write=False)
    return HourlyPrices(hours=hours, nodes=tuple(str(x) for x in node_ids), values=matrix)


def with_aggregates(prices: HourlyPrices, points: Sequence[PricingPoint]) -> HourlyPrices:
    """Append aggregate pricing points priced ``sum_b weight_b x price_b`` (OA 5.2.3 load-bus shares).

    Weights must be >= 0 and sum to 1 (within 1e-9); an aggregate may not reuse a node's id.
    """
    if not points:
        return prices
    lookup = pd.Index(prices.nodes)
    rows: list[int] = []
    cols: list[int] = []
    data: list[float] = []
    for a, point in enumerate(points):
        if point.id in lookup or point.id in {p.id for p in points[:a]}:
            raise SettlementInputError("pricing points", f"aggregate {point.id!r} reuses an existing id")
        weights = np.asarray(point.weights, dtype=np.float64)
        if len(weights) != len(point.bus_ids) or (weights < 0).any():
            raise SettlementInputError(
                "pricing points", f"aggregate {point.id!r}: weights must be >= 0, one per bus"
            )
        if abs(weights.sum() - 1.0) > WEIGHT_SUM_TOLERANCE:
            raise SettlementInputError(
                "pricing points", f"aggregate {point.id!r}: weights sum to {float(weights.sum())!r}, not 1"
            )
        index = lookup.get_indexer(pd.Index(point.bus_ids))
        if (index < 0).any():
            missing = point.bus_ids[int(np.flatnonzero(index < 0)[0])]
            raise SettlementInputError(
                "pricing points", f"aggregate {point.id!r}: bus {missing!r} has no prices"
            )
        rows.extend([a] * len(index))
        cols.extend(int(i) for i in index)
        data.extend(float(w) for w in weights)
    weight_matrix = sp.csr_matrix((data, (rows, cols)), shape=(len(points), len(prices.nodes)))
    aggregated = np.asarray(weight_matrix @ prices.values, dtype=np.float64)
    values = np.vstack([prices.values, aggregated])
    values.setflags(write=False)
    return HourlyPrices(hours=prices.hours, nodes=prices.nodes + tuple(p.id for p in points), values=values)
