"""The loop-flow summary of a network version (both databases): gathered over the auctions on the
version, the most affected constraint (largest share of its normal limit) first, the same rows in
the CSV; a draft auction's loop flow only for the OI."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

import httpx

from tests.app.conftest import Member, bearer
from tests.app.http import SyncClient
from tests.app.test_portal import Visit


def _rows(r: httpx.Response) -> list[list[str]]:
    found = re.search(r'<table id="loop-flow-summary".*?<tbody>(.*?)</tbody>', r.text, re.S)
    assert found is not None
    return [
        [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S)
    ]


def _auction(client: SyncClient, operator_key: str, network_id: int, month: int, loop: dict[str, str]) -> int:
    body = {"year": 2027, "month": month, "network_version_id": network_id, "loop_flow_mw": loop}
    r = client.post("/api/v1/auctions", json=body, headers=bearer(operator_key))
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_loop_flows_of_a_network_version(
    client: SyncClient, operator_key: str, network_id: int, make_participant: Callable[..., Member]
) -> None:
    oi = Visit(client)
    oi.sign_in(operator_key)
    assert _rows(oi.get(f"/portal/networks/{network_id}")) == [["No auction on this version has loop flow."]]

    first = _auction(client, operator_key, network_id, 1, {"1-2": "200.0", "1-3": "-15.0"})
    second = _auction(client, operator_key, network_id, 2, {"1-3": "6.0"})
    assert client.post(f"/api/v1/auctions/{first}/open", headers=bearer(operator_key)).status_code == 200
    rows = _rows(oi.get(f"/portal/networks/{network_id}"))
    # 1-3: 15 MW of a 60 MW limit = 25 %; 1-2: 200 of 1000 = 20 %
    assert rows == [
        ["1-3", "branch", "2", "-15.0", "6.0", "60.0", "25.0"],
        ["1-2", "branch", "1", "200.0", "200.0", "1000.0", "20.0"],
    ]
    csv = oi.get(f"/portal/networks/{network_id}/loop-flows.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0].startswith("constraint,kind,auctions,min_loop_flow_mw,max_loop_flow_mw,limit_normal_mw")
    assert lines[1] == f"1-3,branch,2,-15.0,6.0,60.0,25.0,{first} {second}"

    trader = Visit(client)
    trader.sign_in(make_participant().key)
    assert _rows(trader.get(f"/portal/networks/{network_id}")) == [
        ["1-3", "branch", "1", "-15.0", "-15.0", "60.0", "25.0"],
        ["1-2", "branch", "1", "200.0", "200.0", "1000.0", "20.0"],
    ], "the draft auction's loop flow is not shown to a trader"
    lines = trader.get(f"/portal/networks/{network_id}/loop-flows.csv").text.splitlines()
    assert lines[1] == f"1-3,branch,1,-15.0,-15.0,60.0,25.0,{first}"
