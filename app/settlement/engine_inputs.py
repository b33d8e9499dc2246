"""Canonical input tables -> the settlement engine's inputs (``settlement`` package), nothing else.

Each builder calls the engine's own validating constructor, so the checks a run relies on (every
node priced every hour once, every 5-minute interval once, ...) are the engine's. Holders and
customers are named by participant id (as text) inside the engine.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from app.settlement.input_kinds import InputKind
from market_calendar import PeriodClass
from market_terms import Hedge
from network.model import Network
from settlement.charges import per_hour_column, rt_congestion_by_hour
from settlement.errors import SettlementInputError
from settlement.forfeiture import DistributionFactors, VirtualBids, virtual_bids
from settlement.positions import Acquisition, HoldingRecord, Positions, positions_from_holdings
from settlement.prices import HourlyPrices, prices_from_long


def _stamps(values: pd.Series) -> pd.Series:
    return pd.Series(pd.to_datetime(values, utc=True, format="ISO8601"))


def hourly_prices(frame: pd.DataFrame, hours: pd.DatetimeIndex, kind: InputKind) -> HourlyPrices:
    """OA 5.2.4: the congestion component when the table has one, else the full price."""
    column = "congestion" if "congestion" in frame.columns else "price"
    return prices_from_long(
        _stamps(frame["hour_ending"]),
        frame["node"],
        frame[column],
        hours,
        source=kind.value,
        price_column=column,
    )


def hour_column(frame: pd.DataFrame, hours: pd.DatetimeIndex, kind: InputKind, column: str) -> np.ndarray:
    return per_hour_column(
        _stamps(frame["hour_ending"]), frame[column], hours, source=kind.value, column=column
    )


def rt_hourly(frame: pd.DataFrame, hours: pd.DatetimeIndex) -> np.ndarray:
    """Order 825: 5-minute amounts summed to the hour (missing or repeated intervals are errors)."""
    return rt_congestion_by_hour(
        _stamps(frame["interval_ending"]), frame["rt_congestion"], hours, source=InputKind.RT_CONGESTION.value
    )


def accepted_virtual_bids(frame: pd.DataFrame, hours: pd.DatetimeIndex) -> VirtualBids:
    return virtual_bids(
        frame["participant_id"], frame["node"], _stamps(frame["hour_ending"]), frame["mw"], hours
    )


def binding_mask(frame: pd.DataFrame, hours: pd.DatetimeIndex) -> tuple[list[tuple[str, str]], np.ndarray]:
    """Distinct (constraint, contingency) pairs and ``binding[h, k]`` over the month's hours."""
    contingency = (
        frame["contingency_id"] if "contingency_id" in frame.columns else pd.Series([""] * len(frame))
    )
    keys = list(zip(frame["constraint_id"].tolist(), contingency.tolist(), strict=True))
    pairs = sorted(set(keys))
    index = {p: k for k, p in enumerate(pairs)}
    hour = hours.get_indexer(pd.DatetimeIndex(_stamps(frame["hour_ending"])))
    mask = np.zeros((len(hours), len(pairs)), dtype=bool)
    mask[hour, [index[k] for k in keys]] = True
    return pairs, mask


def distribution_factors(frame: pd.DataFrame, hours: pd.DatetimeIndex, net: Network) -> DistributionFactors:
    """OA 5.2.1(c): PTDF rows of the month's binding constraints (after their contingency, if named)
    for every pricing point and bus of ``net``, from the network package."""
    from network.constraints import monitored_constraints
    from network.flows import FlowEvaluator
    from network.sensitivity import build_sensitivity_model

    pairs, mask = binding_mask(frame, hours)
    model = build_sensitivity_model(net)
    monitored = monitored_constraints(net)
    evaluator = FlowEvaluator.build(model, monitored, net.contingencies)
    contingencies = {c: j for j, c in enumerate(evaluator.contingency_ids)}
    rows: list[tuple[int, int | None]] = []
    for constraint, contingency in pairs:
        row = _first_row(frame, constraint, contingency)
        if constraint not in monitored.ids:
            raise SettlementInputError(
                InputKind.BINDING_CONSTRAINTS.value,
                f"{constraint!r} is not a monitored constraint of network {net.name!r}",
                row=row,
                column="constraint_id",
            )
        if contingency and contingency not in contingencies:
            raise SettlementInputError(
                InputKind.BINDING_CONSTRAINTS.value,
                f"{contingency!r} is not a contingency of network {net.name!r}",
                row=row,
                column="contingency_id",
            )
        rows.append((monitored.index(constraint), contingencies[contingency] if contingency else None))
    nodes = tuple(dict.fromkeys([*net.bus_ids, *(p.id for p in net.pricing_points)]))
    dfax = evaluator.constraint_sensitivities(rows, model.injection_matrix(nodes))
    names = tuple(f"{c}|{g}" if g else c for c, g in pairs)
    return DistributionFactors(constraints=names, nodes=nodes, dfax=np.asarray(dfax), binding=mask)


def _first_row(frame: pd.DataFrame, constraint: str, contingency: str) -> int:
    match = frame["constraint_id"] == constraint
    if "contingency_id" in frame.columns:
        match &= frame["contingency_id"] == contingency
    return int(np.flatnonzero(match.to_numpy())[0]) + 1


def year_end_charges(frame: pd.DataFrame) -> dict[str, float]:
    """OA 5.2.6(c): network demand + firm PTP reserved-capacity charges per customer, $ (summed over rows)."""
    total = pd.to_numeric(frame["network_demand_charges"]) + pd.to_numeric(frame["reserved_capacity_charges"])
    summed = total.groupby(frame["participant_id"]).sum()
    return {str(k): float(v) for k, v in summed.items()}


