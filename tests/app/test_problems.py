"""One error format (RFC 9457) for every error, and limits on what a request may send."""

from __future__ import annotations

from fastapi import FastAPI

from tests.app.conftest import bearer
from tests.app.http import SyncClient


class TestProblemDetails:
    def test_unknown_route(self, client: SyncClient) -> None:
        r = client.get("/api/v1/nothing-here")
        assert r.status_code == 404
        body = r.json()
        assert r.headers["content-type"] == "application/problem+json"
        assert set(body) >= {"type", "title", "status", "detail", "instance"}
        assert body["instance"] == "/api/v1/nothing-here"

    def test_wrong_method(self, client: SyncClient) -> None:
        r = client.put("/api/v1/health")
        assert r.status_code == 405
        assert r.json()["status"] == 405

    def test_malformed_json(self, client: SyncClient, operator_key: str) -> None:
        r = client.post(
            "/api/v1/participants",
            content=b"{not json",
            headers={**bearer(operator_key), "content-type": "application/json"},
        )
        assert r.status_code == 422
        assert r.json()["errors"]

    def test_wrong_type(self, client: SyncClient, operator_key: str) -> None:
        r = client.post(
            "/api/v1/participants", json={"name": 5, "role": "king"}, headers=bearer(operator_key)
        )
        assert r.status_code == 422
        fields = {e["field"] for e in r.json()["errors"]}
        assert fields == {"body.name", "body.role"}

    def test_bad_path_parameter(self, client: SyncClient, operator_key: str) -> None:
        r = client.get("/api/v1/participants/abc", headers=bearer(operator_key))
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "path.participant_id"

    def test_huge_body_is_413(self, client: SyncClient, app: FastAPI, operator_key: str) -> None:
        limit = app.state.settings.max_request_bytes
        r = client.post(
            "/api/v1/participants",
            content=b"x" * (limit + 1),
            headers={**bearer(operator_key), "content-type": "application/json"},
        )
        assert r.status_code == 413
        assert r.json()["type"].endswith("/payload-too-large")

    def test_health_needs_no_key(self, client: SyncClient) -> None:
        r = client.get("/api/v1/health")
        assert r.status_code == 200
        assert r.json() == {"status": "ok", "database": "ok"}
