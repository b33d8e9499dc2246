"""The contingencies each auction's clearing checks, chosen by the OI at creation (none, N-1, a list)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from app.clock import FixedClock
from tests.app.conftest import JANUARY_2027_CLOSES, JANUARY_2027_OPENS, Member, bearer
from tests.app.http import SyncClient
from tests.app.test_clearing import clear, submit_worked_example


def create(client: SyncClient, operator_key: str, network_id: int, **over: Any) -> Any:
    body = {"year": 2027, "month": 1, "network_version_id": network_id, **over}
    return client.post("/api/v1/auctions", json=body, headers=bearer(operator_key))


def cleared_results(
    client: SyncClient,
    operator_key: str,
    network_id: int,
    clock: FixedClock,
    make_participant: Callable[..., Member],
    **over: Any,
) -> dict[str, Any]:
    r = create(client, operator_key, network_id, **over)
    assert r.status_code == 201, r.text
    aid = r.json()["id"]
    assert client.post(f"/api/v1/auctions/{aid}/open", headers=bearer(operator_key)).status_code == 200
    clock.set(JANUARY_2027_OPENS + timedelta(hours=1))
    submit_worked_example(client, aid, make_participant)
    clock.set(JANUARY_2027_CLOSES + timedelta(minutes=5))
    assert clear(client, operator_key, aid)["status"] == "succeeded"
    assert client.post(f"/api/v1/auctions/{aid}/post", headers=bearer(operator_key)).status_code == 200
    results: dict[str, Any] = client.get(
        f"/api/v1/auctions/{aid}/results/on_peak", headers=bearer(operator_key)
    ).json()
    return results


class TestChoice:
    @pytest.mark.parametrize(
        ("over", "field"),
        [
            ({"contingency_set": "list"}, "body"),
            ({"contingency_set": "none", "contingencies": [{"id": "c", "branches": ["1-3"]}]}, "body"),
            ({"contingency_set": "some"}, "body.contingency_set"),
            (
                {"contingency_set": "list", "contingencies": [{"id": "c", "branches": []}]},
                "body.contingencies.0.branches",
            ),
        ],
    )
    def test_malformed_choices_refused(
        self, client: SyncClient, operator_key: str, network_id: int, over: dict[str, Any], field: str
    ) -> None:
        r = create(client, operator_key, network_id, **over)
        assert r.status_code == 422, r.text
        assert any(e["field"].startswith(field) for e in r.json()["errors"]), r.text

    def test_unknown_or_repeated_branches_named(
        self, client: SyncClient, operator_key: str, network_id: int
    ) -> None:
        contingencies = [
            {"id": "c1", "branches": ["1-3", "9-9"]},
            {"id": "c1", "branches": ["1-2", "1-2"]},
        ]
        r = create(client, operator_key, network_id, contingency_set="list", contingencies=contingencies)
        assert r.status_code == 422, r.text
        assert {(e["field"], e["reason"]) for e in r.json()["errors"]} == {
            ("body.contingencies.0.branches.1", "unknown branch '9-9'"),
            ("body.contingencies.1.id", "contingency 'c1' given twice"),
            ("body.contingencies.1.branches.1", "branch '1-2' twice"),
        }
        assert client.get("/api/v1/auctions", headers=bearer(operator_key)).json()["total"] == 0

    def test_shown_on_the_auction(self, client: SyncClient, operator_key: str, network_id: int) -> None:
        contingencies = [{"id": "out 1-2", "branches": ["1-2"]}]
        r = create(client, operator_key, network_id, contingency_set="list", contingencies=contingencies)
        assert r.status_code == 201, r.text
        assert r.json()["contingency_set"] == "list" and r.json()["contingencies"] == contingencies


class TestClearing:
    def test_base_case_only(
        self,
        client: SyncClient,
        operator_key: str,
        network_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        results = cleared_results(
            client, operator_key, network_id, clock, make_participant, contingency_set="none"
        )
        assert [(b["constraint_id"], b["contingency_id"]) for b in results["binding_constraints"]] == [
            ("1-3", None)
        ]

    def test_n_1_binds_a_contingency_and_names_it(
        self,
        client: SyncClient,
        operator_key: str,
        network_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        results = cleared_results(
            client, operator_key, network_id, clock, make_participant, contingency_set="all_n_1"
        )
        assert any(b["contingency_id"] for b in results["binding_constraints"]), results[
            "binding_constraints"
        ]
        awarded = sum(float(a["mw"]) for a in results["awards"] if a["source"] == "1" and a["sink"] == "3")
        assert abs(awarded - 70.0) > 1e-9, "the clearing differs from the base case's 70 MW on 1->3"
