"""The portal's grid picture: the computed layout and the SVG's colours and highlighted branches."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from api_schemas.clearing import BindingConstraintPublic, NodalPricePublic
from app.web.grid_layout import compute_layout, layout_of
from app.web.grid_picture import NO_PRICE, PALETTE, grid_picture
from network.examples import build_network
from network.model import Network, PricingPoint


def _ring(n: int, prefix: str = "") -> list[tuple[str, str, str, float, float]]:
    return [(f"{prefix}L{i}", f"{prefix}{i}", f"{prefix}{(i + 1) % n}", 0.1, 100.0) for i in range(n)]


def _network(buses: list[str], branches: list[tuple[str, str, str, float, float]]) -> Network:
    points = [PricingPoint(id=b, bus_ids=(b,), weights=(1.0,)) for b in buses]
    return build_network("t", buses, branches, buses[0], pricing_points=points)


def test_the_layout_puts_neighbours_near_each_other_and_is_the_same_every_time() -> None:
    n = 30
    network = _network([str(i) for i in range(n)], _ring(n))
    xy = compute_layout(network)
    assert xy.shape == (n, 2) and xy.min() >= 0 and xy.max() <= 1
    assert np.array_equal(xy, compute_layout(network)), "no randomness"
    neighbour = np.linalg.norm(xy - np.roll(xy, 1, axis=0), axis=1)
    everyone = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=2)[np.triu_indices(n, 1)]
    assert neighbour.max() < np.median(everyone), "a branch is shorter than the typical distance"
    assert len({(round(x, 3), round(y, 3)) for x, y in xy}) == n, "no two buses on one spot"


def test_islands_are_drawn_apart() -> None:
    buses = [f"a{i}" for i in range(6)] + [f"b{i}" for i in range(6)]
    network = _network(buses, _ring(6, "a") + _ring(6, "b"))
    xy = compute_layout(network)
    a, b = xy[:6], xy[6:]
    gap = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2).min()
    assert gap > 0.1 and len({(round(x, 3), round(y, 3)) for x, y in xy}) == 12


def test_the_layout_is_computed_once_per_version() -> None:
    network = _network([str(i) for i in range(5)], _ring(5))
    loads: list[int] = []

    def load() -> Network:
        loads.append(1)
        return network

    first = layout_of(-4242, load)
    second = layout_of(-4242, load)
    assert loads == [1] and first[1] is second[1]


def _binding(
    branch: str, contingency: str | None = None, out: tuple[str, ...] = ()
) -> BindingConstraintPublic:
    return BindingConstraintPublic(
        constraint_id=branch,
        contingency_id=contingency,
        shadow_price=Decimal("5.00"),
        flow_mw=Decimal("100"),
        limit_mw=Decimal("100"),
        contingency_branches=list(out),
    )


def test_buses_are_coloured_by_price_and_binding_branches_marked() -> None:
    buses = [str(i) for i in range(6)]
    network = _network(buses, _ring(6))
    prices = [NodalPricePublic(point_id=str(i), price=Decimal(10 * i)) for i in range(5)]  # bus 5: no price
    binding = [_binding("L0"), _binding("L2", "c1", ("L4",))]
    picture = grid_picture(network, compute_layout(network), prices, binding)
    colour = {b.bus_id: b.colour for b in picture.buses}
    assert colour["0"] == PALETTE[0] and colour["4"] == PALETTE[-1] and colour["5"] == NO_PRICE
    kinds = {line.branch_id: line.kind for line in picture.lines}
    assert kinds == {
        "L0": "binding",
        "L2": "binding-contingency",
        "L4": "outage",
        "L1": "plain",
        "L3": "plain",
        "L5": "plain",
    }
    assert [line.kind for line in picture.lines][-3:] != ["plain"] * 3, "highlighted branches drawn on top"
    assert sum(band.buses for band in picture.bands) == 5 and picture.unpriced == 1 and picture.binding == 2
    assert picture.bands[0].low == Decimal("0.00") and picture.bands[-1].high == Decimal("40.00")
