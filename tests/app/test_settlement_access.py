"""Who may do what in settlement: holders see only their own statements (another's is 404), the OI
settles, auditors read, every other role is refused (403)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.app.conftest import Member, bearer
from tests.app.http import SyncClient
from tests.app.test_settlement import M1, YEAR, charges_csv, prices_csv, settle, upload

OPERATOR_ONLY = [
    ("POST", f"/api/v1/settlement/months/{YEAR}/{M1}/inputs/da_congestion"),
    ("POST", f"/api/v1/settlement/years/{YEAR}/year-end-charges"),
    ("POST", f"/api/v1/settlement/months/{YEAR}/{M1}/runs"),
    ("POST", f"/api/v1/settlement/years/{YEAR}/year-end"),
]
READERS_ONLY = [
    ("GET", f"/api/v1/settlement/months/{YEAR}/{M1}/inputs"),
    ("GET", f"/api/v1/settlement/months/{YEAR}/{M1}/runs"),
    ("GET", "/api/v1/settlement/runs/1"),
    ("GET", "/api/v1/settlement/runs/1/hours"),
    ("GET", "/api/v1/settlement/runs/1/hours.csv"),
    ("GET", "/api/v1/settlement/runs/1/holders"),
    ("GET", "/api/v1/settlement/runs/1/differences"),
    ("GET", "/api/v1/settlement/runs/1/year-state"),
    ("GET", "/api/v1/settlement/jobs/1"),
    ("GET", "/api/v1/settlement/input-sets/1"),
]


@pytest.mark.parametrize("role", ["trader", "lse", "transmission_owner", "auditor"])
def test_roles_refused(client: SyncClient, role: str, make_participant: Callable[..., Member]) -> None:
    member = make_participant(role)
    refused = OPERATOR_ONLY + ([] if role == "auditor" else READERS_ONLY)
    for method, path in refused:
        kwargs: dict[str, Any] = {"json": {}} if path.endswith("/runs") and method == "POST" else {}
        r = client.request(method, path, headers=member.headers, **kwargs)
        assert r.status_code == 403, (role, method, path, r.text)
        assert r.json()["type"].endswith("/forbidden")


def test_statements_are_private(
    client: SyncClient, operator_key: str, network_id: int, make_participant: Callable[..., Member]
) -> None:
    owner, other = make_participant("lse"), make_participant("trader")
    # The month's auction names the network the allocation is checked on (OA 7.3.3(b)).
    auction = {"year": YEAR, "month": M1, "network_version_id": network_id}
    assert client.post("/api/v1/auctions", json=auction, headers=bearer(operator_key)).status_code == 201
    auditor, owner_of_nothing = make_participant("auditor"), make_participant("transmission_owner")
    body = {
        "holder_id": owner.id,
        "year": YEAR,
        "month": M1,
        "period_class": "off_peak",
        "source": "1",
        "sink": "2",
        "mw": "1.0",
    }
    assert client.post("/api/v1/holdings", json=body, headers=bearer(operator_key)).status_code == 201
    assert upload(client, operator_key, M1, "da_prices", prices_csv(M1, [])).status_code == 201
    assert upload(client, operator_key, M1, "da_congestion", charges_csv(M1, [])).status_code == 201
    settle(client, operator_key, M1)
    base = f"/api/v1/settlement/months/{YEAR}/{M1}/statements"
    for suffix in ("", "/hours.csv", "/ftrs", "/ftrs.csv"):
        assert client.get(f"{base}/{owner.id}{suffix}", headers=owner.headers).status_code == 200
        for intruder in (other, owner_of_nothing):
            r = client.get(f"{base}/{owner.id}{suffix}", headers=intruder.headers)
            assert r.status_code == 404, (suffix, r.text)
        for reader in (bearer(operator_key), auditor.headers):
            assert client.get(f"{base}/{owner.id}{suffix}", headers=reader).status_code == 200
    r = client.get(f"{base}/{other.id}", headers=other.headers)
    assert r.status_code == 404, "no FTR in the month: no statement"
    assert client.get(f"{base}/{owner.id}", headers=owner.headers, params={"version": 2}).status_code == 404
    assert client.get(f"{base}/{owner.id}", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/v1/settlement/runs/999", headers=bearer(operator_key)).status_code == 404
    assert client.get("/api/v1/settlement/jobs/999", headers=bearer(operator_key)).status_code == 404
