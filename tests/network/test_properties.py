"""Property tests on random meshed networks with radial spurs (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from network.constraints import monitored_constraints
from network.examples import build_network
from network.flows import FlowEvaluator
from network.model import Contingency, Network, PeriodConditions
from network.sensitivity import build_sensitivity_model

TOL = 1e-7


@st.composite
def networks(draw: st.DrawFn) -> Network:
    """A random connected network: a random tree plus extra (possibly parallel) branches."""
    n = draw(st.integers(3, 12))
    rows = []
    for i in range(1, n):
        j = draw(st.integers(0, i - 1))
        rows.append((j, i))
    for _ in range(draw(st.integers(0, 2 * n))):
        a, b = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        if a != b:
            rows.append((a, b))
    x = draw(st.lists(st.floats(0.01, 1.0), min_size=len(rows), max_size=len(rows)))
    ref = draw(st.integers(0, n - 1))
    bus_ids = tuple(f"b{i}" for i in range(n))
    branches = tuple(
        (f"l{k}", bus_ids[a], bus_ids[b], xk, 100.0)
        for k, ((a, b), xk) in enumerate(zip(rows, x, strict=True))
    )
    return build_network("random", bus_ids, branches, bus_ids[ref])


def with_reference(net: Network, ref: str) -> Network:
    return build_network(
        net.name,
        net.bus_ids,
        tuple(
            (
                net.branch_ids[k],
                net.bus_ids[net.branch_from[k]],
                net.bus_ids[net.branch_to[k]],
                net.reactance_pu[k],
                100.0,
            )
            for k in range(net.n_branches)
        ),
        ref,
    )


@settings(max_examples=60, deadline=None)
@given(net=networks(), data=st.data())
def test_path_flows_do_not_depend_on_reference(net: Network, data: st.DataObject) -> None:
    other = data.draw(st.sampled_from(net.bus_ids))
    s, t = data.draw(st.sampled_from(net.bus_ids)), data.draw(st.sampled_from(net.bus_ids))
    a = build_sensitivity_model(net)
    b = build_sensitivity_model(with_reference(net, other))
    inj_a, inj_b = a.injection_matrix([s, t]), b.injection_matrix([s, t])
    pa = a.ptdf(np.arange(net.n_branches), inj_a)
    pb = b.ptdf(np.arange(net.n_branches), inj_b)
    np.testing.assert_allclose(pa[:, 0] - pa[:, 1], pb[:, 0] - pb[:, 1], atol=TOL)
    if s == t:
        np.testing.assert_allclose(pa[:, 0] - pa[:, 1], 0.0, atol=TOL)


@settings(max_examples=60, deadline=None)
@given(net=networks(), seed=st.integers(0, 2**31 - 1))
def test_flow_is_conserved_at_every_bus(net: Network, seed: int) -> None:
    model = build_sensitivity_model(net)
    p = np.random.default_rng(seed).normal(size=net.n_buses) * 100
    f = model.branch_flows(p)
    out = np.zeros(net.n_buses)
    np.add.at(out, net.branch_from, f)
    np.add.at(out, net.branch_to, -f)
    expected = p.copy()
    expected[model.reference_index] -= p.sum()
    np.testing.assert_allclose(out, expected, atol=1e-6 * (1 + np.abs(p).sum()))


@settings(max_examples=60, deadline=None)
@given(net=networks(), data=st.data())
def test_contingency_flows_match_refactorisation(net: Network, data: st.DataObject) -> None:
    k = data.draw(st.integers(1, min(3, net.n_branches)))
    opened = tuple(data.draw(st.lists(st.sampled_from(net.branch_ids), min_size=k, max_size=k, unique=True)))
    model = build_sensitivity_model(net)
    mon = monitored_constraints(net)
    ev = FlowEvaluator.build(model, mon, [Contingency("c", opened)])
    p = np.random.default_rng(data.draw(st.integers(0, 2**31))).normal(size=net.n_buses) * 100
    post = ev.flows(p).post_mw[0]
    after = build_sensitivity_model(net, PeriodConditions(scheduled_outages=opened))
    expected = mon.branch_coefficients @ after.branch_flows(np.where(after.energised_bus, p, 0.0))
    np.testing.assert_allclose(post, expected, atol=1e-6 * (1 + np.abs(p).sum()))
    for b in opened:
        assert abs(post[mon.index(b)]) <= 1e-6 * (1 + np.abs(p).sum())
    rows = [(i, 0) for i in range(mon.n_constraints)]
    sens = ev.constraint_sensitivities(rows, p)
    np.testing.assert_allclose(sens[:, 0], post, atol=1e-6 * (1 + np.abs(p).sum()))
