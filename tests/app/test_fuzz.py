"""Property-based fuzzing of every operation in the OpenAPI document (schemathesis + hypothesis).

Every generated request, valid or not, with the OI's key (which may call everything), must get a
response below 500; every 4xx must be an RFC 9457 problem. A bounded number of examples per
operation keeps the run short; generation is derandomised so failures reproduce.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Ok
from schemathesis.schemas import APIOperation

from tests.app.conftest import bearer
from tests.app.http import BASE_URL, SyncClient

EXAMPLES_PER_OPERATION = 4
TRANSPORT_KEYS = {"params", "headers", "json", "data", "files", "content"}


def _operations(app: FastAPI) -> list[APIOperation]:
    schema = schemathesis.openapi.from_dict(app.openapi())
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the OpenAPI document has an invalid operation: {result}"
        operations.append(result.ok())
    return operations


def test_openapi_is_complete(app: FastAPI) -> None:
    spec = app.openapi()
    for path, methods in spec["paths"].items():
        assert path.startswith("/api/v1/"), path
        for method, operation in methods.items():
            assert operation.get("description") or operation.get("summary"), (method, path)
            assert "422" in operation["responses"] or (not operation.get("parameters") and method == "get"), (
                method,
                path,
            )
    examples = [name for name, s in spec["components"]["schemas"].items() if "examples" in s]
    assert {"BidCreate", "ParticipantCreate", "AuctionCreate", "AllocationCreate"} <= set(examples)


def test_every_operation_answers_below_500(
    app: FastAPI, client: SyncClient, operator_key: str, network_id: int, auction_id: int
) -> None:
    failures: list[str] = []
    for operation in _operations(app):
        _fuzz(operation, client, operator_key, failures)
    assert failures == []


def _fuzz(operation: APIOperation, client: SyncClient, operator_key: str, failures: list[str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=bearer(operator_key))
        method, url = kwargs.pop("method"), kwargs.pop("url")
        request = {k: v for k, v in kwargs.items() if k in TRANSPORT_KEYS and v is not None}
        if isinstance(request.get("data"), str | bytes):
            request["content"] = request.pop("data")
        response = client.request(method, url.removeprefix(BASE_URL), **request)
        if response.status_code >= 500:
            failures.append(f"{operation.label}: {response.status_code} {response.text[:200]}")
        elif response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json", operation.label

    check()


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/api/v1/participants"), ("post", "/api/v1/auctions"), ("post", "/api/v1/holdings")],
)
def test_wrong_types_everywhere_are_422(
    client: SyncClient, operator_key: str, method: str, path: str
) -> None:
    bodies: list[Any] = [[], "text", 5, None, {"year": "x" * 10_000}, {"name": {"nested": True}}]
    for body in bodies:
        r = client.request(method.upper(), path, json=body, headers=bearer(operator_key))
        assert r.status_code == 422, (body, r.text)
