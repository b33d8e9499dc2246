"""Authorisation, generated from the route table.

Every route whose path names an object (``{..._id}``) must have an entry below saying what another
participant gets when it asks for the object of its owner; a new route with an id fails
``test_every_route_with_an_id_is_covered`` until someone decides. Private objects answer 404 (their
existence does not leak), OI-only routes answer 403 to other roles, public ones 200. Then every
role is checked against every route it may not call.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from app.clock import FixedClock
from tests.app.conftest import JANUARY_2027_CLOSES, Member, bearer
from tests.app.http import SyncClient

ID_PARAM = re.compile(r"\{(\w+_id)\}")

# (method, path) -> status another trader gets on the owner's objects (after the window closed
# and a clearing job ran; results not yet posted).
EXPECTED_FOR_OTHER: dict[tuple[str, str], int] = {
    ("GET", "/api/v1/bids/{bid_id}"): 404,
    ("PATCH", "/api/v1/bids/{bid_id}"): 404,
    ("DELETE", "/api/v1/bids/{bid_id}"): 404,
    ("GET", "/api/v1/participants/{participant_id}"): 403,
    ("PATCH", "/api/v1/participants/{participant_id}"): 403,
    ("POST", "/api/v1/participants/{participant_id}/keys"): 403,
    ("GET", "/api/v1/participants/{participant_id}/keys"): 403,
    ("DELETE", "/api/v1/participants/{participant_id}/keys/{prefix}"): 403,
    ("GET", "/api/v1/clearing-jobs/{job_id}"): 404,
    ("GET", "/api/v1/auctions/{auction_id}/clearing-jobs"): 404,
    ("GET", "/api/v1/auctions/{auction_id}/results/{period_class}"): 404,
    ("GET", "/api/v1/auctions/{auction_id}/results/{period_class}/{table}.csv"): 404,
    ("GET", "/api/v1/auctions/{auction_id}/results/{period_class}/awards.parquet"): 404,
    ("GET", "/api/v1/auctions/{auction_id}/path-price"): 404,
    ("POST", "/api/v1/auctions/{auction_id}/open"): 403,
    ("POST", "/api/v1/auctions/{auction_id}/close"): 403,
    ("PUT", "/api/v1/auctions/{auction_id}/contingency-set"): 403,
    ("POST", "/api/v1/auctions/{auction_id}/clear"): 403,
    ("POST", "/api/v1/auctions/{auction_id}/post"): 403,
    ("GET", "/api/v1/auctions/{auction_id}"): 200,
    ("GET", "/api/v1/auctions/{auction_id}/bids"): 200,
    ("GET", "/api/v1/auctions/{auction_id}/bids.csv"): 200,
    ("POST", "/api/v1/auctions/{auction_id}/bids"): 409,
    ("POST", "/api/v1/auctions/{auction_id}/bids/bulk"): 409,
    ("GET", "/api/v1/networks/{version_id}"): 200,
    ("GET", "/api/v1/networks/{version_id}/pricing-points"): 200,
    ("GET", "/api/v1/auctions/{auction_id}/statements"): 404,
    ("GET", "/api/v1/auctions/{auction_id}/statements.csv"): 404,
    ("GET", "/api/v1/auctions/{auction_id}/revenue-allocation"): 404,
    ("GET", "/api/v1/auctions/{auction_id}/revenue-allocation.csv"): 404,
    ("PUT", "/api/v1/revenue-requirements/{owner_id}"): 403,
    ("GET", "/api/v1/transfers/{transfer_id}"): 404,
    ("POST", "/api/v1/transfers/{transfer_id}/accept"): 404,
    ("POST", "/api/v1/transfers/{transfer_id}/decline"): 404,
    ("POST", "/api/v1/transfers/{transfer_id}/cancel"): 404,
    ("POST", "/api/v1/transfers/{transfer_id}/verify"): 403,
    ("GET", "/api/v1/applications/{application_id}"): 404,
    ("POST", "/api/v1/applications/{application_id}/election"): 404,
    ("POST", "/api/v1/applications/{application_id}/withdraw"): 404,
    ("POST", "/api/v1/applications/{application_id}/defer"): 404,
    ("GET", "/api/v1/settlement/input-sets/{input_set_id}"): 403,
    ("GET", "/api/v1/settlement/input-sets/{input_set_id}/rows.csv"): 403,
    ("GET", "/api/v1/settlement/jobs/{job_id}"): 403,
    ("GET", "/api/v1/jobs/{job_id}"): 403,
    ("GET", "/api/v1/settlement/runs/{run_id}"): 403,
    ("GET", "/api/v1/settlement/runs/{run_id}/hours"): 403,
    ("GET", "/api/v1/settlement/runs/{run_id}/hours.csv"): 403,
    ("GET", "/api/v1/settlement/runs/{run_id}/holders"): 403,
    ("GET", "/api/v1/settlement/runs/{run_id}/holders.csv"): 403,
    ("GET", "/api/v1/settlement/runs/{run_id}/ftr-differences.csv"): 403,
    ("GET", "/api/v1/settlement/runs/{run_id}/differences"): 403,
    ("GET", "/api/v1/settlement/runs/{run_id}/year-state"): 403,
    ("GET", "/api/v1/settlement/months/{year}/{month}/statements/{participant_id}"): 404,
    ("GET", "/api/v1/settlement/months/{year}/{month}/statements/{participant_id}/hours.csv"): 404,
    ("GET", "/api/v1/settlement/months/{year}/{month}/statements/{participant_id}/ftrs"): 404,
    ("GET", "/api/v1/settlement/months/{year}/{month}/statements/{participant_id}/ftrs.csv"): 404,
    ("GET", "/api/v1/settlement/months/{year}/{month}/statements/{participant_id}/ftrs.parquet"): 404,
    ("POST", "/api/v1/auctions/{auction_id}/forecast"): 403,
    ("GET", "/api/v1/auctions/{auction_id}/forecast-jobs"): 404,
    ("GET", "/api/v1/forecast-jobs/{job_id}"): 404,
    ("POST", "/api/v1/clearing-jobs/{job_id}/cancel"): 403,
    ("POST", "/api/v1/forecast-jobs/{job_id}/cancel"): 403,
    ("POST", "/api/v1/settlement/jobs/{job_id}/cancel"): 403,
    ("POST", "/api/v1/clearing-jobs/{job_id}/retry"): 403,
    ("POST", "/api/v1/forecast-jobs/{job_id}/retry"): 403,
    ("POST", "/api/v1/settlement/jobs/{job_id}/retry"): 403,
}

OPERATOR_ONLY: list[tuple[str, str]] = [
    ("POST", "/api/v1/participants"),
    ("GET", "/api/v1/participants"),
    ("GET", "/api/v1/participants/{participant_id}"),
    ("PATCH", "/api/v1/participants/{participant_id}"),
    ("POST", "/api/v1/participants/{participant_id}/keys"),
    ("GET", "/api/v1/participants/{participant_id}/keys"),
    ("DELETE", "/api/v1/participants/{participant_id}/keys/{prefix}"),
    ("POST", "/api/v1/networks"),
    ("POST", "/api/v1/auctions"),
    ("POST", "/api/v1/auctions/{auction_id}/open"),
    ("POST", "/api/v1/auctions/{auction_id}/close"),
    ("PUT", "/api/v1/auctions/{auction_id}/contingency-set"),
    ("POST", "/api/v1/auctions/{auction_id}/clear"),
    ("POST", "/api/v1/auctions/{auction_id}/post"),
    ("POST", "/api/v1/auctions/{auction_id}/forecast"),
    ("POST", "/api/v1/holdings"),
    ("POST", "/api/v1/applications"),
    ("POST", "/api/v1/applications/review"),
    ("GET", "/api/v1/revenue-requirements"),
    ("PUT", "/api/v1/revenue-requirements/{owner_id}"),
    ("POST", "/api/v1/transfers/{transfer_id}/verify"),
    ("POST", "/api/v1/clearing-jobs/{job_id}/cancel"),
    ("POST", "/api/v1/forecast-jobs/{job_id}/cancel"),
    ("POST", "/api/v1/settlement/jobs/{job_id}/cancel"),
    ("POST", "/api/v1/clearing-jobs/{job_id}/retry"),
    ("POST", "/api/v1/forecast-jobs/{job_id}/retry"),
    ("POST", "/api/v1/settlement/jobs/{job_id}/retry"),
]
BIDDER_ONLY: list[tuple[str, str]] = [
    ("POST", "/api/v1/auctions/{auction_id}/bids"),
    ("POST", "/api/v1/auctions/{auction_id}/bids/bulk"),
    ("PATCH", "/api/v1/bids/{bid_id}"),
    ("DELETE", "/api/v1/bids/{bid_id}"),
    ("POST", "/api/v1/transfers"),
    ("POST", "/api/v1/transfers/{transfer_id}/accept"),
    ("POST", "/api/v1/transfers/{transfer_id}/decline"),
    ("POST", "/api/v1/transfers/{transfer_id}/cancel"),
    ("POST", "/api/v1/applications/{application_id}/election"),
    ("POST", "/api/v1/applications/{application_id}/defer"),
]


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    return [(m.upper(), p) for p, ops in app.openapi()["paths"].items() for m in ops]


def _body(method: str, path: str) -> dict[str, Any]:
    if path.endswith("/path-price"):
        return {"params": {"source": "1", "sink": "3", "class": "on_peak"}}
    if path.endswith("/bids"):
        return {"json": {"period_class": "on_peak", "source": "1", "sink": "3", "mw": "1.0", "price": "1.00"}}
    if path.endswith("/bulk"):
        return {
            "json": [{"period_class": "on_peak", "source": "1", "sink": "3", "mw": "1.0", "price": "1.00"}]
        }
    if method == "PATCH" and "/bids/" in path:
        return {"json": {"mw": "1.0"}}
    if method == "PATCH":
        return {"json": {"credit_limit": "1.00"}}
    if path.endswith("/contingency-set"):
        return {"json": {"contingency_set": "none"}}
    if method == "PUT":
        return {"json": {"amount": "1.00"}}
    if path.endswith(("/decline", "/cancel", "/election", "/retry")):
        return {"json": {}}
    if path.endswith("/transfers"):
        return {"json": TRANSFER | {"buyer_id": 1}}
    if path.endswith("/review"):
        return {"json": {"year": 2027, "month": 1}}
    if path.endswith("/applications"):
        return {"json": APPLICATION | {"applicant_id": 1}}
    return {}


TRANSFER = {
    "rights": [{"year": 2027, "month": 1, "period_class": "on_peak", "source": "1", "sink": "3"}],
    "mw": "1.0",
    "effective_from": "2027-01-16T06:00:00Z",
}
APPLICATION = {
    "kind": "ptp_assignment",
    "year": 2027,
    "month": 1,
    "last_year": 2027,
    "last_month": 1,
    "reservations": [{"reservation_id": "R1", "receipt": "1", "delivery": "3", "firm_mw": "1.0"}],
}


def test_every_route_with_an_id_is_covered(app: FastAPI) -> None:
    with_ids = {(m, p) for m, p in _routes(app) if ID_PARAM.search(p)}
    assert with_ids == set(EXPECTED_FOR_OTHER)


def test_role_lists_name_real_routes(app: FastAPI) -> None:
    routes = set(_routes(app))
    assert set(OPERATOR_ONLY) <= routes and set(BIDDER_ONLY) <= routes


def test_other_participants_objects(
    client: SyncClient,
    operator_key: str,
    auction_id: int,
    network_id: int,
    clock: FixedClock,
    make_participant: Callable[..., Member],
) -> None:
    owner, other = make_participant(), make_participant()
    r = client.post(
        f"/api/v1/auctions/{auction_id}/bids",
        json={"period_class": "on_peak", "source": "1", "sink": "3", "mw": "5.0", "price": "9.00"},
        headers=owner.headers,
    )
    bid_id = r.json()["id"]
    buyer = make_participant()
    right = {"year": 2027, "month": 1, "period_class": "on_peak", "source": "1", "sink": "3"}
    right |= {"holder_id": owner.id, "mw": "1.0"}
    assert client.post("/api/v1/holdings", json=right, headers=bearer(operator_key)).status_code == 201
    transfer = client.post("/api/v1/transfers", json=TRANSFER | {"buyer_id": buyer.id}, headers=owner.headers)
    assert transfer.status_code == 201, transfer.text
    oi = bearer(operator_key)
    application = client.post(
        "/api/v1/applications", json=APPLICATION | {"applicant_id": owner.id}, headers=oi
    )
    assert application.status_code == 201, application.text
    clock.set(JANUARY_2027_CLOSES + timedelta(minutes=1))
    job = client.post(f"/api/v1/auctions/{auction_id}/clear", headers=bearer(operator_key)).json()
    client.app.state.jobs.wait_idle(timeout=120)
    ids = {
        "bid_id": bid_id,
        "participant_id": owner.id,
        "job_id": job["id"],
        "auction_id": auction_id,
        "version_id": network_id,
        "period_class": "on_peak",
        "table": "awards",
        "transfer_id": transfer.json()["id"],
        "application_id": application.json()["id"],
        "owner_id": make_participant("transmission_owner").id,
        "input_set_id": 1,
        "run_id": 1,
        "year": 2027,
        "month": 1,
        "prefix": "0123456789ab",
    }
    for (method, path), expected in EXPECTED_FOR_OTHER.items():
        url = path.format(**ids)
        response = client.request(method, url, headers=other.headers, **_body(method, path))
        assert response.status_code == expected, (method, path, response.text)
        if expected == 200 and path.endswith("/bids"):
            assert response.json()["total"] == 0, "another participant's bids never listed"
        if expected == 200 and path.endswith("/bids.csv"):
            assert response.text.count("\n") == 1, "only the header: another participant's bids never listed"
    # The owner still reaches its own bid.
    assert client.get(f"/api/v1/bids/{bid_id}", headers=owner.headers).status_code == 200


@pytest.mark.parametrize("role", ["trader", "lse", "transmission_owner", "auditor"])
def test_roles_refused(
    client: SyncClient, role: str, auction_id: int, network_id: int, make_participant: Callable[..., Member]
) -> None:
    member = make_participant(role)
    ids = {
        "auction_id": auction_id,
        "participant_id": member.id,
        "bid_id": 1,
        "transfer_id": 1,
        "application_id": 1,
        "owner_id": member.id,
        "job_id": 1,
        "prefix": "0123456789ab",
    }
    refused = list(OPERATOR_ONLY) + ([] if role in ("trader", "lse") else BIDDER_ONLY)
    for method, path in refused:
        response = client.request(method, path.format(**ids), headers=member.headers, **_body(method, path))
        assert response.status_code == 403, (role, method, path, response.text)
        assert response.json()["type"].endswith("/forbidden")


def test_operator_cannot_touch_a_participants_bid(
    client: SyncClient, operator_key: str, auction_id: int, make_participant: Callable[..., Member]
) -> None:
    owner = make_participant()
    r = client.post(
        f"/api/v1/auctions/{auction_id}/bids",
        json={"period_class": "on_peak", "source": "1", "sink": "3", "mw": "5.0", "price": "9.00"},
        headers=owner.headers,
    )
    bid_id = r.json()["id"]
    assert client.get(f"/api/v1/bids/{bid_id}", headers=bearer(operator_key)).status_code == 200
    r = client.patch(f"/api/v1/bids/{bid_id}", json={"mw": "1.0"}, headers=bearer(operator_key))
    assert r.status_code == 403
