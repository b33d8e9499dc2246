"""Forfeiture through HTTP (OA 5.2.1(b),(c)): an auction FTR whose holder's virtual bid at its source
widened the day-ahead spread beyond the real-time spread earns at most price paid / hours in the month.

The January 2027 auction of the docs/rules.md worked example is cleared and posted, so the holdings are
auction purchases with their clearing prices: B1 holds 1 -> 3, 50 MW bought at 10 $/MW.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pandas as pd

from app.clock import FixedClock
from market_calendar import month_hour_index, on_peak_mask
from tests.app.conftest import JANUARY_2027_CLOSES, Member, bearer
from tests.app.http import SyncClient
from tests.app.test_clearing import clear, submit_worked_example

YEAR, MONTH = 2027, 1


def _prices(special: dict[pd.Timestamp, tuple[int, int, int]], flat: tuple[int, int, int]) -> str:
    lines = ["hour_ending,node,price"]
    for h in month_hour_index(YEAR, MONTH):
        values = special.get(h, flat)
        lines += [f"{h.isoformat()},{node},{values[i]}" for i, node in enumerate(("1", "2", "3"))]
    return "\n".join(lines) + "\n"


def _put(client: SyncClient, key: str, kind: str, text: str) -> None:
    r = client.post(
        f"/api/v1/settlement/months/{YEAR}/{MONTH}/inputs/{kind}",
        content=text.encode(),
        headers={**bearer(key), "Content-Type": "text/csv"},
    )
    assert r.status_code == 201, r.text


def test_virtual_bid_at_the_source_caps_the_target_allocation(
    client: SyncClient,
    operator_key: str,
    auction_id: int,
    clock: FixedClock,
    make_participant: Callable[..., Member],
) -> None:
    from tests.app.test_settlement import wait_job

    bids = submit_worked_example(client, auction_id, make_participant)
    clock.set(JANUARY_2027_CLOSES + timedelta(minutes=5))
    assert clear(client, operator_key, auction_id)["status"] == "succeeded"
    assert client.post(f"/api/v1/auctions/{auction_id}/post", headers=bearer(operator_key)).status_code == 200
    b1 = bids["B1"][0]
    hours = month_hour_index(YEAR, MONTH)
    h, g = list(hours[on_peak_mask(hours)][:2])
    _put(client, operator_key, "da_prices", _prices({h: (20, 25, 35), g: (20, 25, 35)}, (30, 30, 30)))
    _put(client, operator_key, "rt_prices", _prices({}, (30, 30, 30)))
    charges = ["hour_ending,da_congestion"] + [
        f"{t.isoformat()},{100000 if t in (h, g) else 0}" for t in hours
    ]
    _put(client, operator_key, "da_congestion", "\n".join(charges) + "\n")
    _put(
        client,
        operator_key,
        "virtual_bids",
        f"participant_id,node,hour_ending,mw\n{b1.id},1,{h.isoformat()},10\n",
    )
    binding = f"hour_ending,constraint_id,shadow_price\n{h.isoformat()},1-3,15\n{g.isoformat()},1-3,15\n"
    _put(client, operator_key, "binding_constraints", binding)

    r = client.post(f"/api/v1/settlement/months/{YEAR}/{MONTH}/runs", json={}, headers=bearer(operator_key))
    assert r.status_code == 202, r.text
    job = wait_job(client, operator_key, r.json()["id"])
    assert job["status"] == "succeeded", job

    base = f"/api/v1/settlement/months/{YEAR}/{MONTH}/statements/{b1.id}"
    ftrs = client.get(f"{base}/ftrs", headers=b1.headers).json()
    at = {pd.Timestamp(f["hour_ending"]): f for f in ftrs}
    cap = Decimal(50 * 10) / Decimal(len(hours))
    assert at[h]["target_allocation_before_forfeiture"] == "750.00"
    assert at[h]["target_allocation"] == str(cap.quantize(Decimal("0.01")))
    assert Decimal(at[h]["forfeited"]) == (Decimal(750) - cap).quantize(Decimal("0.01"))
    assert at[g]["forfeited"] == "0.00" and at[g]["target_allocation"] == "750.00", "no virtual bid in g"
    totals = client.get(base, headers=b1.headers).json()["month_totals"]
    assert Decimal(totals["forfeited"]) == (Decimal(750) - cap).quantize(Decimal("0.01"))
    other = bids["B4"][0]
    other_ftrs = client.get(
        f"/api/v1/settlement/months/{YEAR}/{MONTH}/statements/{other.id}/ftrs", headers=other.headers
    ).json()
    assert all(f["forfeited"] == "0.00" for f in other_ftrs), "B4 placed no virtual bid"
