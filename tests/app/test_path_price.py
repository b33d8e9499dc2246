"""The path price lookup: posted price(sink) - price(source) and its decomposition by binding constraint.

The worked example of docs/rules.md (three buses, line 1-3 binds at a shadow price of $15/MW):
1 -> 3 puts 2/3 of each MW on 1-3 (price 15 x 2/3 = $10/MW), 2 -> 3 puts 1/3 (= $5/MW), and
3 -> 1 relieves it (-$10/MW).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from app.clock import FixedClock
from tests.app.conftest import JANUARY_2027_CLOSES, Member, bearer
from tests.app.http import SyncClient
from tests.app.test_clearing import clear, submit_worked_example


def _url(auction_id: int, source: str, sink: str, cls: str = "on_peak") -> str:
    return f"/api/v1/auctions/{auction_id}/path-price?source={source}&sink={sink}&class={cls}"


@pytest.fixture
def posted(
    client: SyncClient,
    operator_key: str,
    auction_id: int,
    clock: FixedClock,
    make_participant: Callable[..., Member],
) -> int:
    submit_worked_example(client, auction_id, make_participant)
    clock.set(JANUARY_2027_CLOSES + timedelta(minutes=5))
    assert clear(client, operator_key, auction_id)["status"] == "succeeded"
    r = client.post(f"/api/v1/auctions/{auction_id}/post", headers=bearer(operator_key))
    assert r.status_code == 200, r.text
    return auction_id


@pytest.mark.parametrize(
    ("source", "sink", "price", "sensitivity"),
    [("1", "3", "10.00", 2 / 3), ("2", "3", "5.00", 1 / 3), ("3", "1", "-10.00", -2 / 3)],
)
def test_price_and_terms_of_the_worked_example(
    client: SyncClient,
    posted: int,
    make_participant: Callable[..., Member],
    source: str,
    sink: str,
    price: str,
    sensitivity: float,
) -> None:
    trader = make_participant()
    r = client.get(_url(posted, source, sink), headers=trader.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["price"] == price
    assert Decimal(body["sink_price"]) - Decimal(body["source_price"]) == Decimal(price)
    [term] = body["terms"]
    assert term["constraint_id"] == "1-3" and term["contingency_id"] is None
    assert float(term["shadow_price"]) == pytest.approx(15.0, abs=1e-6)
    assert float(term["sensitivity"]) == pytest.approx(sensitivity, abs=1e-6)
    assert float(term["contribution"]) == pytest.approx(float(price), abs=0.01)


def test_off_peak_without_binding_constraints_is_free(
    client: SyncClient, posted: int, make_participant: Callable[..., Member]
) -> None:
    r = client.get(_url(posted, "1", "3", "off_peak"), headers=make_participant().headers)
    assert r.status_code == 200, r.text
    assert r.json()["price"] == "0.00" and r.json()["terms"] == []


def test_class_as_users_write_it(
    client: SyncClient, posted: int, make_participant: Callable[..., Member]
) -> None:
    """Item 4 of the period-class names: the query takes ONPEAK, on-peak, peak ... like CSV and JSON."""
    headers = make_participant().headers
    canonical = client.get(_url(posted, "1", "3"), headers=headers).json()
    for written in ("ONPEAK", "on-peak", "peak"):
        r = client.get(_url(posted, "1", "3", written), headers=headers)
        assert r.status_code == 200, r.text
        assert r.json() == canonical and r.json()["period_class"] == "on_peak"
    r = client.get(_url(posted, "1", "3", "OFFPEAK"), headers=headers)
    assert r.status_code == 200 and r.json()["period_class"] == "off_peak", r.text
    r = client.get(_url(posted, "1", "3", "weekend"), headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.class", r.text
    assert "on_peak" in r.json()["errors"][0]["reason"]


def test_unknown_points_are_named(
    client: SyncClient, posted: int, make_participant: Callable[..., Member]
) -> None:
    r = client.get(_url(posted, "nowhere", "3"), headers=make_participant().headers)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["query.source"]
    assert "nowhere" in r.json()["errors"][0]["reason"]
    r = client.get(_url(posted, "3", "3"), headers=make_participant().headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.sink"


def test_not_visible_before_posting(
    client: SyncClient,
    operator_key: str,
    auction_id: int,
    clock: FixedClock,
    make_participant: Callable[..., Member],
) -> None:
    submit_worked_example(client, auction_id, make_participant)
    clock.set(JANUARY_2027_CLOSES + timedelta(minutes=5))
    assert clear(client, operator_key, auction_id)["status"] == "succeeded"
    assert client.get(_url(auction_id, "1", "3"), headers=make_participant().headers).status_code == 404
    oi = client.get(_url(auction_id, "1", "3"), headers=bearer(operator_key))
    assert oi.status_code == 200 and oi.json()["price"] == "10.00"
    assert client.get(_url(auction_id, "1", "3")).status_code == 401
