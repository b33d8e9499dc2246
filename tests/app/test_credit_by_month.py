"""Credit by delivery month and class (both databases): the API and the portfolio page read the
same credit service; the lines add up to the position's credit in use, before and after posting
(open orders' credit moves to the awards)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from html import unescape

from app.clock import FixedClock
from tests.app.conftest import JANUARY_2027_CLOSES, Member, bearer
from tests.app.http import SyncClient
from tests.app.test_clearing import clear, order
from tests.app.test_portal import Visit


def _by_month(client: SyncClient, member: Member) -> dict[str, object]:
    r = client.get("/api/v1/participants/me/credit/by-month", headers=member.headers)
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def _adds_up(body: dict[str, object]) -> list[tuple[str, str, Decimal, Decimal]]:
    lines = body["lines"]
    assert isinstance(lines, list) and isinstance(body["position"], dict)
    total = sum((Decimal(line["credit_in_use"]) for line in lines), Decimal(0))
    assert total == Decimal(body["position"]["credit_in_use"])
    awards = sum((Decimal(line["credit_in_use_by_awards"]) for line in lines), Decimal(0))
    assert awards == Decimal(body["position"]["credit_in_use_by_awards"])
    for line in lines:
        assert Decimal(line["credit_in_use"]) == Decimal(line["credit_in_use_by_orders"]) + Decimal(
            line["credit_in_use_by_awards"]
        )
    return [
        (
            f"{line['year']}-{line['month']:02d}",
            line["period_class"],
            Decimal(line["credit_in_use_by_orders"]),
            Decimal(line["credit_in_use_by_awards"]),
        )
        for line in lines
    ]


def test_credit_lines_add_up_to_the_position_before_and_after_posting(
    client: SyncClient,
    operator_key: str,
    auction_id: int,
    clock: FixedClock,
    make_participant: Callable[..., Member],
) -> None:
    alice = make_participant(name="Alice")
    assert _adds_up(_by_month(client, alice)) == []
    for body in (order("1", "3", "10.0", "7.00"), order("2", "3", "5.0", "4.00", period_class="off_peak")):
        r = client.post(f"/api/v1/auctions/{auction_id}/bids", json=body, headers=alice.headers)
        assert r.status_code == 201, r.text
    before = _adds_up(_by_month(client, alice))
    assert [(m, c) for m, c, _, _ in before] == [("2027-01", "off_peak"), ("2027-01", "on_peak")]
    assert all(orders > 0 and awards == 0 for _, _, orders, awards in before)
    assert (
        _by_month(client, alice)["position"]
        == client.get("/api/v1/participants/me/credit", headers=alice.headers).json()
    )

    page = Visit(client)
    page.sign_in(alice.key)
    html = page.get("/portal/portfolio").text
    table = re.search(r'<table id="credit-by-month">.*?<tbody>(.*?)</tbody>', html, re.S)
    assert table is not None
    rows = [
        [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    ]
    assert [r[:2] for r in rows] == [["2027-01", "off_peak"], ["2027-01", "on_peak"]]
    assert [r[4] for r in rows] == [f"{orders + awards:,.2f}" for _, _, orders, awards in before]

    clock.set(JANUARY_2027_CLOSES + timedelta(minutes=5))
    assert clear(client, operator_key, auction_id)["status"] == "succeeded"
    assert client.post(f"/api/v1/auctions/{auction_id}/post", headers=bearer(operator_key)).status_code == 200
    after = _adds_up(_by_month(client, alice))
    assert all(orders == 0 for _, _, orders, _ in after), "posting released the orders' credit"
    assert sum(awards for _, _, _, awards in after) > 0, "the on-peak award holds credit until settled"
