"""The JSON network format: round trip and errors that name the JSON path."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from network.errors import CaseFormatError, InvalidElementError, UnknownElementError
from network.json_format import (
    dump_conditions_json,
    dump_network_json,
    load_conditions_json,
    load_network_json,
)
from network.matpower import load_matpower, matpower_case_path
from network.model import PeriodConditions

DOC: dict[str, Any] = {
    "format": "ftr-network",
    "version": 1,
    "name": "three_bus",
    "base_mva": 100.0,
    "reference_bus": "3",
    "buses": [{"id": "1", "demand_mw": 10.0}, {"id": "2"}, {"id": "3"}],
    "branches": [
        {"id": "1-2", "from": "1", "to": "2", "reactance_pu": 0.1, "rate_normal_mw": 1000.0},
        {"id": "2-3", "from": "2", "to": "3", "reactance_pu": 0.1, "rate_normal_mw": None},
        {
            "id": "1-3",
            "from": "1",
            "to": "3",
            "reactance_pu": 0.1,
            "tap_ratio": 0.95,
            "phase_shift_deg": 3.0,
            "rate_normal_mw": 60.0,
            "rate_emergency_mw": 75.0,
            "in_service": True,
        },
    ],
    "pricing_points": [
        {"id": "HUB", "kind": "hub", "buses": [{"bus": "1", "weight": 0.5}, {"bus": "2", "weight": 0.5}]}
    ],
    "interfaces": [{"id": "IF", "branches": [{"branch": "1-2", "coefficient": 1.0}], "limit_mw": 500.0}],
    "contingencies": [{"id": "C1", "branches": ["1-2"]}],
    "generators": [{"id": "G1", "bus": "1", "pmax_mw": 100.0, "cost_c1": 20.0}],
}


class TestRoundTrip:
    def test_load_and_dump(self) -> None:
        net = load_network_json(DOC)
        assert net.bus_ids == ("1", "2", "3")
        assert math.isnan(net.rate_normal_mw[1]) and net.rate_emergency_mw[2] == 75.0
        assert net.rate_emergency_mw[0] == 1000.0
        assert net.pricing_points[0].weights == (0.5, 0.5)
        doc = dump_network_json(net)
        assert dump_network_json(load_network_json(doc)) == doc
        assert doc["branches"][1]["rate_normal_mw"] is None

    def test_matpower_case_round_trips(self) -> None:
        doc = dump_network_json(load_matpower(matpower_case_path("case300")))
        assert dump_network_json(load_network_json(doc)) == doc

    @settings(max_examples=30, deadline=None)
    @given(
        outages=st.lists(st.sampled_from(["1-2", "2-3", "1-3"]), unique=True),
        loop=st.dictionaries(st.sampled_from(["1-2", "1-3", "IF"]), st.floats(-1e4, 1e4)),
    )
    def test_conditions_round_trip(self, outages: list[str], loop: dict[str, float]) -> None:
        cond = PeriodConditions(tuple(outages), loop)
        again = load_conditions_json(dump_conditions_json(cond))
        assert again.scheduled_outages == cond.scheduled_outages
        assert dict(again.loop_flow_mw) == loop


def broken(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(DOC)
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


class TestErrors:
    @pytest.mark.parametrize(
        ("path", "value", "error", "message"),
        [
            (
                ("branches", 1, "reactance_pu"),
                "x",
                CaseFormatError,
                r"branches\[1\]\.reactance_pu: expected a number",
            ),
            (("branches", 0, "to"), "9", CaseFormatError, r"branches\[0\]\.to: unknown bus '9'"),
            (("branches", 2, "reactance_pu"), 0.0, InvalidElementError, r"branch '1-3': reactance 0\.0"),
            (("buses", 0, "id"), KeyError, CaseFormatError, r"buses\[0\]\.id: missing"),
            (("format",), "other", CaseFormatError, "format"),
            (("reference_bus",), "7", UnknownElementError, "reference bus '7'"),
            (
                ("contingencies", 0, "branches"),
                ["zz"],
                UnknownElementError,
                "contingency 'C1': unknown branch 'zz'",
            ),
            (("pricing_points", 0, "buses", 0, "weight"), 0.9, InvalidElementError, "sum to 1"),
            (("pricing_points", 0, "kind"), "planet", CaseFormatError, "unknown kind"),
        ],
    )
    def test_error_names_path(
        self, path: tuple[Any, ...], value: Any, error: type[Exception], message: str
    ) -> None:
        with pytest.raises(error, match=message):
            load_network_json(broken(path, value))

    def test_conditions_errors(self) -> None:
        with pytest.raises(CaseFormatError, match=r"loop_flow_mw\.IF: expected a number"):
            load_conditions_json({"loop_flow_mw": {"IF": "big"}})


class TestNames:
    def test_bus_and_branch_names_round_trip(self) -> None:
        doc = copy.deepcopy(DOC)
        doc["buses"][0]["name"] = "ALPHA 230"
        doc["branches"][2]["name"] = " ALPHA-GAMMA 1 "
        net = load_network_json(doc)
        assert net.bus_names == ("ALPHA 230", "", "")
        assert net.bus_name("1") == "ALPHA 230" and net.bus_name("2") is None
        assert net.branch_name("1-3") == "ALPHA-GAMMA 1" and net.branch_name("1-2") is None
        dumped = dump_network_json(net)
        assert dumped["buses"][0]["name"] == "ALPHA 230" and "name" not in dumped["buses"][1]
        assert load_network_json(dumped).branch_names == net.branch_names

    def test_unnamed_model_document_has_no_names(self) -> None:
        """A model without names dumps as before, so its stored document and content hash stay the same."""
        dumped = dump_network_json(load_network_json(DOC))
        assert all("name" not in b for b in dumped["buses"] + dumped["branches"])
        net = load_network_json(DOC)
        assert net.bus_names == () and net.bus_name("1") is None

    def test_a_name_that_is_not_text_is_named(self) -> None:
        with pytest.raises(CaseFormatError, match=r"buses\[1\]\.name: expected a string"):
            load_network_json(broken(("buses", 1, "name"), 7))
