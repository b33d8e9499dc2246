"""Applications for allocated and assigned FTRs (both databases): OA 5.2.2(b) caps, the PTP customer's
election (OA 5.2.2(c)), feasibility at submission and at review (OA 7.3.3(b)), withdrawal, deferral."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from app.clock import FixedClock
from tests.app.conftest import Member, bearer
from tests.app.http import SyncClient

BEFORE_WINDOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def ptp(applicant: Member, *reservations: tuple[str, str, str, str], **over: Any) -> dict[str, Any]:
    return {
        "applicant_id": applicant.id,
        "kind": "ptp_assignment",
        "year": 2027,
        "month": 1,
        "last_year": 2027,
        "last_month": 3,
        "reservations": [
            {"reservation_id": rid, "receipt": s, "delivery": t, "firm_mw": mw}
            for rid, s, t, mw in reservations
        ],
        **over,
    }


def nsu(applicant: Member, mw: str, peak: str = "80.0") -> dict[str, Any]:
    return {
        "applicant_id": applicant.id,
        "kind": "nsu_allocation",
        "year": 2027,
        "month": 1,
        "last_year": 2027,
        "last_month": 2,
        "designations": [
            {
                "resource_id": "G1",
                "resource_point": "1",
                "installed_capacity": "100.0",
                "zone": "Z",
                "load_point": "3",
                "peak_load": peak,
                "mw": mw,
            }
        ],
    }


class TestApplications:
    def test_lifecycle(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        oi = bearer(operator_key)
        customer, user, other = make_participant("trader"), make_participant("lse"), make_participant()
        body = ptp(customer, ("R1", "1", "3", "60.0"), ("R2", "2", "3", "30.0"))
        r = client.post("/api/v1/applications", json=body, headers=oi)
        assert r.status_code == 201, r.text
        first = r.json()
        assert first["state"] == "pending" and len(first["ftrs"]) == 2
        r = client.post(
            f"/api/v1/applications/{first['id']}/election",
            json={"election": "only", "pairs": [["1", "3"]]},
            headers=customer.headers,
        )
        assert r.status_code == 200 and r.json()["ftrs"] == [{"source": "1", "sink": "3", "mw": "60.0"}]
        assert client.get(f"/api/v1/applications/{first['id']}", headers=other.headers).status_code == 404

        # Caps (OA 5.2.2(b)) and feasibility at submission (OA 7.3.3(b)) refuse, naming why.
        r = client.post("/api/v1/applications", json=nsu(user, "90.0"), headers=oi)
        assert r.status_code == 422 and "peak load" in r.json()["errors"][0]["reason"]
        r = client.post("/api/v1/applications", json=ptp(user, ("R9", "1", "3", "100.0")), headers=oi)
        assert r.status_code == 422 and r.json()["constraint_id"] == "1-3"

        second = client.post("/api/v1/applications", json=nsu(user, "45.0"), headers=oi).json()
        assert second["state"] == "pending"

        clock.set(BEFORE_WINDOW)
        r = client.post("/api/v1/applications/review", json={"year": 2027, "month": 1}, headers=oi)
        assert r.status_code == 200, r.text
        states = {a["id"]: (a["state"], a["reason"]) for a in r.json()}
        assert states[first["id"]] == ("assigned", "")
        state, reason = states[second["id"]]
        assert state == "not_assigned" and "1-3" in reason, "60 + 45 MW 1->3 put 70 MW on the 60 MW line"

        # Assigned FTRs are 24-hour rights for every month of the term.
        for month in (1, 2, 3):
            for cls in ("on_peak", "off_peak"):
                hist = client.get(
                    "/api/v1/holdings/history",
                    params={
                        "holder_id": customer.id,
                        "year": 2027,
                        "month": month,
                        "period_class": cls,
                        "source": "1",
                        "sink": "3",
                    },
                    headers=customer.headers,
                ).json()
                assert [(s["change_mw"], s["origin"]) for s in hist["steps"]] == [("60.0", "ptp_assignment")]

        r = client.post(f"/api/v1/applications/{second['id']}/defer", headers=user.headers)
        assert r.status_code == 200 and (r.json()["state"], r.json()["period"]) == ("pending", "2027-02")
        r = client.post(f"/api/v1/applications/{second['id']}/withdraw", headers=user.headers)
        assert r.json()["state"] == "withdrawn"
        r = client.post(f"/api/v1/applications/{second['id']}/withdraw", headers=user.headers)
        assert r.status_code == 409 and r.json()["type"].endswith("/invalid-step")

    def test_review_after_the_window_opened_assigns_nothing(
        self, client: SyncClient, operator_key: str, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        oi = bearer(operator_key)
        user = make_participant("lse")
        app = client.post("/api/v1/applications", json=nsu(user, "10.0"), headers=oi).json()
        [reviewed] = client.post(
            "/api/v1/applications/review", json={"year": 2027, "month": 1}, headers=oi
        ).json()
        assert reviewed["id"] == app["id"] and reviewed["state"] == "not_assigned"
        assert "bid window opened" in reviewed["reason"]
        assert client.get("/api/v1/holdings", headers=user.headers).json()["total"] == 0
