"""An outage that islands the reference bus keeps the largest island (docs/rules.md, "Islands")."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from network.constraints import monitored_constraints
from network.contingency import ContingencyHandling
from network.examples import build_network
from network.flows import FlowEvaluator
from network.model import Contingency, Generator, Network, PeriodConditions
from network.sensitivity import build_sensitivity_model
from network.topology import island_labels, kept_island

TOL = 1e-9


def tail_network(reference: str = "6") -> Network:
    """A ring 1-2-3-4 with a tail 4-5-6; the reference at the tail's end; generators at 2 and 3."""
    net = build_network(
        "tail",
        ("1", "2", "3", "4", "5", "6"),
        (
            ("a", "1", "2", 0.10, 100.0),
            ("b", "2", "3", 0.20, 100.0),
            ("c", "3", "4", 0.10, 100.0),
            ("d", "4", "1", 0.30, 100.0),
            ("t1", "4", "5", 0.10, 100.0),
            ("t2", "5", "6", 0.10, 100.0),
        ),
        reference,
        contingencies=(
            Contingency("tail", ("t1",)),
            Contingency("tail+a", ("t1", "a")),
            Contingency("split", ("a", "c")),
        ),
    )
    gens = (
        Generator("g2", "2", 0.0, 300.0),
        Generator("g3", "3", 0.0, 500.0),
        Generator("g3off", "3", 0.0, 900.0, in_service=False),
        Generator("g6", "6", 0.0, 1000.0),
    )
    return dataclasses.replace(net, generators=gens)


def refactorised_post(net: Network, opened: tuple[str, ...], p: np.ndarray) -> np.ndarray:
    """Branch flows of the network refactorised with ``opened`` out (the same island rule applies)."""
    model = build_sensitivity_model(net, PeriodConditions(scheduled_outages=opened))
    q = np.where(model.energised_bus, p, 0.0)
    return model.branch_flows(q)


class TestKeptIsland:
    def test_largest_then_reference_then_lowest_position(self) -> None:
        _, labels = island_labels(6, np.array([0, 2, 4]), np.array([1, 3, 5]))  # {0,1} {2,3} {4,5}
        every = np.ones(6, dtype=np.bool_)
        assert kept_island(labels, every, 3).tolist() == [False, False, True, True, False, False]
        assert kept_island(labels, every, 0).tolist() == [True, True, False, False, False, False]
        _, labels = island_labels(6, np.array([0, 2, 3]), np.array([1, 3, 4]))  # {0,1} {2,3,4} {5}
        assert kept_island(labels, every, 5).tolist() == [False, False, True, True, True, False]


class TestScheduledOutage:
    def test_outage_islanding_the_reference_keeps_the_largest_island(self) -> None:
        net = tail_network()
        model = build_sensitivity_model(net, PeriodConditions(scheduled_outages=("t1",)))
        assert model.energised_bus.tolist() == [True, True, True, True, False, False]
        assert model.reference_moved
        # largest in-service capacity in the kept island: bus 3 (500 MW; its 900 MW unit is out)
        assert model.reference_bus_id == "3"
        assert [(s.bus_id, s.substitute_bus_id) for s in model.substitutions] == [("5", "4"), ("6", "4")]
        mon = monitored_constraints(net, PeriodConditions(scheduled_outages=("t1",)))
        assert set(mon.ids) == {"a", "b", "c", "d"}
        flows = model.branch_flows(np.array([100.0, 0.0, 0.0, -100.0, 0.0, 0.0]))
        assert flows[4] == 0.0 and flows[5] == 0.0
        ring = build_network(
            "ring",
            ("1", "2", "3", "4"),
            (
                ("a", "1", "2", 0.1, 1.0),
                ("b", "2", "3", 0.2, 1.0),
                ("c", "3", "4", 0.1, 1.0),
                ("d", "4", "1", 0.3, 1.0),
            ),
            "3",
        )
        expected = build_sensitivity_model(ring).branch_flows(np.array([100.0, 0.0, 0.0, -100.0]))
        np.testing.assert_allclose(flows[:4], expected, atol=TOL)

    def test_without_generators_the_lowest_bus_is_the_reference(self) -> None:
        net = dataclasses.replace(tail_network(), generators=())
        model = build_sensitivity_model(net, PeriodConditions(scheduled_outages=("t1",)))
        assert model.reference_bus_id == "1"

    def test_reference_on_the_largest_island_is_kept(self) -> None:
        model = build_sensitivity_model(tail_network("1"), PeriodConditions(scheduled_outages=("t1",)))
        assert not model.reference_moved and model.reference_bus_id == "1"

    def test_equal_islands_keep_the_reference(self) -> None:
        net = build_network(
            "two",
            ("1", "2", "3", "4"),
            (("x", "1", "2", 0.1, 50.0), ("y", "2", "3", 0.1, 50.0), ("z", "3", "4", 0.1, 50.0)),
            "4",
        )
        model = build_sensitivity_model(net, PeriodConditions(scheduled_outages=("y",)))
        assert model.energised_bus.tolist() == [False, False, True, True]
        assert not model.reference_moved


class TestContingency:
    @pytest.mark.parametrize("cached", [True, False])
    def test_flows_match_the_refactorised_network(self, cached: bool) -> None:
        net = tail_network()
        model = build_sensitivity_model(net)
        mon = monitored_constraints(net)
        ev = FlowEvaluator.build(model, mon, net.contingencies, cache_bytes=10**9 if cached else 0)
        report = {r.contingency_id: r for r in ev.islanding}
        assert report["tail"].cut_off_bus_ids == ("5", "6") and report["tail"].reference_bus_id == "3"
        assert report["tail"].handling is ContingencyHandling.ISLANDING_INJECTIONS_LOST
        assert report["tail+a"].reference_bus_id == "3"
        assert report["split"].cut_off_bus_ids == ("2", "3") and report["split"].reference_bus_id is None
        c = mon.branch_coefficients.toarray()
        rng = np.random.default_rng(7)
        for _ in range(3):
            p = rng.normal(size=net.n_buses) * 60
            res = ev.flows(p)
            for k, cont in enumerate(net.contingencies):
                np.testing.assert_allclose(
                    res.post_mw[k], c @ refactorised_post(net, cont.branch_ids, p), atol=1e-8
                )

    def test_sensitivities_by_rows_and_by_columns_match_flows(self) -> None:
        net = tail_network()
        model = build_sensitivity_model(net)
        mon = monitored_constraints(net)
        ev = FlowEvaluator.build(model, mon, net.contingencies)
        rows: list[tuple[int, int | None]] = [
            (i, j) for i in range(mon.n_constraints) for j in range(len(net.contingencies))
        ]
        eye = np.eye(net.n_buses)
        by_rows = ev.constraint_sensitivities(rows[:4], eye)  # 4 rows < 6 columns: by rows
        by_cols = ev.constraint_sensitivities(rows, eye)  # more rows than columns: by columns
        np.testing.assert_allclose(by_rows, by_cols[:4], atol=TOL)
        full = np.stack([ev.flows(eye[:, b]).post_mw for b in range(net.n_buses)], axis=-1)
        for r, (i, j) in enumerate(rows):
            assert j is not None
            np.testing.assert_allclose(by_cols[r], full[j, i], atol=1e-8)
