"""Simultaneous feasibility of allocations and assignments (OA 7.3.3(b)) on the 3-bus network."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from auction.allocation_feasibility import FtrFlow, check_simultaneous_feasibility, outstanding_ftrs
from auction.ledger import Origin, PeriodClass, Posting
from market_terms import Hedge
from tests.auction.dc_flow_model import ptdf, three_bus
from tests.auction.holdings_cases import JULY, grant, hour, key, ledger_with

OPT = Hedge.OPTION


def test_independent_ptdf_matches_domain_md() -> None:
    m = three_bus()
    got = ptdf(m.buses, m.branches, "3")
    expected = np.array([[1 / 3, -1 / 3, 0], [1 / 3, 2 / 3, 0], [2 / 3, 1 / 3, 0]])
    np.testing.assert_allclose(got, expected, atol=1e-12)


class TestBaseCase:
    def test_up_to_the_limit_accepted_beyond_refused_with_the_constraint_named(self) -> None:
        m = three_bus()
        held = [FtrFlow("1", "3", 300)]  # 30 MW x 2/3 = 20 MW on 1-3
        assert check_simultaneous_feasibility(m, held, [FtrFlow("1", "3", 600)]).feasible  # +40 = 60
        v = check_simultaneous_feasibility(m, held, [FtrFlow("1", "3", 610)])
        assert not v.feasible and v.binding is not None
        assert (v.binding.constraint_id, v.binding.contingency_id, v.binding.direction) == ("1-3", None, 1)
        assert v.binding.flow_mw == pytest.approx(20 + 61 * 2 / 3, abs=1e-9)
        assert v.binding.limit_mw == 60.0
        assert (
            "constraint 1-3 (base case, forward) would carry 60.7 MW against a limit of 60.0 MW" in v.reason
        )

    def test_counterflow_obligation_relieves_and_is_accepted_on_a_full_line(self) -> None:
        m = three_bus()
        full = [FtrFlow("1", "3", 900)]  # 60 MW on 1-3
        assert check_simultaneous_feasibility(m, full, [FtrFlow("3", "1", 300)]).feasible
        assert not check_simultaneous_feasibility(m, full, [FtrFlow("2", "3", 10)]).feasible

    def test_an_option_never_makes_room(self) -> None:
        m = three_bus()
        with_obligation = [FtrFlow("1", "3", 900), FtrFlow("3", "1", 300)]
        with_option = [FtrFlow("1", "3", 900), FtrFlow("3", "1", 300, OPT)]
        candidate = [FtrFlow("1", "3", 100)]
        assert check_simultaneous_feasibility(m, with_obligation, candidate).feasible
        v = check_simultaneous_feasibility(m, with_option, candidate)
        assert not v.feasible and v.binding is not None and v.binding.direction == 1

    def test_option_counted_in_its_own_direction(self) -> None:
        v = check_simultaneous_feasibility(three_bus(), [], [FtrFlow("3", "1", 1000, OPT)])
        assert v.binding is not None
        assert (v.binding.constraint_id, v.binding.direction) == ("1-3", -1)
        assert v.binding.flow_mw == pytest.approx(100 * 2 / 3)

    def test_an_overload_the_candidate_does_not_add_to_does_not_block_it(self) -> None:
        m = three_bus()
        overloaded = [FtrFlow("1", "3", 1200)]  # 80 MW on a 60 MW line
        assert check_simultaneous_feasibility(m, overloaded, [FtrFlow("3", "1", 10)]).feasible
        assert not check_simultaneous_feasibility(m, overloaded, [FtrFlow("1", "2", 10)]).feasible

    def test_loop_flow_uses_up_capacity(self) -> None:
        m = three_bus(loop_13=10.0)
        assert check_simultaneous_feasibility(m, [], [FtrFlow("1", "3", 750)]).feasible  # 50 + 10
        v = check_simultaneous_feasibility(m, [], [FtrFlow("1", "3", 760)])
        assert v.binding is not None and v.binding.flow_mw == pytest.approx(50 + 2 / 3 + 10)


class TestContingency:
    def test_post_contingency_flow_against_the_emergency_rating(self) -> None:
        # Without 1-2 the network is radial: all of a 1->3 transfer flows on 1-3.
        m = three_bus(emergency_13=70.0, outages={"out 1-2": ("1-2",)})
        assert check_simultaneous_feasibility(m, [], [FtrFlow("1", "3", 700)]).feasible
        v = check_simultaneous_feasibility(m, [], [FtrFlow("1", "3", 850)])  # base 56.7 ok, post 85 > 70
        assert v.binding is not None
        assert (v.binding.constraint_id, v.binding.contingency_id) == ("1-3", "out 1-2")
        assert (v.binding.flow_mw, v.binding.limit_mw) == (pytest.approx(85.0), 70.0)


class TestOutstandingFromLedger:
    def test_paths_totalled_over_holders_and_classes_kept_apart(self) -> None:
        k = key()
        led = ledger_with(grant("A", k, 300), grant("B", k, 200), grant("A", key(source="2"), 50))
        led = led.append(
            [
                Posting("A", k, -100, Origin.TRANSFER, hour(JULY, 5), "transfer:t"),
                Posting("C", k, 100, Origin.TRANSFER, hour(JULY, 5), "transfer:t"),
            ]
        )
        led = led.append([grant("A", key(period_class=PeriodClass.OFF_PEAK, hedge=OPT), 70)])
        assert outstanding_ftrs(led, JULY, PeriodClass.ON_PEAK) == (
            FtrFlow("1", "3", 500),
            FtrFlow("2", "3", 50),
        )
        assert outstanding_ftrs(led, JULY, PeriodClass.OFF_PEAK) == (FtrFlow("1", "3", 70, OPT),)


ftr = st.builds(
    FtrFlow,
    source=st.sampled_from(("1", "2", "3")),
    sink=st.sampled_from(("1", "2", "3")),
    mw_tenths=st.integers(min_value=1, max_value=2000),
    hedge=st.sampled_from(tuple(Hedge)),
).filter(lambda f: f.source != f.sink)


@settings(max_examples=60, deadline=None)
@given(st.lists(ftr, max_size=5), st.lists(ftr, min_size=1, max_size=3))
def test_accepted_sets_stay_within_limits_if_they_started_within(
    held: list[FtrFlow], candidates: list[FtrFlow]
) -> None:
    """If the outstanding FTRs are feasible and the candidates are accepted, all of them are feasible."""
    m = three_bus(emergency_13=80.0, outages={"out 1-2": ("1-2",)})
    assume(check_simultaneous_feasibility(m, [], held).feasible)
    if check_simultaneous_feasibility(m, held, candidates).feasible:
        assert check_simultaneous_feasibility(m, [], [*held, *candidates]).feasible
