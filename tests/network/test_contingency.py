"""Contingency planning: N-1 sets, islanding, already-open branches, singular outages, islands."""

from __future__ import annotations

import numpy as np
import pytest

from network.constraints import monitored_constraints
from network.contingency import ContingencyHandling, plan_contingencies, single_branch_contingencies
from network.errors import InvalidElementError
from network.examples import build_network
from network.flows import FlowEvaluator
from network.matpower import load_matpower, matpower_case_path
from network.model import Contingency, Interface, Network, PeriodConditions
from network.sensitivity import build_sensitivity_model


def two_islands() -> Network:
    """Island A (1-2-3 ring, reference 1) and island B (4-5), never connected."""
    return build_network(
        "islands",
        ("1", "2", "3", "4", "5"),
        (
            ("a", "1", "2", 0.1, 50.0),
            ("b", "2", "3", 0.1, 50.0),
            ("c", "3", "1", 0.1, 50.0),
            ("d", "4", "5", 0.1, 50.0),
        ),
        "1",
    )


class TestNMinusOne:
    def test_radial_branches_left_out_unless_asked(self) -> None:
        net = build_network(
            "spur",
            ("1", "2", "3", "4"),
            (
                ("a", "1", "2", 0.1, 1.0),
                ("b", "2", "3", 0.1, 1.0),
                ("c", "3", "1", 0.1, 1.0),
                ("r", "3", "4", 0.1, 1.0),
            ),
            "1",
        )
        model = build_sensitivity_model(net)
        assert [c.id for c in single_branch_contingencies(model)] == ["a", "b", "c"]
        assert [c.id for c in single_branch_contingencies(model, include_radial=True, prefix="N-1 ")] == [
            "N-1 a",
            "N-1 b",
            "N-1 c",
            "N-1 r",
        ]

    def test_duplicate_contingency_rejected(self) -> None:
        model = build_sensitivity_model(two_islands())
        with pytest.raises(InvalidElementError, match="'x' is defined twice"):
            plan_contingencies(model, [Contingency("x", ("a",)), Contingency("x", ("b",))])


class TestSpecialOutages:
    def test_already_open_branch_changes_nothing(self) -> None:
        net = two_islands()
        model = build_sensitivity_model(net, PeriodConditions(scheduled_outages=("a",)))
        mon = monitored_constraints(net, PeriodConditions(scheduled_outages=("a",)))
        ev = FlowEvaluator.build(model, mon, [Contingency("open a", ("a",))])
        assert ev.islanding[0].handling is ContingencyHandling.NO_BRANCH_TO_OPEN
        p = np.array([0.0, 30.0, -30.0, 0.0, 0.0])
        res = ev.flows(p)
        np.testing.assert_allclose(res.post_mw[0], res.base_mw, atol=0)

    def test_outage_that_makes_b_singular_keeps_base_flows(self) -> None:
        # parallel branches 1-2 with x = 0.1, -0.2, 0.2: without "a" the susceptances cancel (-5 + 5)
        net = build_network(
            "cancel",
            ("1", "2"),
            (("a", "1", "2", 0.1, 10.0), ("b", "1", "2", -0.2, 10.0), ("c", "1", "2", 0.2, 10.0)),
            "1",
        )
        model = build_sensitivity_model(net)
        assert not model.bridge_mask.any()
        ev = FlowEvaluator.build(model, monitored_constraints(net), [Contingency("a out", ("a",))])
        assert ev.islanding[0].handling is ContingencyHandling.SINGULAR_BASE_FLOWS_KEPT
        res = ev.flows(np.array([0.0, -10.0]))
        assert np.isfinite(res.post_mw).all()
        np.testing.assert_allclose(res.post_mw[0], res.base_mw, atol=0)


class TestSeveralIslands:
    def test_base_case_with_two_islands(self) -> None:
        net = two_islands()
        model = build_sensitivity_model(net)
        assert model.n_islands == 2
        assert model.energised_bus.tolist() == [True, True, True, False, False]
        assert {s.bus_id: s.substitute_bus_id for s in model.substitutions} == {"4": None, "5": None}
        # the other island's branches are not monitored and carry nothing
        assert monitored_constraints(net).ids == ("a", "b", "c")
        np.testing.assert_allclose(model.ptdf(np.array([3]), np.eye(5)), 0.0, atol=0)
        assert model.injection_matrix(["4"]).nnz == 0

    def test_case118_with_interface_and_full_n_minus_1(self) -> None:
        net = load_matpower(matpower_case_path("case118"))
        iface = Interface("IF", ("1", "2", "3"), (1.0, 1.0, -1.0), 150.0)
        net = Network(
            **{
                f: getattr(net, f)
                for f in net.__dataclass_fields__
                if not f.startswith("_") and f != "interfaces"
            },
            interfaces=(iface,),
        )
        model = build_sensitivity_model(net)
        mon = monitored_constraints(net)
        assert mon.ids == ("IF",)
        conts = single_branch_contingencies(model)
        ev = FlowEvaluator.build(model, mon, conts)
        rng = np.random.default_rng(5)
        p = rng.normal(size=net.n_buses) * 20
        res = ev.flows(p)
        assert res.post_mw.shape == (len(conts), 1)
        k = [c.id for c in conts].index("2")
        after = build_sensitivity_model(net, PeriodConditions(scheduled_outages=("2",)))
        f = after.branch_flows(p)
        assert res.post_mw[k, 0] == pytest.approx(f[0] + f[1] - f[2], abs=1e-8)
