"""The OpenAPI contract, checked by schemathesis against the ASGI app (its checks, both databases).

Every operation gets a few derandomised examples, valid and invalid, sent with the OI's key (which
may call everything); each response goes through schemathesis's checks: no server error, a
documented status code, content type and headers, a body matching the response schema, invalid
requests refused, missing or invalid authentication refused (401), unsupported methods answered
405 with a complete ``Allow`` header. One check is left out, ``positive_data_acceptance``: a
request the schema allows can still break a rule no JSON schema says (an unknown pricing point,
a closed bid window, a network file that does not parse), and the service answers it with 422.
The failed-key rate limit is off here (``tests/app/test_security.py`` covers it): the auth checks
send invalid keys on purpose.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.result import Ok
from schemathesis.schemas import APIOperation

from app.settings import Environment, Settings
from tests.app.conftest import TEST_SECRET, bearer
from tests.app.http import SyncClient

EXAMPLES_PER_OPERATION = 6


@pytest.fixture
def settings() -> Settings:
    return Settings(
        env=Environment.TEST, secret_key=TEST_SECRET, database_url="sqlite://", rate_limit_failed_keys_burst=0
    )


def _operations(app: FastAPI) -> list[APIOperation]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the OpenAPI document has an invalid operation: {result}"
        operations.append(result.ok())
    return operations


def test_every_operation_keeps_its_contract(
    app: FastAPI, operator_key: str, network_id: int, auction_id: int
) -> None:
    failures: list[str] = []
    for operation in _operations(app):
        _check(operation, operator_key, failures)
    assert failures == []


def _check(operation: APIOperation, operator_key: str, failures: list[str]) -> None:
    cases = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE)

    @given(case=cases)
    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        try:
            case.call_and_validate(headers=bearer(operator_key), excluded_checks=[positive_data_acceptance])
        except AssertionError as exc:  # schemathesis's failures (a group of every distinct one)
            failures.append(f"{operation.label}: {exc}")

    check()


class TestContractFixes:
    def test_allow_names_every_method_of_the_path(self, client: SyncClient, operator_key: str) -> None:
        r = client.put("/api/v1/bids/1", json={}, headers=bearer(operator_key))
        assert r.status_code == 405
        assert set(r.headers["allow"].split(", ")) >= {"GET", "PATCH", "DELETE"}
        assert r.headers["content-type"] == "application/problem+json"

    @pytest.mark.parametrize("at", ["0", "1700000000", "2027-01-16"])
    def test_a_number_is_not_a_date_time(self, client: SyncClient, operator_key: str, at: str) -> None:
        r = client.get("/api/v1/holdings/positions", params={"at": at}, headers=bearer(operator_key))
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == ["query.at"]

    def test_unparseable_body_is_a_documented_400(
        self, app: FastAPI, client: SyncClient, operator_key: str
    ) -> None:
        r = client.post(
            "/api/v1/transfers",
            content=b"{not json",
            headers={**bearer(operator_key), "content-type": "application/json"},
        )
        assert r.status_code in (400, 422), r.text
        assert "400" in app.openapi()["paths"]["/api/v1/transfers"]["post"]["responses"]
