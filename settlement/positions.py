"""FTRs and who holds them in which hours: the columns every settlement step works on.

A *position* is one FTR held by one holder over a contiguous run of the month's hours. An FTR that is
never transferred is one position covering the whole month; an FTR transferred bilaterally mid-month
(OA 5.2.2(d)) becomes one position per holder, split at the transfer's first hour, because credits
are "calculated based upon the FTRs held at the time of the constrained hour" (OA 5.2.2(a)).
Positions are stored column-wise (numpy arrays, read-only) in input order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from market_calendar import PeriodClass
from market_terms.arrays import BoolArray, FloatArray, IntArray, StrArray
from market_terms.hedge import Hedge
from settlement.errors import SettlementInputError


class Acquisition(StrEnum):
    """How the FTR was obtained (OA 5.2.2); only auction FTRs are subject to forfeiture (OA 5.2.1(b))."""

    AUCTION = "auction"
    TRANSFER = "transfer"
    POINT_TO_POINT = "point_to_point"
    NETWORK_SERVICE = "network_service"


@dataclass(frozen=True, slots=True)
class FtrRecord:
    """One FTR for the month.

    ``mw`` > 0; the target allocation is ``mw x (price[sink] - price[source])`` (OA 5.2.4). For a Network
    Service User FTR (OA 5.2.3) ``source`` is the generator bus and ``sink`` the aggregate load pricing
    point whose bus weights are the user's shares of annual peak load (see :mod:`settlement.prices`).
    ``auction_price_per_mw`` is the clearing price paid, $/MW for the month, of an auction FTR (negative
    for a counterflow path whose buyer was paid); forfeiture needs it, nothing else does.
    """

    ftr_id: str
    holder: str
    source: str
    sink: str
    mw: float
    period_class: PeriodClass
    hedge: Hedge = Hedge.OBLIGATION
    acquisition: Acquisition = Acquisition.AUCTION
    auction_price_per_mw: float | None = None


@dataclass(frozen=True, slots=True)
class Transfer:
    """From the hour ending ``effective_from`` (inclusive) on, ``ftr_id``'s credits go to ``to_holder``."""

    ftr_id: str
    to_holder: str
    effective_from: datetime


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, slots=True, eq=False)
class Positions:
    """Columns of the month's positions; position ``p`` is held in hours ``start[p] <= h < stop[p]``.

    ``on_peak[p]`` is the FTR's class; it earns only in hours of that class (OA 7.3.4).
    """

    ftr_id: StrArray
    holder: StrArray
    source: StrArray
    sink: StrArray
    mw: FloatArray
    on_peak: BoolArray
    is_option: BoolArray
    is_auction: BoolArray
    auction_price_per_mw: FloatArray
    start: IntArray
    stop: IntArray
    row: IntArray
    """1-based row of the position's FTR in the input list (for error messages)."""

    def __len__(self) -> int:
        return len(self.mw)


def build_positions(
    ftrs: Sequence[FtrRecord],
    hours: pd.DatetimeIndex,
    transfers: Sequence[Transfer] = (),
    *,
    source_name: str = "ftrs",
) -> Positions:
    """Validate ``ftrs`` and split them at ``transfers`` into positions over the month's ``hours``.

    Errors name the FTR (by 1-based row and id) and the field. A transfer effective before the month
    moves the whole month; one effective after the month's last hour is an error (it belongs to a
    later month's FTR list).
    """
    seen: dict[str, int] = {}
    for row, ftr in enumerate(ftrs, start=1):
        _check_ftr(ftr, row, source_name)
        if ftr.ftr_id in seen:
            raise SettlementInputError(
                source_name,
                f"ftr_id {ftr.ftr_id!r} repeats row {seen[ftr.ftr_id]}",
                row=row,
                column="ftr_id",
            )
        seen[ftr.ftr_id] = row
    splits = _transfer_splits(transfers, seen, hours)

    cols: dict[str, list[object]] = {k: [] for k in Positions.__dataclass_fields__}
    n_hours = len(hours)
    for row, ftr in enumerate(ftrs, start=1):
        owners = [(0, ftr.holder), *splits.get(ftr.ftr_id, [])]
        for i, (begin, holder) in enumerate(owners):
            end = owners[i + 1][0] if i + 1 < len(owners) else n_hours
            if end <= begin:
                continue
            cols["ftr_id"].append(ftr.ftr_id)
            cols["holder"].append(holder)
            cols["source"].append(ftr.source)
            cols["sink"].append(ftr.sink)
            cols["mw"].append(float(ftr.mw))
            cols["on_peak"].append(ftr.period_class == PeriodClass.ON_PEAK)
            cols["is_option"].append(ftr.hedge == Hedge.OPTION)
            cols["is_auction"].append(ftr.acquisition == Acquisition.AUCTION)
            price = ftr.auction_price_per_mw
            cols["auction_price_per_mw"].append(np.nan if price is None else float(price))
            cols["start"].append(begin)
            cols["stop"].append(end)
            cols["row"].append(row)
    return Positions(
        ftr_id=_readonly(np.array(cols["ftr_id"], dtype=object)),
        holder=_readonly(np.array(cols["holder"], dtype=object)),
        source=_readonly(np.array(cols["source"], dtype=object)),
        sink=_readonly(np.array(cols["sink"], dtype=object)),
        mw=_readonly(np.array(cols["mw"], dtype=np.float64)),
        on_peak=_readonly(np.array(cols["on_peak"], dtype=bool)),
        is_option=_readonly(np.array(cols["is_option"], dtype=bool)),
        is_auction=_readonly(np.array(cols["is_auction"], dtype=bool)),
        auction_price_per_mw=_readonly(np.array(cols["auction_price_per_mw"], dtype=np.float64)),
        start=_readonly(np.array(cols["start"], dtype=np.int64)),
        stop=_readonly(np.array(cols["stop"], dtype=np.int64)),
        row=_readonly(np.array(cols["row"], dtype=np.int64)),
    )


