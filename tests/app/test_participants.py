"""Participants, API keys and roles over HTTP."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from tests.app.conftest import Member, bearer
from tests.app.http import SyncClient

PROBLEM = "application/problem+json"


class TestAuthentication:
    def test_missing_key_is_401_problem(self, client: SyncClient) -> None:
        r = client.get("/api/v1/participants/me")
        assert r.status_code == 401
        assert r.headers["content-type"] == PROBLEM
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json()["type"].endswith("/unauthenticated")

    def test_wrong_key_is_401(self, client: SyncClient, operator_key: str) -> None:
        tampered = operator_key[:-2] + ("AA" if not operator_key.endswith("AA") else "BB")
        assert client.get("/api/v1/participants/me", headers=bearer(tampered)).status_code == 401
        assert client.get("/api/v1/participants/me", headers=bearer("not-a-key")).status_code == 401

    def test_key_identifies_participant(
        self, client: SyncClient, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant("trader", name="Alice")
        r = client.get("/api/v1/participants/me", headers=alice.headers)
        assert r.status_code == 200
        assert r.json()["name"] == "Alice"
        assert r.json()["role"] == "trader"

    def test_keys_are_stored_hashed(
        self, client: SyncClient, app: FastAPI, make_participant: Callable[..., Member]
    ) -> None:
        from sqlmodel import Session, select

        from app.participants.tables import ApiKey

        alice = make_participant()
        with Session(app.state.engine) as session:
            stored = session.exec(select(ApiKey).where(ApiKey.participant_id == alice.id)).one()
        assert alice.key not in stored.key_hash
        assert len(stored.key_hash) == 64

    def test_second_key_works(
        self, client: SyncClient, operator_key: str, make_participant: Callable[..., Member]
    ) -> None:
        bob = make_participant()
        r = client.post(f"/api/v1/participants/{bob.id}/keys", headers=bearer(operator_key))
        assert r.status_code == 201
        key2 = r.json()["api_key"]
        assert key2 != bob.key
        assert client.get("/api/v1/participants/me", headers=bearer(key2)).json()["id"] == bob.id


class TestOperatorAdministers:
    def test_create_and_read(self, client: SyncClient, operator_key: str) -> None:
        body = {"name": "LSE One", "role": "lse", "credit_limit": "1234.56"}
        r = client.post("/api/v1/participants", json=body, headers=bearer(operator_key))
        assert r.status_code == 201
        created = r.json()["participant"]
        assert created["credit_limit"] == "1234.56"
        r = client.get(f"/api/v1/participants/{created['id']}", headers=bearer(operator_key))
        assert r.json()["name"] == "LSE One"

    def test_duplicate_name_is_409(self, client: SyncClient, operator_key: str) -> None:
        body = {"name": "Same", "role": "trader"}
        assert client.post("/api/v1/participants", json=body, headers=bearer(operator_key)).status_code == 201
        r = client.post("/api/v1/participants", json=body, headers=bearer(operator_key))
        assert r.status_code == 409
        assert r.json()["type"].endswith("/already-exists")

    def test_set_credit_limit(
        self, client: SyncClient, operator_key: str, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant(credit_limit="10.00")
        r = client.patch(
            f"/api/v1/participants/{alice.id}", json={"credit_limit": "99.99"}, headers=bearer(operator_key)
        )
        assert r.status_code == 200
        assert r.json()["credit_limit"] == "99.99"
        credit = client.get("/api/v1/participants/me/credit", headers=alice.headers).json()
        assert credit == {
            "participant_id": alice.id,
            "credit_limit": "99.99",
            "credit_in_use": "0.00",
            "credit_available": "99.99",
            "credit_in_use_by_awards": "0.00",
        }

    def test_negative_credit_limit_is_field_error(
        self, client: SyncClient, operator_key: str, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant()
        r = client.patch(
            f"/api/v1/participants/{alice.id}", json={"credit_limit": "-1"}, headers=bearer(operator_key)
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "body.credit_limit"

    def test_unknown_participant_is_404(self, client: SyncClient, operator_key: str) -> None:
        r = client.get("/api/v1/participants/999999", headers=bearer(operator_key))
        assert r.status_code == 404
        assert r.headers["content-type"] == PROBLEM

    def test_list_is_paginated(
        self, client: SyncClient, operator_key: str, make_participant: Callable[..., Member]
    ) -> None:
        for _ in range(3):
            make_participant()
        r = client.get("/api/v1/participants?limit=2&offset=1", headers=bearer(operator_key))
        page = r.json()
        assert page["total"] == 4  # the OI and three participants
        assert page["limit"] == 2 and page["offset"] == 1
        assert len(page["items"]) == 2

    def test_extra_field_refused(self, client: SyncClient, operator_key: str) -> None:
        body = {"name": "X", "role": "trader", "id": 5}
        r = client.post("/api/v1/participants", json=body, headers=bearer(operator_key))
        assert r.status_code == 422
        assert {"field": "body.id", "reason": "Extra inputs are not permitted"} in r.json()["errors"]


class TestRoleRefusals:
    def test_only_operator_administers(
        self, client: SyncClient, make_participant: Callable[..., Member]
    ) -> None:
        for role in ("trader", "lse", "transmission_owner", "auditor"):
            member = make_participant(role)
            body = {"name": f"made-by-{role}", "role": "trader"}
            r = client.post("/api/v1/participants", json=body, headers=member.headers)
            assert r.status_code == 403, role
            assert r.json()["type"].endswith("/forbidden")
            assert client.get("/api/v1/participants", headers=member.headers).status_code == 403
            r = client.patch(
                f"/api/v1/participants/{member.id}", json={"credit_limit": "1e9"}, headers=member.headers
            )
            assert r.status_code == 403