HOLDING_FIELDS = (
    "participant_id",
    "source",
    "sink",
    "period_class",
    "hedge",
    "acquisition",
    "auction_price_per_mw",
)
"""What every run of one ``holding_id`` must agree on."""


def holding_positions(frame: pd.DataFrame, hours: pd.DatetimeIndex) -> Positions:
    """The holdings snapshot as engine positions: ``mw_by_hour[h, j]`` from the runs of each holding.

    A row holds ``mw`` of holding ``holding_id`` in every hour from ``first_hour_ending`` to
    ``last_hour_ending`` (both included; the whole month when the snapshot has no such columns).
    The rows of one holding must describe the same FTR and never overlap (errors name the row).
    :func:`settlement.positions.positions_from_holdings` cuts each holding's hours into runs of
    constant MW, so a holding transferred mid-month earns for its buyer from the transfer's hour on.
    """
    source = InputKind.HOLDINGS.value
    ids = frame["holding_id"].astype(str).tolist()
    first_row: dict[str, int] = {}
    for r, holding_id in enumerate(ids):
        first_row.setdefault(holding_id, r)
    order = list(first_row)
    column_of = {holding_id: j for j, holding_id in enumerate(order)}
    firsts = np.array([first_row[h] for h in ids], dtype=np.int64)
    for name in HOLDING_FIELDS:
        if name not in frame.columns:
            continue
        values = frame[name].astype(str).to_numpy()
        differ = np.flatnonzero(values != values[firsts])
        if len(differ):
            r = int(differ[0])
            raise SettlementInputError(
                source,
                f"holding {ids[r]!r}: {name} {values[r]!r} differs from row {firsts[r] + 1}",
                row=r + 1,
                column=name,
            )
    starts = _hour_positions(frame, "first_hour_ending", hours, default=0)
    stops = _hour_positions(frame, "last_hour_ending", hours, default=len(hours) - 1) + 1
    mw = pd.to_numeric(frame["mw"]).to_numpy(dtype=np.float64)
    columns = np.array([column_of[h] for h in ids], dtype=np.int64)
    empty = np.flatnonzero(stops <= starts)
    if len(empty):
        r = int(empty[0])
        raise SettlementInputError(
            source, f"holding {ids[r]!r}: last hour before first hour", row=r + 1, column="last_hour_ending"
        )
    matrix = np.zeros((len(hours), len(order)), dtype=np.float64)
    # A holding of one row (almost all) is one slice of its column, set by column for each distinct
    # (first, last) hour; only holdings of several rows are set row by row, checking for overlaps.
    alone = np.bincount(columns, minlength=len(order))[columns] == 1
    single = np.flatnonzero(alone)
    if len(single):
        pairs, which = np.unique(
            np.stack([starts[single], stops[single]], axis=1), axis=0, return_inverse=True
        )
        by_pair = np.argsort(which.reshape(-1), kind="stable")
        bounds = np.cumsum(np.bincount(which.reshape(-1), minlength=len(pairs)))
        for k, (begin, end) in enumerate(pairs.tolist()):
            taken = single[by_pair[(bounds[k - 1] if k else 0) : bounds[k]]]
            matrix[begin:end, columns[taken]] = mw[taken]
    for r in np.flatnonzero(~alone).tolist():
        holding_id = ids[r]
        j, begin, end = column_of[holding_id], int(starts[r]), int(stops[r])
        if np.any(matrix[begin:end, j]):
            raise SettlementInputError(
                source,
                f"holding {holding_id!r}: hours overlap another row of the holding",
                row=r + 1,
                column="first_hour_ending",
            )
        matrix[begin:end, j] = mw[r]
    first = frame.iloc[[first_row[h] for h in order]]
    prices = (
        first["auction_price_per_mw"].astype(str).tolist()
        if "auction_price_per_mw" in frame.columns
        else [""] * len(order)
    )
    records = [
        HoldingRecord(
            holding_id=holding_id,
            holder=str(holder),
            source=str(src),
            sink=str(snk),
            period_class=PeriodClass(str(period_class)),
            hedge=Hedge(str(hedge)),
            acquisition=Acquisition(str(acquisition)),
            auction_price_per_mw=float(price) if price else None,
        )
        for holding_id, holder, src, snk, period_class, hedge, acquisition, price in zip(
            order,
            first["participant_id"].tolist(),
            first["source"].tolist(),
            first["sink"].tolist(),
            first["period_class"].tolist(),
            first["hedge"].tolist(),
            first["acquisition"].tolist(),
            prices,
            strict=True,
        )
    ]
    return positions_from_holdings(records, matrix, hours)


def _hour_positions(frame: pd.DataFrame, column: str, hours: pd.DatetimeIndex, *, default: int) -> np.ndarray:
    """Index in ``hours`` of each row's ``column`` (``default`` where the column is absent)."""
    if column not in frame.columns:
        return np.full(len(frame), default, dtype=np.int64)
    at = hours.get_indexer(pd.DatetimeIndex(_stamps(frame[column])))
    missing = np.flatnonzero(at < 0)
    if len(missing):
        r = int(missing[0])
        raise SettlementInputError(
            InputKind.HOLDINGS.value,
            f"{frame[column].iat[r]!r} is not an hour ending of the month",
            row=r + 1,
            column=column,
        )
    return at.astype(np.int64)


def as_table(rows: Mapping[str, list[str]]) -> pd.DataFrame:
    return pd.DataFrame(dict(rows), dtype=object)