@dataclass(frozen=True, slots=True)
class HoldingRecord:
    """A holding (one holder's interest in one FTR) whose MW may change hour by hour.

    Used with :func:`positions_from_holdings` when a holdings ledger supplies MW held per hour (partial
    transfers included); ``holding_id`` names it in statements (e.g. an FTR id, or holder + FTR key).
    """

    holding_id: str
    holder: str
    source: str
    sink: str
    period_class: PeriodClass
    hedge: Hedge = Hedge.OBLIGATION
    acquisition: Acquisition = Acquisition.AUCTION
    auction_price_per_mw: float | None = None


def positions_from_holdings(
    holdings: Sequence[HoldingRecord], mw_by_hour: NDArray[np.floating], hours: pd.DatetimeIndex
) -> Positions:
    """Positions from a holdings-by-hour matrix: ``mw_by_hour[h, j]`` MW of ``holdings[j]`` in hour ``h``.

    Each holding's hours are cut into runs of constant MW; every run with MW > 0 becomes a position
    (so a holding sold down from 10 to 4 MW at hour ``h`` is 10 MW before ``h`` and 4 MW from ``h`` on).
    The orientation ``(hours, holdings)`` is that of a holdings ledger's position matrix; pass MW, not
    tenths. Negative or non-finite MW is an error naming the holding and hour.
    """
    matrix = np.asarray(mw_by_hour, dtype=np.float64)
    if matrix.shape != (len(hours), len(holdings)):
        raise SettlementInputError(
            "holdings", f"MW matrix shape {matrix.shape} != (hours {len(hours)}, holdings {len(holdings)})"
        )
    bad = np.argwhere(~np.isfinite(matrix) | (matrix < 0))
    if len(bad):
        h, j = (int(x) for x in bad[0])
        raise SettlementInputError(
            "holdings",
            f"holding {holdings[j].holding_id!r} has MW {float(matrix[h, j])!r} at {hours[h].isoformat()} "
            "(must be >= 0)",
            row=j + 1,
        )
    for number, holding in enumerate(holdings, start=1):
        record = FtrRecord(
            holding.holding_id,
            holding.holder,
            holding.source,
            holding.sink,
            1.0,
            holding.period_class,
            holding.hedge,
            holding.acquisition,
            holding.auction_price_per_mw,
        )
        _check_ftr(record, number, "holdings")
    by_holding = matrix.T
    change = np.ones(by_holding.shape, dtype=bool)
    change[:, 1:] = by_holding[:, 1:] != by_holding[:, :-1]
    run, start = np.nonzero(change)
    stop = np.append(start[1:], len(hours))
    last_of_row = np.append(run[1:] != run[:-1], True)
    stop[last_of_row] = len(hours)
    mw = by_holding[run, start]
    keep = mw > 0
    run, start, stop, mw = run[keep], start[keep], stop[keep], mw[keep]

    def column(name: str, dtype: type) -> np.ndarray:
        values = np.array([getattr(h, name) for h in holdings], dtype=object)
        return (
            _readonly(np.asarray(values[run], dtype=dtype))
            if len(run)
            else _readonly(np.array([], dtype=dtype))
        )

    prices = np.array(
        [np.nan if h.auction_price_per_mw is None else float(h.auction_price_per_mw) for h in holdings]
    )
    classes = np.array([h.period_class == PeriodClass.ON_PEAK for h in holdings], dtype=bool)
    options = np.array([h.hedge == Hedge.OPTION for h in holdings], dtype=bool)
    auction = np.array([h.acquisition == Acquisition.AUCTION for h in holdings], dtype=bool)
    return Positions(
        ftr_id=column("holding_id", object),
        holder=column("holder", object),
        source=column("source", object),
        sink=column("sink", object),
        mw=_readonly(mw.astype(np.float64)),
        on_peak=_readonly(classes[run]),
        is_option=_readonly(options[run]),
        is_auction=_readonly(auction[run]),
        auction_price_per_mw=_readonly(prices[run]),
        start=_readonly(start.astype(np.int64)),
        stop=_readonly(stop.astype(np.int64)),
        row=_readonly((run + 1).astype(np.int64)),
    )


