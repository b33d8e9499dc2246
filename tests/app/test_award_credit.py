"""Credit held by awards from the clearing until their month is settled (docs/service.md, the credit rule)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from app.clock import FixedClock
from tests.app.conftest import JANUARY_2027_CLOSES, Member, bearer
from tests.app.http import SyncClient
from tests.app.test_clearing import clear, submit_worked_example
from tests.app.test_settlement import charges_csv, prices_csv, settle, upload


def credit(client: SyncClient, member: Member) -> dict[str, str]:
    data: dict[str, str] = client.get("/api/v1/participants/me/credit", headers=member.headers).json()
    return data


class TestAwardCredit:
    def test_held_from_clearing_until_settled_and_seen_by_later_bids(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        bids = submit_worked_example(client, auction_id, make_participant)
        b1, b3 = bids["B1"][0], bids["B3"][0]
        # orders: (max(p, 0) + 0.10 $/MWh x 320 h) x MW; B1 100 MW at 10 $/MW, B3 30 MW at 1 $/MW
        assert credit(client, b1)["credit_in_use"] == "4200.00"
        assert credit(client, b3)["credit_in_use"] == "990.00"

        clock.set(JANUARY_2027_CLOSES + timedelta(minutes=5))
        assert clear(client, operator_key, auction_id)["status"] == "succeeded"
        # Cleared but not posted: the orders still hold their credit, so nothing of the result shows.
        assert (
            credit(client, b1)["credit_in_use"] == "4200.00"
            and credit(client, b1)["credit_in_use_by_awards"] == "0.00"
        )
        r = client.post(f"/api/v1/auctions/{auction_id}/post", headers=bearer(operator_key))
        assert r.status_code == 200, r.text
        # awards: B1 50 MW at 10 $/MW -> (10 + 32) x 50; B3 30 MW of counterflow at -10 $/MW -> 32 x 30,
        # never zero although B3 is paid for its award
        assert credit(client, b1) | {"participant_id": ""} == {
            "participant_id": "",
            "credit_limit": "1000000.00",
            "credit_in_use": "2100.00",
            "credit_available": "997900.00",
            "credit_in_use_by_awards": "2100.00",
        }
        assert credit(client, b3)["credit_in_use_by_awards"] == "960.00"

        # A later auction's bids see the awards' credit.
        oi = bearer(operator_key)
        r = client.patch(f"/api/v1/participants/{b1.id}", json={"credit_limit": "3000.00"}, headers=oi)
        assert r.status_code == 200, r.text
        network = client.get(f"/api/v1/auctions/{auction_id}", headers=oi).json()["network_version_id"]

        def later_auction(month: int) -> int:
            body = {"year": 2027, "month": month, "network_version_id": network}
            r = client.post("/api/v1/auctions", json=body, headers=oi)
            assert r.status_code == 201, r.text
            aid: int = r.json()["id"]
            assert client.post(f"/api/v1/auctions/{aid}/open", headers=oi).status_code == 200
            return aid

        feb, march = later_auction(2), later_auction(3)
        order = {"period_class": "on_peak", "source": "1", "sink": "3", "mw": "1.0", "price": "1000.00"}
        clock.set(datetime(2027, 1, 12, tzinfo=UTC))  # February's window
        refused = client.post(f"/api/v1/auctions/{feb}/bids", json=order, headers=b1.headers)
        assert refused.status_code == 422 and refused.json()["credit_in_use"] == "2100.00", refused.text

        # Settling January releases the awards' credit; the same bid then fits in March's auction.
        clock.set(datetime(2027, 2, 2, tzinfo=UTC))
        for kind, text in (("da_prices", prices_csv(1, [])), ("da_congestion", charges_csv(1, []))):
            assert upload(client, operator_key, 1, kind, text).status_code == 201
        settle(client, operator_key, 1)
        assert (
            credit(client, b1)["credit_in_use"] == "0.00"
            and credit(client, b3)["credit_in_use_by_awards"] == "0.00"
        )
        clock.set(datetime(2027, 2, 10, tzinfo=UTC))  # March's window
        accepted = client.post(f"/api/v1/auctions/{march}/bids", json=order, headers=b1.headers)
        assert accepted.status_code == 201, accepted.text
