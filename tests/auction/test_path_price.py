"""The decomposition of a path price by binding constraint, from the posted binding rows only.

Cleared on a 4-bus mesh whose rows bind under contingencies and in either direction: for every
pair of buses, the terms add up to the difference of the engine's nodal prices, and the direction
read back from the posted flow's sign is the engine's.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest

from auction.bids import Bid
from auction.clearing import clear_auction
from auction.path_price import PostedBinding, path_terms
from feasibility.result import Status
from market_terms import BindingConstraint
from network.examples import build_network, three_bus
from network.model import Contingency, Network, PeriodConditions

MESH = build_network(
    "mesh4",
    ("1", "2", "3", "4"),
    (
        ("1-2", "1", "2", 0.1, 40.0),
        ("2-3", "2", "3", 0.2, 1000.0),
        ("3-4", "3", "4", 0.1, 30.0),
        ("4-1", "4", "1", 0.15, 1000.0),
        ("1-3", "1", "3", 0.3, 1000.0),
    ),
    "4",
    contingencies=(Contingency("out 1-3", ("1-3",)), Contingency("out 4-1", ("4-1",))),
)
MESH_BIDS = (
    Bid("A", "P", "1", "2", 200.0, 20.0),
    Bid("B", "P", "4", "3", 200.0, 15.0),
    Bid("C", "Q", "2", "4", 150.0, 9.0),
    Bid("D", "Q", "3", "1", 100.0, 4.0),
)


def _posted(result_binding: Sequence[BindingConstraint]) -> list[PostedBinding]:
    return [
        PostedBinding(b.constraint_id, b.contingency_id, b.shadow_price, b.flow_mw) for b in result_binding
    ]


@pytest.mark.parametrize(
    ("network", "bids"), [(MESH, MESH_BIDS), (three_bus(), (Bid("B1", "P", "1", "3", 100.0, 10.0),))]
)
def test_terms_add_up_to_the_nodal_price_difference(network: Network, bids: tuple[Bid, ...]) -> None:
    result = clear_auction(network, bids)
    assert result.status is Status.OPTIMAL and result.binding_constraints
    if network is MESH:  # rows bind in both directions, under contingencies
        assert {b.direction for b in result.binding_constraints} == {1, -1}
        assert {b.contingency_id for b in result.binding_constraints} == {"out 1-3", "out 4-1"}
    posted = _posted(result.binding_constraints)
    for source, sink in itertools.permutations(network.bus_ids, 2):
        terms = path_terms(network, PeriodConditions(), posted, source, sink)
        assert [t.constraint_id for t in terms] == [b.constraint_id for b in result.binding_constraints]
        assert [t.direction for t in terms] == [b.direction for b in result.binding_constraints]
        price = result.nodal_prices[sink] - result.nodal_prices[source]
        assert sum(t.contribution for t in terms) == pytest.approx(price, abs=1e-6), (source, sink)


def test_the_worked_example_by_hand() -> None:
    """docs/rules.md: 1-3 binds at $15/MW; 1 -> 3 puts 2/3 of a MW on it, 2 -> 3 a third."""
    [term] = path_terms(three_bus(), PeriodConditions(), [PostedBinding("1-3", None, 15.0, 60.0)], "1", "3")
    assert term.sensitivity == pytest.approx(2 / 3, abs=1e-9)
    assert term.contribution == pytest.approx(10.0, abs=1e-9)
    [reverse] = path_terms(
        three_bus(), PeriodConditions(), [PostedBinding("1-3", None, 15.0, 60.0)], "3", "2"
    )
    assert reverse.contribution == pytest.approx(-5.0, abs=1e-9)


def test_no_binding_row_no_terms_and_unknown_rows_are_named() -> None:
    assert path_terms(three_bus(), PeriodConditions(), [], "1", "3") == ()
    with pytest.raises(KeyError, match="'9-9'"):
        path_terms(three_bus(), PeriodConditions(), [PostedBinding("9-9", None, 1.0, 1.0)], "1", "3")


def test_full_n_1_clearing_decomposes_with_the_same_contingency_set() -> None:
    """An auction cleared with every single-branch outage (id = branch id) is decomposed with that set."""
    result = clear_auction(MESH, MESH_BIDS, contingencies="all")
    assert result.status is Status.OPTIMAL
    posted = _posted(result.binding_constraints)
    # rows bind under outages the network's own list does not name (their ids are branch ids)
    assert {b.contingency_id for b in posted} - {None} <= set(MESH.branch_ids)
    assert any(b.contingency_id == "1-2" for b in posted)
    with pytest.raises(KeyError):
        path_terms(MESH, PeriodConditions(), posted, "1", "3")
    for source, sink in itertools.permutations(MESH.bus_ids, 2):
        terms = path_terms(MESH, PeriodConditions(), posted, source, sink, "all")
        price = result.nodal_prices[sink] - result.nodal_prices[source]
        assert sum(t.contribution for t in terms) == pytest.approx(price, abs=1e-6), (source, sink)
