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
from network.model import Network
from settlement.charges import per_hour_column, rt_congestion_by_hour
from settlement.errors import SettlementInputError
from settlement.forfeiture import DistributionFactors, VirtualBids, virtual_bids
from settlement.positions import Acquisition, Hedge, HoldingRecord, Positions, positions_from_holdings
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


def holding_positions(frame: pd.DataFrame, hours: pd.DatetimeIndex) -> Positions:
    """The holdings snapshot as engine positions (MW constant over the month for each holding)."""
    records = [
        HoldingRecord(
            holding_id=str(row["holding_id"]),
            holder=str(row["participant_id"]),
            source=str(row["source"]),
            sink=str(row["sink"]),
            period_class=PeriodClass(str(row["period_class"])),
            hedge=Hedge(str(row["hedge"])),
            acquisition=Acquisition(str(row["acquisition"])),
            auction_price_per_mw=float(row["auction_price_per_mw"]) if row["auction_price_per_mw"] else None,
        )
        for row in frame.to_dict("records")
    ]
    mw = pd.to_numeric(frame["mw"]).to_numpy(dtype=np.float64)
    matrix = np.broadcast_to(mw, (len(hours), len(records)))
    return positions_from_holdings(records, matrix, hours)


def as_table(rows: Mapping[str, list[str]]) -> pd.DataFrame:
    return pd.DataFrame(dict(rows), dtype=object)
