"""OA 5.2.2(b) caps over the whole set for the period (both databases): the designations of earlier
NSU applications still pending or assigned, whose terms meet the new one's, are counted; withdrawn and
not-assigned ones are not; the review re-judges in order of receipt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.app.conftest import Member, bearer
from tests.app.http import SyncClient


def designation(
    mw: str, resource: str = "G1", capacity: str = "100.0", zone: str = "Z", peak: str = "80.0"
) -> dict[str, str]:
    return {
        "resource_id": resource,
        "resource_point": "1",
        "installed_capacity": capacity,
        "zone": zone,
        "load_point": "3",
        "peak_load": peak,
        "mw": mw,
    }


def nsu(applicant: Member, *designations: dict[str, str], first: int = 1, last: int = 2) -> dict[str, Any]:
    return {
        "applicant_id": applicant.id,
        "kind": "nsu_allocation",
        "year": 2027,
        "month": first,
        "last_year": 2027,
        "last_month": last,
        "designations": list(designations),
    }


def add_auction(client: SyncClient, operator_key: str, network_id: int, month: int) -> None:
    body = {"year": 2027, "month": month, "network_version_id": network_id}
    r = client.post("/api/v1/auctions", json=body, headers=bearer(operator_key))
    assert r.status_code == 201, r.text


def submit(client: SyncClient, operator_key: str, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/applications", json=body, headers=bearer(operator_key))


def stored(client: SyncClient, operator_key: str) -> list[tuple[int, str]]:
    rows = client.get("/api/v1/applications", headers=bearer(operator_key)).json()
    return [(a["id"], a["state"]) for a in rows]


class TestCapsAcrossApplications:
    def test_second_application_over_the_peak_load_refused_naming_the_first(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        make_participant: Callable[..., Member],
    ) -> None:
        user = make_participant("lse")
        r = submit(client, operator_key, nsu(user, designation("50.0")))
        assert r.status_code == 201, r.text
        first = r.json()["id"]
        before = stored(client, operator_key)

        r = submit(client, operator_key, nsu(user, designation("10.0", "G2"), designation("20.1")))
        assert r.status_code == 422, r.text
        problem = r.json()
        assert problem["type"].endswith("/validation-failed")
        assert r.headers["content-type"].startswith("application/problem+json")
        assert problem["counted_applications"] == [first]
        why = (
            f"participant {user.id} in zone 'Z': 80.1 MW designated (30.1 MW here, 50 MW in application "
            f"{first}) exceeds its peak load of 80 MW (OA 5.2.2(b))"
        )
        assert [e["field"] for e in problem["errors"]] == ["body.designations.0", "body.designations.1"]
        assert all(e["reason"] == why for e in problem["errors"])
        assert stored(client, operator_key) == before, "nothing stored on refusal"

    def test_exactly_at_the_peak_load_accepted(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        make_participant: Callable[..., Member],
    ) -> None:
        user = make_participant("lse")
        assert submit(client, operator_key, nsu(user, designation("50.0"))).status_code == 201
        r = submit(client, operator_key, nsu(user, designation("10.0", "G2"), designation("20.0")))
        assert r.status_code == 201, r.text
        assert r.json()["state"] == "pending"

    def test_a_withdrawn_application_frees_its_mw(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        make_participant: Callable[..., Member],
    ) -> None:
        user = make_participant("lse")
        first = submit(client, operator_key, nsu(user, designation("50.0"))).json()["id"]
        assert submit(client, operator_key, nsu(user, designation("80.0"))).status_code == 422
        r = client.post(f"/api/v1/applications/{first}/withdraw", headers=user.headers)
        assert r.status_code == 200 and r.json()["state"] == "withdrawn"
        r = submit(client, operator_key, nsu(user, designation("80.0")))
        assert r.status_code == 201, r.text

    def test_two_users_cannot_share_a_resource_beyond_its_installed_capacity(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        make_participant: Callable[..., Member],
    ) -> None:
        a, b = make_participant("lse"), make_participant("lse")
        first = submit(client, operator_key, nsu(a, designation("60.0"))).json()["id"]
        r = submit(client, operator_key, nsu(b, designation("40.1")))
        assert r.status_code == 422, r.text
        [error] = r.json()["errors"]
        assert error["field"] == "body.designations.0"
        assert error["reason"] == (
            f"resource 'G1': 100.1 MW designated (40.1 MW here, 60 MW in application {first}) exceeds its "
            "installed capacity of 100 MW (OA 5.2.2(b))"
        ), "b's own zone has room: only the resource cap, which spans users, refuses"
        assert r.json()["counted_applications"] == [first]
        assert submit(client, operator_key, nsu(b, designation("40.0"))).status_code == 201

    def test_terms_that_do_not_overlap_do_not_count(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        network_id: int,
        make_participant: Callable[..., Member],
    ) -> None:
        add_auction(client, operator_key, network_id, 3)
        user = make_participant("lse")
        january = submit(client, operator_key, nsu(user, designation("80.0"), first=1, last=2)).json()["id"]
        r = submit(client, operator_key, nsu(user, designation("80.0"), first=3, last=3))
        assert r.status_code == 201, r.text
        march = r.json()["id"]
        # A term over February and March meets each of them in its own months.
        r = submit(client, operator_key, nsu(make_participant("lse"), designation("20.1"), first=2, last=3))
        assert r.status_code == 422 and r.json()["counted_applications"] == [january, march]
        assert r.json()["errors"][0]["reason"] == (
            f"resource 'G1': 100.1 MW designated (20.1 MW here, 80 MW in application {january}) exceeds its "
            "installed capacity of 100 MW (OA 5.2.2(b)) in 2027-02; resource 'G1': 100.1 MW designated "
            f"(20.1 MW here, 80 MW in application {march}) exceeds its installed capacity of 100 MW "
            "(OA 5.2.2(b)) in 2027-03"
        )

    def test_another_peak_load_or_installed_capacity_for_the_same_months_refused(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        make_participant: Callable[..., Member],
    ) -> None:
        user, other = make_participant("lse"), make_participant("lse")
        first = submit(client, operator_key, nsu(user, designation("10.0"))).json()["id"]
        r = submit(client, operator_key, nsu(user, designation("10.0", "G2", peak="90.0")))
        assert r.status_code == 422
        assert r.json()["errors"][0]["reason"] == (
            f"participant {user.id} in zone 'Z': peak load stated here as 90 MW, but 80 MW in application "
            f"{first} (one peak load per user and zone, OA 5.2.2(b))"
        )
        r = submit(client, operator_key, nsu(other, designation("10.0", capacity="120.0")))
        assert r.status_code == 422 and r.json()["counted_applications"] == [first]
        assert (
            "with an installed capacity of 120 MW, but at point '1' with 100 MW in application"
            in (r.json()["errors"][0]["reason"])
        )
        # Within one application, too.
        r = submit(client, operator_key, nsu(other, designation("1.0"), designation("1.0", capacity="90.0")))
        assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["body.designations.1"]


class TestReview:
    def test_a_deferred_application_comes_back_first_in_order_of_receipt(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        network_id: int,
        make_participant: Callable[..., Member],
    ) -> None:
        oi = bearer(operator_key)
        add_auction(client, operator_key, network_id, 2)
        user = make_participant("lse")
        early = submit(client, operator_key, nsu(user, designation("50.0"))).json()["id"]
        # January's window is open: reviewed now, it is not assigned and holds no MW.
        client.post("/api/v1/applications/review", json={"year": 2027, "month": 1}, headers=oi)
        assert dict(stored(client, operator_key))[early] == "not_assigned"
        late = submit(client, operator_key, nsu(user, designation("50.0"), first=2, last=2)).json()["id"]
        r = client.post(f"/api/v1/applications/{early}/defer", headers=user.headers)
        assert r.status_code == 200 and r.json()["period"] == "2027-02"

        r = client.post("/api/v1/applications/review", json={"year": 2027, "month": 2}, headers=oi)
        assert r.status_code == 200, r.text
        states = {a["id"]: (a["state"], a["reason"]) for a in r.json()}
        assert states[early] == ("assigned", "")
        state, reason = states[late]
        assert state == "not_assigned"
        assert reason == (
            f"designations.0: participant {user.id} in zone 'Z': 100 MW designated (50 MW here, 50 MW in "
            f"application {early}) exceeds its peak load of 80 MW (OA 5.2.2(b))"
        )
        # The assigned application keeps counting; the not-assigned one does not.
        r = submit(client, operator_key, nsu(user, designation("30.1"), first=2, last=2))
        assert r.status_code == 422 and r.json()["counted_applications"] == [early]
        r = submit(client, operator_key, nsu(user, designation("30.0"), first=2, last=2))
        assert r.status_code == 201, r.text
