"""The feasibility test on the network package's evaluator, cross-checked with the independent model."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from auction.allocation_feasibility import FtrFlow, TransferFlowEvaluator, check_simultaneous_feasibility
from market_terms import Hedge
from network.constraints import monitored_constraints
from network.examples import build_network
from network.flows import FlowEvaluator
from network.model import Contingency, PeriodConditions
from network.sensitivity import build_sensitivity_model
from tests.auction.dc_flow_model import three_bus


def network_evaluator() -> FlowEvaluator:
    net = build_network(
        "three_bus",
        ("1", "2", "3"),
        (("1-2", "1", "2", 0.1, 1000.0), ("2-3", "2", "3", 0.1, 1000.0), ("1-3", "1", "3", 0.1, 60.0)),
        "3",
        emergency_mw=(1000.0, 1000.0, 80.0),
        contingencies=(Contingency("out 1-2", ("1-2",)),),
    )
    conditions = PeriodConditions(loop_flow_mw={"1-3": 5.0})
    model = build_sensitivity_model(net, conditions)
    return FlowEvaluator.build(model, monitored_constraints(net, conditions), net.contingencies)


NETWORK = network_evaluator()
INDEPENDENT = three_bus(emergency_13=80.0, outages={"out 1-2": ("1-2",)}, loop_13=5.0)


def test_network_evaluator_fits_the_protocol_and_names_the_contingency() -> None:
    evaluator: TransferFlowEvaluator = NETWORK
    v = check_simultaneous_feasibility(evaluator, [FtrFlow("1", "3", 600)], [FtrFlow("1", "3", 300)])
    # Base: (60 + 30) x 2/3 + 5 = 65 > 60; after losing 1-2: 90 + 5 = 95 > 80 is the larger overload.
    assert v.binding is not None
    assert (v.binding.constraint_id, v.binding.contingency_id) == ("1-3", "out 1-2")
    assert (round(v.binding.flow_mw, 6), v.binding.limit_mw) == (95.0, 80.0)


ftr = st.builds(
    FtrFlow,
    source=st.sampled_from(("1", "2", "3")),
    sink=st.sampled_from(("1", "2", "3")),
    mw_tenths=st.integers(min_value=1, max_value=1500),
    hedge=st.sampled_from(tuple(Hedge)),
).filter(lambda f: f.source != f.sink)


@settings(max_examples=40, deadline=None)
@given(st.lists(ftr, max_size=4), st.lists(ftr, min_size=1, max_size=3))
def test_same_verdict_as_the_independent_model(held: list[FtrFlow], candidates: list[FtrFlow]) -> None:
    a = check_simultaneous_feasibility(NETWORK, held, candidates)
    b = check_simultaneous_feasibility(INDEPENDENT, held, candidates)
    assert a.feasible == b.feasible
    if a.binding is not None and b.binding is not None:
        # The worst overload is the same; which constraint is named may differ only on an exact tie.
        np.testing.assert_allclose(
            a.binding.flow_mw - a.binding.limit_mw, b.binding.flow_mw - b.binding.limit_mw, atol=1e-6
        )