def partial_positions(positions: Positions, n_hours: int) -> IntArray:
    """Indices of positions not held for all ``n_hours`` hours of the month (mid-month transfers)."""
    return np.flatnonzero((positions.start > 0) | (positions.stop < n_hours)).astype(np.int64)


def _check_ftr(ftr: FtrRecord, row: int, source: str) -> None:
    for name in ("ftr_id", "holder", "source", "sink"):
        value = getattr(ftr, name)
        if not isinstance(value, str) or not value.strip():
            raise SettlementInputError(
                source, f"{name} must be a non-empty text, got {value!r}", row=row, column=name
            )
    if ftr.source == ftr.sink:
        raise SettlementInputError(
            source, f"FTR {ftr.ftr_id!r} has source = sink = {ftr.source!r}", row=row, column="sink"
        )
    if not np.isfinite(ftr.mw) or ftr.mw <= 0:
        raise SettlementInputError(
            source, f"FTR {ftr.ftr_id!r}: mw must be > 0, got {ftr.mw!r}", row=row, column="mw"
        )
    try:
        PeriodClass(ftr.period_class)
    except ValueError:
        raise SettlementInputError(
            source,
            f"FTR {ftr.ftr_id!r}: class must be on_peak or off_peak, got {ftr.period_class!r}",
            row=row,
            column="class",
        ) from None
    try:
        Hedge(ftr.hedge)
    except ValueError:
        raise SettlementInputError(
            source,
            f"FTR {ftr.ftr_id!r}: hedge must be obligation or option, got {ftr.hedge!r}",
            row=row,
            column="hedge",
        ) from None
    price = ftr.auction_price_per_mw
    if price is not None and not np.isfinite(price):
        raise SettlementInputError(
            source,
            f"FTR {ftr.ftr_id!r}: auction price must be finite, got {price!r}",
            row=row,
            column="auction_price_per_mw",
        )


def _transfer_splits(
    transfers: Sequence[Transfer], known: dict[str, int], hours: pd.DatetimeIndex
) -> dict[str, list[tuple[int, str]]]:
    splits: dict[str, list[tuple[int, str]]] = {}
    last_hour = hours[-1] if len(hours) else None
    for row, transfer in enumerate(transfers, start=1):
        if transfer.ftr_id not in known:
            raise SettlementInputError(
                "transfers", f"unknown ftr_id {transfer.ftr_id!r}", row=row, column="ftr_id"
            )
        when = transfer.effective_from
        if when.tzinfo is None:
            raise SettlementInputError(
                "transfers",
                f"effective_from {when.isoformat()} has no time zone",
                row=row,
                column="effective_from",
            )
        stamp = pd.Timestamp(when).tz_convert("UTC")
        if last_hour is not None and stamp > last_hour:
            raise SettlementInputError(
                "transfers",
                f"effective_from {when.isoformat()} is after the month",
                row=row,
                column="effective_from",
            )
        index = int(hours.searchsorted(stamp, side="left"))
        if index < len(hours) and hours[index] != stamp and index > 0:
            raise SettlementInputError(
                "transfers",
                f"effective_from {when.isoformat()} is not an hour-ending instant",
                row=row,
                column="effective_from",
            )
        entries = splits.setdefault(transfer.ftr_id, [])
        if any(existing == index for existing, _ in entries):
            raise SettlementInputError(
                "transfers", f"two transfers of {transfer.ftr_id!r} take effect in the same hour", row=row
            )
        entries.append((index, transfer.to_holder))
    for entries in splits.values():
        entries.sort()
    return splits
