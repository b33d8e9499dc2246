"""Names users recognise: bus names on pricing points, binding constraints with buses and contingencies."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import pytest

from app.clearing.constraint_names import ConstraintNamer
from app.clock import FixedClock
from network.examples import three_bus
from network.json_format import dump_network_json, load_network_json
from tests.app.conftest import Member, bearer, upload_network
from tests.app.http import SyncClient
from tests.app.test_auction_contingencies import cleared_results

BUS_NAMES = {"1": "ALPHA 230", "2": "BETA 230", "3": "GAMMA 115"}

TINY_NAMED_CASE = b"""function mpc = tiny
mpc.version = '2';
mpc.baseMVA = 100;
mpc.bus = [
\t10\t3\t0\t0\t0\t0\t1\t1\t0\t230\t1\t1.1\t0.9;
\t2\t2\t50\t0\t0\t0\t1\t1\t0\t230\t1\t1.1\t0.9;
\t30\t1\t70\t0\t0\t0\t1\t1\t0\t230\t1\t1.1\t0.9;
];
mpc.gen = [
\t2\t60\t0\t100\t-100\t1\t100\t1\t150\t10\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0;
];
mpc.branch = [
\t10\t2\t0\t0.1\t0\t100\t110\t0\t0\t0\t1\t-360\t360;
\t2\t30\t0\t0.2\t0\t0\t0\t0\t0\t0\t1\t-360\t360;
];
mpc.bus_name = {
\t'NORTH 230';
\t'';
\t'SOUTH 230';
};
"""


def named_three_bus() -> bytes:
    doc = dump_network_json(three_bus())
    for bus in doc["buses"]:
        bus["name"] = BUS_NAMES[bus["id"]]
    for branch in doc["branches"]:
        if branch["id"] == "1-3":
            branch["name"] = "ALPHA-GAMMA 1"
    return json.dumps(doc).encode()


@pytest.fixture
def named_network_id(client: SyncClient, operator_key: str) -> int:
    r = upload_network(client, operator_key, named_three_bus(), "json")
    assert r.status_code == 201, r.text
    version_id: int = r.json()["id"]
    return version_id


class TestPricingPointNames:
    def test_matpower_bus_names_listed(self, client: SyncClient, operator_key: str) -> None:
        r = upload_network(client, operator_key, TINY_NAMED_CASE, "matpower")
        assert r.status_code == 201, r.text
        points = client.get(
            f"/api/v1/networks/{r.json()['id']}/pricing-points", headers=bearer(operator_key)
        ).json()["items"]
        assert [(p["point_id"], p["name"]) for p in points] == [
            ("2", None),
            ("10", "NORTH 230"),
            ("30", "SOUTH 230"),
        ]

    def test_unnamed_model_lists_no_names(
        self, client: SyncClient, operator_key: str, network_id: int
    ) -> None:
        points = client.get(
            f"/api/v1/networks/{network_id}/pricing-points", headers=bearer(operator_key)
        ).json()["items"]
        assert points and all(p["name"] is None for p in points)


class TestBindingConstraintNames:
    def test_base_case_constraint_carries_buses_and_names(
        self,
        client: SyncClient,
        operator_key: str,
        named_network_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        results = cleared_results(
            client, operator_key, named_network_id, clock, make_participant, contingency_set="none"
        )
        (binding,) = results["binding_constraints"]
        assert binding["constraint_id"] == "1-3" and binding["contingency_id"] is None
        assert (binding["from_bus"], binding["to_bus"]) == ("1", "3")
        assert (binding["from_bus_name"], binding["to_bus_name"]) == ("ALPHA 230", "GAMMA 115")
        assert binding["branch_name"] == "ALPHA-GAMMA 1" and binding["contingency_branches"] == []

        r = client.get(
            f"/api/v1/auctions/{results['auction_id']}/results/on_peak/binding_constraints.csv",
            headers=bearer(operator_key),
        )
        assert r.status_code == 200, r.text
        (row,) = list(csv.DictReader(io.StringIO(r.text)))
        assert (row["from_bus"], row["to_bus"], row["branch_name"]) == ("1", "3", "ALPHA-GAMMA 1")
        assert row["from_bus_name"] == "ALPHA 230" and row["contingency_branches"] == ""

    def test_n_1_contingency_names_its_branch(
        self,
        client: SyncClient,
        operator_key: str,
        named_network_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        results = cleared_results(
            client, operator_key, named_network_id, clock, make_participant, contingency_set="all_n_1"
        )
        post = [b for b in results["binding_constraints"] if b["contingency_id"]]
        assert post, results["binding_constraints"]
        for b in post:
            assert b["contingency_branches"] == [b["contingency_id"]]
            assert b["from_bus"] in BUS_NAMES and BUS_NAMES[b["from_bus"]] == b["from_bus_name"]
        r = client.get(
            f"/api/v1/auctions/{results['auction_id']}/results/on_peak/binding_constraints.csv",
            headers=bearer(operator_key),
        )
        rows = [row for row in csv.DictReader(io.StringIO(r.text)) if row["contingency_id"]]
        assert [row["contingency_branches"] for row in rows] == [row["contingency_id"] for row in rows]


class TestConstraintNamer:
    """The contingency sets an auction can choose, each naming a contingency's branches."""

    def test_listed_contingency_branches(self) -> None:
        net = load_network_json(json.loads(named_three_bus()))
        namer = ConstraintNamer(net, "list", json.dumps([["double", ["1-2", "2-3"]]]))
        named = namer.describe("1-3", "double")
        assert named.contingency_branches == ("1-2", "2-3") and named.branch_name == "ALPHA-GAMMA 1"

    def test_network_contingencies_and_interfaces(self) -> None:
        doc: dict[str, Any] = json.loads(named_three_bus())
        doc["contingencies"] = [{"id": "loss of 1-2", "branches": ["1-2"]}]
        interface = {"id": "IF", "branches": [{"branch": "1-2", "coefficient": 1.0}], "limit_mw": 9.0}
        doc["interfaces"] = [interface]
        namer = ConstraintNamer(load_network_json(doc), "network", "[]")
        named = namer.describe("IF", "loss of 1-2")
        assert named.contingency_branches == ("1-2",)
        assert (named.from_bus, named.to_bus, named.branch_name) == (None, None, None)
        assert namer.describe("2-3", None).branch_name is None
