"""The grid picture of a posted class: buses coloured by nodal price, binding branches highlighted.

Drawn on the server as SVG (template ``grid.html``; no script). A bus takes the price of the
pricing point that is that bus alone (every bus is a point of its own id; hubs and zones are
averages of buses and are not drawn); a bus with no such point is grey. Branches that bind in the
base case are drawn thick red, branches that bind after a contingency thick orange, and the
branches that the binding contingencies take out dashed. The legend's price bands (quantiles) double as
the text alternative's summary (count of buses per band); the page's tables of nodal prices and
binding constraints hold every figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from api_schemas.clearing import BindingConstraintPublic, NodalPricePublic
from network.model import Network, PointKind

WIDTH, HEIGHT, MARGIN = 960, 620, 18
PALETTE = ("#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b")
"""blue (low) to red (high); dark text stays readable on each (the legend shows the bands)"""
NO_PRICE = "#9e9e9e"


@dataclass(frozen=True, slots=True)
class Band:
    low: Decimal
    high: Decimal
    colour: str
    buses: int


@dataclass(frozen=True, slots=True)
class Bus:
    bus_id: str
    label: str
    x: float
    y: float
    price: Decimal | None
    colour: str


@dataclass(frozen=True, slots=True)
class Line:
    branch_id: str
    label: str
    x1: float
    y1: float
    x2: float
    y2: float
    kind: str
    """``plain``, ``binding`` (base case), ``binding-contingency``, or ``outage`` (out in a binding
    contingency)"""


@dataclass(frozen=True, slots=True)
class GridPicture:
    width: int
    height: int
    buses: list[Bus]
    lines: list[Line]
    bands: list[Band]
    unpriced: int
    binding: int


def _bands(prices: np.ndarray) -> np.ndarray:
    """Band edges at the quantiles of the distinct prices (each colour about as many price levels: a
    few extreme prices do not wash the rest into one colour); equal steps for a few levels."""
    low, high = float(prices.min()), float(prices.max())
    if high - low < 1e-9:
        return np.linspace(low, low + 1.0, len(PALETTE) + 1)
    distinct = np.unique(np.round(prices, 2))  # many buses share a price (uncongested areas)
    if len(distinct) <= len(PALETTE):
        return np.linspace(low, high, len(PALETTE) + 1)
    return np.asarray(np.quantile(distinct, np.linspace(0.0, 1.0, len(PALETTE) + 1)))


def grid_picture(
    network: Network,
    layout: np.ndarray,
    prices: Sequence[NodalPricePublic],
    binding: Sequence[BindingConstraintPublic],
) -> GridPicture:
    point_price = {p.point_id: p.price for p in prices}
    declared = {p.id: p for p in network.pricing_points}
    bus_price = {  # every bus is a pricing point of its own id, unless a declared point took the id
        b: point_price[b] for b in network.bus_ids if b in point_price and b not in declared
    }
    for point in network.pricing_points:
        if point.kind is PointKind.BUS and len(point.bus_ids) == 1 and point.id in point_price:
            bus_price[point.bus_ids[0]] = point_price[point.id]
    xs = MARGIN + layout[:, 0] * (WIDTH - 2 * MARGIN)
    ys = MARGIN + layout[:, 1] * (HEIGHT - 2 * MARGIN)
    values = np.array([float(v) for v in bus_price.values()]) if bus_price else np.array([0.0])
    edges = _bands(values)
    counts = [0] * len(PALETTE)
    buses: list[Bus] = []
    names = network.bus_names or network.bus_ids
    for i, bus_id in enumerate(network.bus_ids):
        price = bus_price.get(bus_id)
        if price is None:
            colour = NO_PRICE
        else:
            band = min(int(np.searchsorted(edges, float(price), side="right")) - 1, len(PALETTE) - 1)
            band = max(band, 0)
            counts[band] += 1
            colour = PALETTE[band]
        label = names[i] if names[i] and names[i] != bus_id else bus_id
        buses.append(Bus(bus_id, label, round(float(xs[i]), 1), round(float(ys[i]), 1), price, colour))
    base = {b.constraint_id for b in binding if b.contingency_id is None}
    after = {b.constraint_id for b in binding if b.contingency_id is not None}
    out = {branch for b in binding for branch in b.contingency_branches}
    lines: list[Line] = []
    branch_names = network.branch_names or network.branch_ids
    for k, branch_id in enumerate(network.branch_ids):
        a, b = int(network.branch_from[k]), int(network.branch_to[k])
        kind = (
            "binding"
            if branch_id in base
            else "binding-contingency"
            if branch_id in after
            else "outage"
            if branch_id in out
            else "plain"
        )
        name = branch_names[k] if branch_names[k] and branch_names[k] != branch_id else ""
        label = f"branch {branch_id}{f' ({name})' if name else ''}: {buses[a].label} – {buses[b].label}"
        lines.append(Line(branch_id, label, buses[a].x, buses[a].y, buses[b].x, buses[b].y, kind))
    lines.sort(key=lambda line: line.kind != "plain")  # highlighted branches drawn last, on top
    bands = [
        Band(Decimal(f"{edges[i]:.2f}"), Decimal(f"{edges[i + 1]:.2f}"), PALETTE[i], counts[i])
        for i in range(len(PALETTE))
    ]
    unpriced = sum(1 for b in buses if b.price is None)
    return GridPicture(WIDTH, HEIGHT, buses, lines, bands, unpriced, len(base | after))
