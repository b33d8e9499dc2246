"""Load a month's stored input sets and turn them into the engine's :class:`settlement.revision.MonthInputs`.

Runs outside any transaction: :class:`MonthData` holds everything read from the database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
from sqlmodel import Session

from app.auctions.repository import AuctionRepository
from app.networks.tables import NetworkVersion
from app.settlement import engine_inputs as build
from app.settlement.detail_store import store_of
from app.settlement.input_kinds import FORFEITURE_KINDS, InputKind
from app.settlement.price_file import read_prices
from app.settlement.repository import SettlementRepository
from app.settlement.upload import decompress
from market_calendar import month_hour_index
from network.model import Network
from settlement.charges import hourly_charges
from settlement.forfeiture import ForfeitureInputs
from settlement.prices import HourlyPrices, with_aggregates
from settlement.revision import MonthInputs


@dataclass(frozen=True, slots=True)
class MonthData:
    """A month's input tables by kind (canonical text frames; hourly prices as matrices read from
    their files), their ids, and the month's network."""

    year: int
    month: int
    input_set_ids: Mapping[str, int]
    frames: Mapping[InputKind, pd.DataFrame]
    network_document: str | None
    prices: Mapping[InputKind, HourlyPrices] = field(default_factory=dict)


def month_network_document(session: Session, year: int, month: int) -> str | None:
    """The network the month's auction was cleared on (OA 5.2.1(c) distribution factors, aggregates)."""
    auction = AuctionRepository(session).by_month(year, month)
    if auction is None:
        return None
    version = session.get(NetworkVersion, auction.network_version_id)
    return version.document if version is not None else None


def load_month(session: Session, year: int, month: int, input_set_ids: Mapping[str, int]) -> MonthData:
    """The month's inputs; a price file is read by column and checked against its recorded sha256."""
    repo = SettlementRepository(session)
    hours = month_hour_index(year, month)
    frames: dict[InputKind, pd.DataFrame] = {}
    prices: dict[InputKind, HourlyPrices] = {}
    for stored in repo.input_sets(list(input_set_ids.values())):
        kind = InputKind(stored.kind)
        if stored.file_key is not None and stored.file_sha256 is not None:
            # OA 5.2.4: the congestion component when the table has one, else the full price.
            column = "congestion" if "congestion" in stored.columns.split(",") else "price"
            prices[kind] = read_prices(store_of(session), stored.file_key, stored.file_sha256, hours, column)
        else:
            frames[kind] = decompress(stored.content)
    network = month_network_document(session, year, month)
    return MonthData(year, month, dict(input_set_ids), frames, network, prices)


def _prices(data: MonthData, kind: InputKind, hours: pd.DatetimeIndex, net: Network | None) -> HourlyPrices:
    if kind in data.prices:
        return with_network_aggregates(data.prices[kind], net)
    return prices_with_aggregates(data.frames[kind], hours, kind, net)


def parse_network(document: str) -> Network:
    from network.json_format import load_network_json

    return load_network_json(json.loads(document))


def with_network_aggregates(prices: HourlyPrices, net: Network | None) -> HourlyPrices:
    """``prices`` plus the network's aggregate points (hubs, zones) not priced, priced from their buses."""
    if net is None:
        return prices
    priced = set(prices.nodes)
    aggregates = [
        p for p in net.pricing_points if p.id not in priced and p.bus_ids and set(p.bus_ids) <= priced
    ]
    return with_aggregates(prices, aggregates)


def prices_with_aggregates(
    frame: pd.DataFrame, hours: pd.DatetimeIndex, kind: InputKind, net: Network | None
) -> HourlyPrices:
    """The table's prices, plus the network's aggregate points (hubs, zones) priced from their buses."""
    return with_network_aggregates(build.hourly_prices(frame, hours, kind), net)


def month_inputs(data: MonthData) -> MonthInputs:
    """The engine's inputs; a bad table raises :class:`settlement.errors.SettlementInputError`."""
    hours = month_hour_index(data.year, data.month)
    frames = data.frames
    net = parse_network(data.network_document) if data.network_document else None
    prices = _prices(data, InputKind.DA_PRICES, hours, net)
    da = build.hour_column(frames[InputKind.DA_CONGESTION], hours, InputKind.DA_CONGESTION, "da_congestion")
    rt = (
        build.rt_hourly(frames[InputKind.RT_CONGESTION], hours) if InputKind.RT_CONGESTION in frames else None
    )
    loop = (
        build.hour_column(frames[InputKind.LOOP_FLOW], hours, InputKind.LOOP_FLOW, "loop_flow_compensation")
        if InputKind.LOOP_FLOW in frames
        else None
    )
    forfeiture = None
    if all(k in frames or k in data.prices for k in FORFEITURE_KINDS) and net is not None:
        forfeiture = ForfeitureInputs(
            rt_prices=_prices(data, InputKind.RT_PRICES, hours, net),
            virtual_bids=build.accepted_virtual_bids(frames[InputKind.VIRTUAL_BIDS], hours),
            factors=build.distribution_factors(frames[InputKind.BINDING_CONSTRAINTS], hours, net),
        )
    return MonthInputs(
        month=data.month,
        ftrs=build.holding_positions(frames[InputKind.HOLDINGS], hours),
        prices=prices,
        charges=hourly_charges(hours, da, rt, loop),
        forfeiture_inputs=forfeiture,
    )
