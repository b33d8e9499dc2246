"""The OpenAPI links of bids and transfers, followed by schemathesis's state machine (both databases).

The OpenAPI document links a created bid to reading, changing and withdrawing it, and a requested
transfer to reading, accepting, declining, cancelling and verifying it. The state machine chains
those operations (create, then any linked step on what was created, and so on) with bodies drawn
from the schemas, and runs every check of the contract test (``tests/app/test_contract.py``) on
each response, the stateful ones included (a created resource can be read; a withdrawn one is
not lost).

Random bodies would almost never name a pricing point of the network or a right anyone holds, so
no link would ever be followed. :class:`MarketStateMachine` keeps the drawn values but maps them
onto the market before each call: a bid's source and sink onto the three-bus network's points
(chosen by the drawn strings, so they still vary), every bid into the open auction, a transfer's
rights onto the one right the seller holds, its buyer onto the buyer. Each operation is called
with the key of the participant it is for: the seller creates, reads, changes and withdraws its
bids and requests and cancels transfers, the buyer accepts and declines, the OI verifies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.transport import Response
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.checks import use_after_free

from app.settings import Environment, Settings
from tests.app.conftest import TEST_SECRET, Member, bearer
from tests.app.http import SyncClient
from tests.app.test_holdings_ledger import MID_MONTH, RIGHT, allocate

POINTS = ("1", "2", "3")
"""The three-bus network's pricing points."""
HELD_MW = "50.0"
SCENARIOS = 12
STEPS = 6
LINKED_PATHS = r"^/api/v1/(auctions/\{auction_id\}/bids|bids/\{bid_id\}|transfers(/\{transfer_id\}(/\w+)?)?)$"


@pytest.fixture
def settings() -> Settings:
    return Settings(
        env=Environment.TEST, secret_key=TEST_SECRET, database_url="sqlite://", rate_limit_failed_keys_burst=0
    )


def _pick(drawn: object, options: tuple[str, ...], avoid: str | None = None) -> str:
    """One of ``options``, chosen by the drawn value (so the choice still varies), never ``avoid``."""
    choices = [o for o in options if o != avoid]
    digest = hashlib.sha256(repr(drawn).encode()).digest()
    return choices[digest[0] % len(choices)]


def _mw(drawn: object) -> str:
    """The drawn MW if it is a plain positive 0.1-step figure up to :data:`HELD_MW`, else 5.0 MW."""
    try:
        mw = Decimal(str(drawn))
    except (InvalidOperation, ValueError):
        return "5.0"
    return str(drawn) if Decimal("0") < mw <= Decimal("50") and mw == mw.quantize(Decimal("0.1")) else "5.0"


def market_machine(app: FastAPI, auction_id: int, seller: Member, buyer: Member, operator_key: str) -> type:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex=LINKED_PATHS)
    # The document's own links only: links schemathesis infers (a list to its items) would make the
    # list operations the scenarios' only roots, and no scenario would create anything.
    schema.config.phases.stateful.inference.algorithms = []
    # Valid requests only: the chains are the point here; test_contract.py sends invalid ones to
    # every operation (and a negative case whose body is mapped onto the market would be neither).
    schema.config.phases.stateful.generation.modes = [GenerationMode.POSITIVE]
    base: Any = schema.as_state_machine()
    roles: dict[tuple[str, str], dict[str, str]] = {
        ("POST", "/api/v1/transfers/{transfer_id}/accept"): buyer.headers,
        ("POST", "/api/v1/transfers/{transfer_id}/decline"): buyer.headers,
        ("POST", "/api/v1/transfers/{transfer_id}/verify"): bearer(operator_key),
    }

    def key_for(case: Case) -> dict[str, str]:
        return roles.get((case.method.upper(), case.operation.path), seller.headers)

    class MarketStateMachine(base):  # type: ignore[misc, valid-type]
        def before_call(self, case: Case) -> None:
            # The key of the participant the operation is for, in place of any drawn credentials, and
            # marked as given (as schemathesis's own auth helpers do): the auth check then sends the
            # request again without it and with a wrong one, and expects 401 for both.
            case.headers = {**(case.headers or {}), **key_for(case)}
            case._has_explicit_auth = True
            # Assigned, not changed in place: schemathesis then validates the case again, so a
            # negative case this makes valid is checked as the valid case it now is.
            path, post = case.operation.path, case.method.upper() == "POST"
            if path == "/api/v1/auctions/{auction_id}/bids" and case.path_parameters is not None:
                case.path_parameters = {**case.path_parameters, "auction_id": auction_id}
            body = case.body
            if not isinstance(body, dict):
                return
            if path == "/api/v1/auctions/{auction_id}/bids" and post:
                source = _pick(body.get("source"), POINTS)
                case.body = {**body, "source": source, "sink": _pick(body.get("sink"), POINTS, avoid=source)}
            if path == "/api/v1/transfers" and post:
                case.body = {
                    **body,
                    "buyer_id": buyer.id,
                    "rights": [dict(RIGHT)],
                    "mw": _mw(body.get("mw")),
                    "effective_from": MID_MONTH.isoformat(),
                }

        def validate_response(
            self, response: Response, case: Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            # every check but positive_data_acceptance (see test_contract.py) and use_after_free, the
            # stateful ones with the scenario's recorder; a failure raises and fails the test.
            # use_after_free expects a 404 after DELETE, but DELETE of a bid is its withdrawal:
            # the bid stays readable with status "withdrawn", as the API documents, so the
            # trader and the audit can see it; test_bids checks that a withdrawn bid holds no credit.
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=[positive_data_acceptance, use_after_free],
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    return MarketStateMachine


def test_bid_and_transfer_links_keep_their_contract(
    app: FastAPI,
    client: SyncClient,
    operator_key: str,
    auction_id: int,
    make_participant: Callable[..., Member],
) -> None:
    seller, buyer = make_participant(credit_limit="100000000.00"), make_participant()
    assert allocate(client, operator_key, seller, HELD_MW).status_code == 201
    calls: list[tuple[str, str, int]] = []
    machine = market_machine(app, auction_id, seller, buyer, operator_key)

    class Counting(machine):  # type: ignore[misc, valid-type]
        def after_call(self, response: Response, case: Case) -> None:
            super().after_call(response, case)
            calls.append((case.method.upper(), case.operation.path, response.status_code))

    Counting.run(
        settings=hypothesis_settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    followed = {(m, p) for m, p, status in calls if status < 300}
    assert ("POST", "/api/v1/auctions/{auction_id}/bids") in followed, "random bodies created bids"
    assert ("POST", "/api/v1/transfers") in followed, "random bodies requested transfers"
    linked = {p for _, p, _ in calls} - {"/api/v1/auctions/{auction_id}/bids", "/api/v1/transfers"}
    assert {"/api/v1/bids/{bid_id}", "/api/v1/transfers/{transfer_id}"} <= linked, sorted(calls)
