"""PTDF, flows, LODF and substitutions of :mod:`network.sensitivity` on small hand-checked networks."""

from __future__ import annotations

import numpy as np
import pytest

from network.errors import InvalidElementError, SingularNetworkError, SizeLimitError, UnknownElementError
from network.examples import build_network, three_bus
from network.model import PeriodConditions, PricingPoint
from network.sensitivity import build_sensitivity_model

TOL = 1e-12


class TestThreeBus:
    def test_dense_ptdf_matches_domain_example(self) -> None:
        model = build_sensitivity_model(three_bus())
        expected = np.array([[1 / 3, -1 / 3, 0.0], [1 / 3, 2 / 3, 0.0], [2 / 3, 1 / 3, 0.0]])
        np.testing.assert_allclose(model.dense_ptdf(), expected, atol=TOL)

    def test_ptdf_rows_and_columns_on_demand(self) -> None:
        model = build_sensitivity_model(three_bus())
        inj = model.injection_matrix(["1", "2"])
        got = model.ptdf(np.array([2]), inj)
        np.testing.assert_allclose(got, [[2 / 3, 1 / 3]], atol=TOL)
        # row-wise path (more columns than rows) gives the same numbers
        got_rows = model.ptdf(np.array([2]), np.eye(3))
        np.testing.assert_allclose(got_rows, [[2 / 3, 1 / 3, 0.0]], atol=TOL)

    def test_path_flow_of_ftr(self) -> None:
        model = build_sensitivity_model(three_bus())
        p = np.array([100.0, 0.0, -100.0])  # 100 MW from 1 to 3
        np.testing.assert_allclose(model.branch_flows(p), [100 / 3, 100 / 3, 200 / 3], atol=1e-9)

    def test_lodf_single_outage(self) -> None:
        model = build_sensitivity_model(three_bus())
        lodf = model.lodf(np.array([0, 1, 2]), np.array([2]))
        # opening 1-3 sends all of its flow through 1-2-3
        np.testing.assert_allclose(lodf[:, 0], [1.0, 1.0, -1.0], atol=TOL)

    def test_hub_is_weighted_sum(self) -> None:
        hub = PricingPoint("HUB", ("1", "2"), (0.25, 0.75))
        net = build_network(
            "hub",
            ("1", "2", "3"),
            (("a", "1", "2", 0.1, 100.0), ("b", "2", "3", 0.1, 100.0), ("c", "1", "3", 0.1, 100.0)),
            "3",
            pricing_points=(hub,),
        )
        model = build_sensitivity_model(net)
        got = model.ptdf(np.arange(3), model.injection_matrix(["HUB", "1", "2"]))
        np.testing.assert_allclose(got[:, 0], 0.25 * got[:, 1] + 0.75 * got[:, 2], atol=TOL)

    def test_dense_ptdf_refuses_large(self) -> None:
        with pytest.raises(SizeLimitError, match="dense PTDF"):
            build_sensitivity_model(three_bus()).dense_ptdf(max_elements=5)


class TestOutagesAndIslands:
    def radial(self) -> object:
        # 1-2-3 meshed, 4 hangs on 3 through "r", 5 is isolated from the start
        return build_network(
            "radial",
            ("1", "2", "3", "4", "5"),
            (
                ("a", "1", "2", 0.1, 100.0),
                ("b", "2", "3", 0.2, 100.0),
                ("c", "1", "3", 0.1, 100.0),
                ("r", "3", "4", 0.05, 100.0),
            ),
            "1",
        )

    def test_scheduled_outage_changes_topology(self) -> None:
        net = three_bus()
        model = build_sensitivity_model(net, PeriodConditions(scheduled_outages=("1-3",)))
        p = np.array([90.0, 0.0, -90.0])
        np.testing.assert_allclose(model.branch_flows(p), [90.0, 90.0, 0.0], atol=1e-9)

    def test_cut_off_bus_takes_closest_connected_bus(self) -> None:
        net = self.radial()
        model = build_sensitivity_model(net, PeriodConditions(scheduled_outages=("r",)))
        subs = {s.bus_id: s for s in model.substitutions}
        assert subs["4"].substitute_bus_id == "3"
        assert subs["4"].distance_x_pu == pytest.approx(0.05, abs=1e-6)
        assert subs["5"].substitute_bus_id is None
        inj = model.injection_matrix(["4", "3", "5"])
        np.testing.assert_allclose(inj[:, 0].toarray(), inj[:, 1].toarray(), atol=0)
        assert inj[:, 2].nnz == 0

    def test_bridges_found_from_topology(self) -> None:
        model = build_sensitivity_model(self.radial())
        assert model.bridge_mask.tolist() == [False, False, False, True]
        with pytest.raises(InvalidElementError, match="'r' islands"):
            model.lodf(np.array([0]), np.array([3]))

    def test_parallel_branches_are_not_bridges(self) -> None:
        net = build_network(
            "par",
            ("1", "2"),
            (("a", "1", "2", 0.1, 100.0), ("b", "1", "2", 0.3, 100.0)),
            "1",
        )
        model = build_sensitivity_model(net)
        assert not model.bridge_mask.any()
        np.testing.assert_allclose(model.lodf(np.array([1]), np.array([0])), [[1.0]], atol=TOL)


class TestBadInput:
    def test_zero_reactance_names_branch(self) -> None:
        net = build_network("z", ("1", "2"), (("zz", "1", "2", 0.0, 10.0),), "1")
        with pytest.raises(InvalidElementError, match=r"'zz'.*reactance"):
            build_sensitivity_model(net)

    def test_reactances_that_cancel_make_singular_network(self) -> None:
        net = build_network(
            "cancel", ("1", "2"), (("p", "1", "2", 0.1, 1.0), ("n", "1", "2", -0.1, 1.0)), "1"
        )
        with pytest.raises(SingularNetworkError, match=r"'cancel'.*singular"):
            build_sensitivity_model(net)

    def test_unknown_outage_and_point(self) -> None:
        with pytest.raises(UnknownElementError, match=r"scheduled outage.*'nope'"):
            build_sensitivity_model(three_bus(), PeriodConditions(scheduled_outages=("nope",)))
        with pytest.raises(UnknownElementError, match="'X'"):
            build_sensitivity_model(three_bus()).injection_matrix(["X"])


def test_ptdf_blocks_cover_dense_ptdf() -> None:
    net = build_network(
        "ring",
        ("1", "2", "3", "4"),
        (
            ("a", "1", "2", 0.1, 1.0),
            ("b", "2", "3", 0.2, 1.0),
            ("c", "3", "4", 0.3, 1.0),
            ("d", "4", "1", -0.05, 1.0),
            ("e", "1", "3", 0.4, 1.0),
        ),
        "2",
    )
    model = build_sensitivity_model(net)
    dense = model.dense_ptdf()
    seen = []
    for rows, block in model.ptdf_blocks(np.array([4, 0, 2]), block_rows=2):
        np.testing.assert_allclose(block, dense[rows], atol=1e-12)
        seen.extend(rows.tolist())
    assert seen == [4, 0, 2]
