"""Settlement through HTTP: the docs/rules.md worked example end to end, corrections, year end, CSV.

The example's two months are November and December 2027 (a year whose settlement starts in
November, so December and the year end follow): the example's hours are the first on-peak hours of
each month; in every other hour all prices are equal and nothing is collected, so nothing else
earns or is paid. November 2027 has 721 hours (daylight saving ends on the 7th).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlmodel import select

from app.participants.tables import Participant
from market_calendar import month_hour_index, on_peak_mask
from tests.app.conftest import START, Member, bearer
from tests.app.http import SyncClient

YEAR = 2027
M1, M2 = 11, 12
PATHS = {"P": ("1", "3", "50.0"), "Q": ("2", "3", "100.0"), "R": ("3", "1", "30.0")}
M1_PRICES = [(20, 25, 35), (20, 30, 50), (30, 30, 30)]
M1_DA = [1375, 2340, 0]
M1_RT_H3 = [8] * 11 + [12]
M2_PRICES = [(10, 10, 40)]
M2_DA = [4000]
FLAT = (30, 30, 30)


def example_hours(month: int, n: int) -> list[pd.Timestamp]:
    hours = month_hour_index(YEAR, month)
    return list(hours[on_peak_mask(hours)][:n])


def prices_csv(month: int, special: Sequence[tuple[int, int, int]]) -> str:
    hours = month_hour_index(YEAR, month)
    chosen = dict(zip(example_hours(month, len(special)), special, strict=True))
    lines = ["hour_ending,node,price"]
    for h in hours:
        values = chosen.get(h, FLAT)
        lines += [f"{h.isoformat()},{node},{values[i]}" for i, node in enumerate(("1", "2", "3"))]
    return "\n".join(lines) + "\n"


def charges_csv(month: int, da: Sequence[float | str]) -> str:
    chosen = dict(zip(example_hours(month, len(da)), da, strict=True))
    lines = ["hour_ending,da_congestion"]
    lines += [f"{h.isoformat()},{chosen.get(h, 0)}" for h in month_hour_index(YEAR, month)]
    return "\n".join(lines) + "\n"


def rt_csv(month: int, hour_index: int, amounts: Sequence[float]) -> str:
    target = example_hours(month, hour_index + 1)[hour_index]
    lines = ["interval_ending,rt_congestion"]
    for h in month_hour_index(YEAR, month):
        for k in range(12):
            end = h - pd.Timedelta(minutes=55) + pd.Timedelta(minutes=5 * k)
            lines.append(f"{end.isoformat()},{amounts[k] if h == target else 0}")
    return "\n".join(lines) + "\n"


def upload(
    client: SyncClient, key: str, month: int, kind: str, text: str | bytes, media: str = "text/csv"
) -> Any:
    return client.post(
        f"/api/v1/settlement/months/{YEAR}/{month}/inputs/{kind}",
        content=text.encode() if isinstance(text, str) else text,
        headers={**bearer(key), "Content-Type": media},
    )


def wait_job(client: SyncClient, key: str, job_id: int, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/v1/settlement/jobs/{job_id}", headers=bearer(key)).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"settlement job {job_id} did not finish in {timeout} s")


def settle(client: SyncClient, key: str, month: int, reason: str = "") -> dict[str, Any]:
    r = client.post(
        f"/api/v1/settlement/months/{YEAR}/{month}/runs", json={"reason": reason}, headers=bearer(key)
    )
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/api/v1/settlement/jobs/{r.json()['id']}"
    job = wait_job(client, key, r.json()["id"])
    assert job["status"] == "succeeded", job
    return job


def allocate(client: SyncClient, key: str, holders: dict[str, Member], month: int) -> None:
    # R's counterflow first: P and Q alone put 66.7 MW on the 60 MW branch 1-3, and each allocation
    # must be simultaneously feasible with those already recorded (OA 7.3.3(b)).
    for name in ("R", "P", "Q"):
        source, sink, mw = PATHS[name]
        body = {
            "holder_id": holders[name].id,
            "year": YEAR,
            "month": month,
            "period_class": "on_peak",
            "source": source,
            "sink": sink,
            "mw": mw,
        }
        r = client.post("/api/v1/holdings", json=body, headers=bearer(key))
        assert r.status_code == 201, r.text


@pytest.fixture
def holders(make_participant: Callable[..., Member]) -> dict[str, Member]:
    return {
        n: make_participant("lse" if n != "R" else "trader", name=f"holder-{n}")
        for n in ("P", "Q", "R", "X", "Y")
    }


@pytest.fixture
def example(
    client: SyncClient, operator_key: str, holders: dict[str, Member], network_id: int
) -> dict[str, Member]:
    """Inputs and holdings of both months uploaded (nothing settled yet).

    Each month has an auction on the three-bus network: allocations are tested for simultaneous
    feasibility on that auction's model (OA 7.3.3(b)) before they are recorded.
    """
    for month in (M1, M2):
        body = {"year": YEAR, "month": month, "network_version_id": network_id}
        r = client.post("/api/v1/auctions", json=body, headers=bearer(operator_key))
        assert r.status_code == 201, r.text
        allocate(client, operator_key, holders, month)
    for month, kind, text in (
        (M1, "da_prices", prices_csv(M1, M1_PRICES)),
        (M1, "da_congestion", charges_csv(M1, M1_DA)),
        (M1, "rt_congestion", rt_csv(M1, 2, M1_RT_H3)),
        (M2, "da_prices", prices_csv(M2, M2_PRICES)),
        (M2, "da_congestion", charges_csv(M2, M2_DA)),
    ):
        r = upload(client, operator_key, month, kind, text)
        assert r.status_code == 201, r.text
    return holders


def statement(client: SyncClient, member: Member, month: int, **params: Any) -> dict[str, Any]:
    r = client.get(
        f"/api/v1/settlement/months/{YEAR}/{month}/statements/{member.id}",
        headers=member.headers,
        params=params,
    )
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    mine = client.get(
        f"/api/v1/settlement/months/{YEAR}/{month}/statements/me", headers=member.headers, params=params
    )
    assert mine.status_code == 200 and mine.json() == data, "statements/me is the caller's own statement"
    return data


def totals(client: SyncClient, member: Member, month: int, **params: Any) -> dict[str, str]:
    t: dict[str, str] = statement(client, member, month, **params)["month_totals"]
    return {k: v for k, v in t.items() if k not in ("participant_id", "payout_ratio")}


def amounts(ta: str, credit: str, monthly: str = "0.00", annual: str = "0.00") -> dict[str, str]:
    return {
        "target_allocation": ta,
        "credit": credit,
        "forfeited": "0.00",
        "monthly_distribution": monthly,
        "annual_distribution": annual,
    }


class TestWorkedExample:
    def test_two_months_and_year_end(
        self, client: SyncClient, operator_key: str, example: dict[str, Member]
    ) -> None:
        p, q, r_ = example["P"], example["Q"], example["R"]
        settle(client, operator_key, M1)
        assert totals(client, p, M1) == amounts("2250.00", "2100.00", monthly="75.00")
        assert totals(client, q, M1) == amounts("3000.00", "2800.00", monthly="100.00")
        assert totals(client, r_, M1) == amounts("-1350.00", "-1260.00")
        hours = statement(client, p, M1)["hours"]
        h1, h2, h3 = (h.isoformat() for h in example_hours(M1, 3))
        by_hour = {pd.Timestamp(h["hour_ending"]).isoformat(): h for h in hours}
        assert (by_hour[h1]["target_allocation"], by_hour[h1]["credit"]) == ("750.00", "750.00")
        assert (by_hour[h2]["target_allocation"], by_hour[h2]["credit"]) == ("1500.00", "1350.00")
        assert by_hour[h2]["payout_ratio"] == "0.900000000000"
        assert (by_hour[h3]["target_allocation"], by_hour[h3]["credit"]) == ("0.00", "0.00")

        oi = bearer(operator_key)
        run1 = client.get(f"/api/v1/settlement/months/{YEAR}/{M1}/runs", headers=oi).json()
        assert [(r["version"], r["is_current"], r["trigger"]) for r in run1] == [(1, True, "settle")]
        summary = run1[0]["summary"]
        assert summary["hours"] == 721
        assert summary["charges"] == {
            "da_congestion": "3715.00",
            "rt_congestion": "100.00",
            "loop_flow_compensation": "0.00",
            "total": "3815.00",
        }
        assert (summary["excess"], summary["monthly_distribution"], summary["carried_to_year_end"]) == (
            "175.00",
            "175.00",
            "0.00",
        )
        hourly = client.get(f"/api/v1/settlement/runs/{run1[0]['id']}/hours", headers=oi).json()
        cases = {pd.Timestamp(h["hour_ending"]).isoformat(): (h["case"], h["excess"]) for h in hourly}
        assert cases[h1] == ("covered", "75.00")
        assert cases[h2] == ("prorated", "0.00")
        assert cases[h3] == ("covered", "100.00")

        settle(client, operator_key, M2)
        assert totals(client, p, M2) == amounts("1500.00", "1500.00", annual="75.00")
        assert totals(client, q, M2) == amounts("3000.00", "3000.00", annual="100.00")
        assert totals(client, r_, M2) == amounts("-900.00", "-900.00")
        run2 = client.get(f"/api/v1/settlement/months/{YEAR}/{M2}/runs", headers=oi).json()[0]
        assert run2["summary"]["excess"] == "400.00"
        assert run2["summary"]["carried_to_year_end"] == "225.00"
        state = client.get(f"/api/v1/settlement/runs/{run2['id']}/year-state", headers=oi).json()
        assert state["before"]["last_month"] == M1 and state["after"]["last_month"] == M2
        assert state["after"]["carried_excess"] == pytest.approx(225.0, abs=1e-9)
        assert state["after"]["holders"][str(p.id)]["annual_distribution"] == pytest.approx(75.0, abs=1e-9)

        x, y = example["X"], example["Y"]
        charges = (
            "participant_id,network_demand_charges,reserved_capacity_charges\n"
            f"{x.id},300000,0\n{y.id},600000,0\n"
        )
        r = client.post(
            f"/api/v1/settlement/years/{YEAR}/year-end-charges",
            content=charges.encode(),
            headers={**oi, "Content-Type": "text/csv"},
        )
        assert r.status_code == 201, r.text
        r = client.post(f"/api/v1/settlement/years/{YEAR}/year-end", headers=oi)
        assert r.status_code == 201, r.text
        year_end = r.json()
        assert year_end["carried"] == "225.00"
        assert {s["participant_id"]: s["amount"] for s in year_end["shares"]} == {
            x.id: "75.00",
            y.id: "150.00",
        }
        own = client.get(f"/api/v1/settlement/years/{YEAR}/year-end", headers=x.headers).json()
        assert [s["participant_id"] for s in own["shares"]] == [x.id]
        assert client.get(f"/api/v1/settlement/years/{YEAR}/year-end", headers=p.headers).status_code == 404
        links = client.get("/api/v1/audit-log", params={"action": "settlement.year_end"}, headers=oi).json()
        assert [(x["payload"]["year_end_id"], x["payload"]["carried_cents"]) for x in links["items"]] == [
            (year_end["id"], 22500)
        ]

    def test_ftr_statement_and_csv(
        self, client: SyncClient, operator_key: str, example: dict[str, Member]
    ) -> None:
        settle(client, operator_key, M1)
        p = example["P"]
        base = f"/api/v1/settlement/months/{YEAR}/{M1}/statements/{p.id}"
        ftrs = client.get(f"{base}/ftrs", headers=p.headers).json()
        h2 = example_hours(M1, 3)[1]
        row = next(f for f in ftrs if pd.Timestamp(f["hour_ending"]) == h2)
        assert (row["source"], row["sink"], row["mw"]) == ("1", "3", "50.0")
        assert (row["target_allocation"], row["credit"], row["forfeited"]) == ("1500.00", "1350.00", "0.00")
        assert sum(1 for f in ftrs) == int(on_peak_mask(month_hour_index(YEAR, M1)).sum())
        r = client.get(f"{base}/hours.csv", headers=p.headers)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        lines = r.text.splitlines()
        assert lines[0] == "hour_ending,target_allocation,credit,payout_ratio"
        assert any(line.endswith(",1500.00,1350.00,0.900000000000") for line in lines[1:])
        r = client.get(f"{base}/ftrs.csv", headers=p.headers)
        assert r.text.splitlines()[0].startswith("hour_ending,ftr_id,source,sink,mw,")
        runs = client.get(f"/api/v1/settlement/months/{YEAR}/{M1}/runs", headers=bearer(operator_key)).json()
        r = client.get(f"/api/v1/settlement/runs/{runs[0]['id']}/holders.csv", headers=bearer(operator_key))
        assert r.text.splitlines()[0] == (
            "participant_id,target_allocation,credit,forfeited,monthly_distribution,annual_distribution,payout_ratio"
        )
        assert f"{p.id},2250.00,2100.00,0.00,75.00,0.00,0.966666666667" in r.text.splitlines()


class TestCorrection:
    def test_resettle_makes_a_version_diffs_and_reflows(
        self, client: SyncClient, operator_key: str, example: dict[str, Member]
    ) -> None:
        oi = bearer(operator_key)
        p, q, r_ = example["P"], example["Q"], example["R"]
        settle(client, operator_key, M1)
        settle(client, operator_key, M2)
        r = upload(client, operator_key, M1, "da_congestion", charges_csv(M1, [1375, 2600, 0]))
        assert r.status_code == 201 and r.json()["version"] == 2, r.text
        job = settle(client, operator_key, M1, reason="corrected hour 2 charges")
        assert len(job["run_ids"]) == 2, "November re-settled and December re-flowed"

        nov = client.get(f"/api/v1/settlement/months/{YEAR}/{M1}/runs", headers=oi).json()
        dec = client.get(f"/api/v1/settlement/months/{YEAR}/{M2}/runs", headers=oi).json()
        assert [(r["version"], r["is_current"], r["trigger"]) for r in nov] == [
            (1, False, "settle"),
            (2, True, "correction"),
        ]
        assert [(r["version"], r["is_current"], r["trigger"]) for r in dec] == [
            (1, False, "settle"),
            (2, True, "reflow"),
        ]
        assert nov[1]["replaces_run_id"] == nov[0]["id"]

        assert totals(client, p, M1) == amounts("2250.00", "2250.00")
        assert totals(client, p, M1, version=1) == amounts("2250.00", "2100.00", monthly="75.00")
        assert totals(client, r_, M1) == amounts("-1350.00", "-1350.00")
        changes = client.get(f"/api/v1/settlement/runs/{nov[1]['id']}/differences", headers=oi).json()
        assert {(c["participant_id"], c["amount"]): (c["old"], c["new"], c["change"]) for c in changes} == {
            (p.id, "credit"): ("2100.00", "2250.00", "150.00"),
            (p.id, "monthly_distribution"): ("75.00", "0.00", "-75.00"),
            (q.id, "credit"): ("2800.00", "3000.00", "200.00"),
            (q.id, "monthly_distribution"): ("100.00", "0.00", "-100.00"),
            (r_.id, "credit"): ("-1260.00", "-1350.00", "-90.00"),
        }
        reflowed = client.get(f"/api/v1/settlement/runs/{dec[1]['id']}/differences", headers=oi).json()
        assert {(c["participant_id"], c["amount"], c["change"]) for c in reflowed} == {
            (p.id, "annual_distribution", "-75.00"),
            (q.id, "annual_distribution", "-100.00"),
        }
        assert dec[1]["summary"]["carried_year_to_date"] == "575.00"
        assert totals(client, p, M2) == amounts("1500.00", "1500.00")

    def test_same_upload_twice_is_one_version(self, client: SyncClient, operator_key: str) -> None:
        text = charges_csv(M1, M1_DA)
        first = upload(client, operator_key, M1, "da_congestion", text)
        again = upload(client, operator_key, M1, "da_congestion", text.replace(",", ", "))
        assert first.status_code == 201 and again.status_code == 200
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == first.json()["id"]

    def test_parquet_is_the_same_input_set(self, client: SyncClient, operator_key: str) -> None:
        import io

        text = prices_csv(M1, M1_PRICES)
        frame = pd.read_csv(io.StringIO(text), dtype={"node": str})
        frame["hour_ending"] = pd.to_datetime(frame["hour_ending"], utc=True)
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        first = upload(
            client, operator_key, M1, "da_prices", buffer.getvalue(), "application/vnd.apache.parquet"
        )
        assert first.status_code == 201, first.text
        again = upload(client, operator_key, M1, "da_prices", text)
        assert again.status_code == 200 and again.json()["content_hash"] == first.json()["content_hash"]


class TestOrder:
    def test_months_settle_in_order(
        self, client: SyncClient, operator_key: str, example: dict[str, Member]
    ) -> None:
        settle(client, operator_key, M2)
        r = client.post(f"/api/v1/settlement/months/{YEAR}/{M1}/runs", json={}, headers=bearer(operator_key))
        assert r.status_code == 409 and r.json()["type"].endswith("/month-out-of-order"), r.text

    def test_missing_inputs(self, client: SyncClient, operator_key: str) -> None:
        r = client.post(f"/api/v1/settlement/months/{YEAR}/{M1}/runs", json={}, headers=bearer(operator_key))
        assert r.status_code == 422 and r.json()["missing"] == ["da_prices", "da_congestion"], r.text

    def test_year_end_needs_december(self, client: SyncClient, operator_key: str) -> None:
        r = client.post(f"/api/v1/settlement/years/{YEAR}/year-end", headers=bearer(operator_key))
        assert r.status_code == 409 and r.json()["type"].endswith("/not-settled")


class TestFailures:
    def test_a_bad_run_is_recorded_and_stores_nothing(
        self, client: SyncClient, operator_key: str, example: dict[str, Member]
    ) -> None:
        # A new version of the prices that leaves out bus 3, where P, Q and R hold FTRs: the upload
        # itself is a well-formed table, the run cannot settle the FTRs on it.
        lines = prices_csv(M1, M1_PRICES).splitlines()
        without_3 = "\n".join(line for line in lines if line.split(",")[1] != "3") + "\n"
        assert upload(client, operator_key, M1, "da_prices", without_3).status_code == 201
        r = client.post(f"/api/v1/settlement/months/{YEAR}/{M1}/runs", json={}, headers=bearer(operator_key))
        job = wait_job(client, operator_key, r.json()["id"])
        assert job["status"] == "failed" and "pricing point '3' has no prices" in job["error"], job
        assert job["run_ids"] == []
        runs = client.get(f"/api/v1/settlement/months/{YEAR}/{M1}/runs", headers=bearer(operator_key))
        assert runs.json() == []

    def test_one_job_per_year_and_recovery_at_start_up(
        self, app: FastAPI, client: SyncClient, operator_key: str, example: dict[str, Member]
    ) -> None:
        from app.db import transaction
        from app.jobs import Job, JobKind
        from app.jobs.runner import mark_interrupted

        with transaction(app.state.engine) as session:
            oi_id = session.exec(select(Participant.id).where(Participant.role == "operator")).one()
            assert oi_id is not None
            stale = Job(
                kind=JobKind.SETTLEMENT,
                year=YEAR,
                month=M1,
                status="running",
                requested_by_id=oi_id,
                created_at=START,
            )
            session.add(stale)
        r = client.post(f"/api/v1/settlement/months/{YEAR}/{M1}/runs", json={}, headers=bearer(operator_key))
        assert r.status_code == 409 and r.json()["type"].endswith("/settlement-job-running")
        assert mark_interrupted(app.state.engine, app.state.clock) == 1
        assert stale.id is not None
        failed = wait_job(client, operator_key, stale.id)
        assert failed["status"] == "failed" and "interrupted" in failed["error"]
        settle(client, operator_key, M1)


class TestTransfer:
    def test_a_transfer_verified_mid_month_moves_the_credit_from_its_hour(
        self, client: SyncClient, operator_key: str, example: dict[str, Member]
    ) -> None:
        """P transfers 20 of its 50 MW 1 -> 3 to Q from the example's second hour (OA 5.2.2(d)).

        h1 stays P's (50 MW x 15 = 750, paid in full); from h2 on P holds 30 MW (30 x 30 = 900) and
        Q 20 MW more (20 x 30 = 600); h2 is short as before (total 2600 > 2340: 90 %). P: target
        allocation 1650, credit 750 + 810 = 1560; Q: 3000 + 600 = 3600, credit 1000 + 2340 = 3340;
        R unchanged. The month's excess 175 goes to the deficiencies P 90, Q 260 pro rata: 45, 130.
        """
        p, q, r_ = example["P"], example["Q"], example["R"]
        h1, h2, h3 = example_hours(M1, 3)
        right = {"year": YEAR, "month": M1, "period_class": "on_peak", "source": "1", "sink": "3"}
        body = {"buyer_id": q.id, "rights": [right], "mw": "20.0", "effective_from": h2.isoformat()}
        r = client.post("/api/v1/transfers", json=body, headers=p.headers)
        assert r.status_code == 201, r.text
        tid = r.json()["id"]
        assert client.post(f"/api/v1/transfers/{tid}/accept", headers=q.headers).status_code == 200
        r = client.post(f"/api/v1/transfers/{tid}/verify", headers=bearer(operator_key))
        assert r.status_code == 200 and r.json()["state"] == "verified", r.text

        settle(client, operator_key, M1)
        assert totals(client, p, M1) == amounts("1650.00", "1560.00", monthly="45.00")
        assert totals(client, q, M1) == amounts("3600.00", "3340.00", monthly="130.00")
        assert totals(client, r_, M1) == amounts("-1350.00", "-1260.00")
        by_hour = {pd.Timestamp(h["hour_ending"]): h for h in statement(client, p, M1)["hours"]}
        assert (by_hour[h1]["target_allocation"], by_hour[h1]["credit"]) == ("750.00", "750.00")
        assert (by_hour[h2]["target_allocation"], by_hour[h2]["credit"]) == ("900.00", "810.00")

        def ftr_rows(member: Member) -> dict[tuple[pd.Timestamp, str, str], dict[str, str]]:
            base = f"/api/v1/settlement/months/{YEAR}/{M1}/statements/{member.id}/ftrs"
            rows = client.get(base, headers=member.headers).json()
            return {(pd.Timestamp(f["hour_ending"]), f["source"], f["sink"]): f for f in rows}

        bought = ftr_rows(q)
        assert (h1, "1", "3") not in bought, "the transfer takes effect from h2"
        assert (bought[(h2, "1", "3")]["mw"], bought[(h2, "1", "3")]["credit"]) == ("20.0", "540.00")
        assert bought[(h3, "1", "3")]["mw"] == "20.0"
        sold = ftr_rows(p)
        assert [sold[(h, "1", "3")]["mw"] for h in (h1, h2, h3)] == ["50.0", "30.0", "30.0"]
        summary = client.get(f"/api/v1/settlement/months/{YEAR}/{M1}/runs", headers=bearer(operator_key))
        assert summary.json()[0]["summary"]["excess"] == "175.00", "the transfer moves credits, not money"


def _settlement_links(client: SyncClient, key: str) -> list[dict[str, Any]]:
    r = client.get("/api/v1/audit-log", params={"action": "settlement.run"}, headers=bearer(key))
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


class TestAudit:
    def test_every_stored_run_is_a_link_naming_its_inputs_and_result(
        self, app: FastAPI, client: SyncClient, operator_key: str, example: dict[str, Member]
    ) -> None:
        from app.db import transaction

        oi = bearer(operator_key)
        with transaction(app.state.engine) as session:
            oi_id = session.exec(select(Participant.id).where(Participant.role == "operator")).one()
        settle(client, operator_key, M1)
        settle(client, operator_key, M2)
        assert (
            upload(client, operator_key, M1, "da_congestion", charges_csv(M1, [1375, 2600, 0])).status_code
            == 201
        )
        job = settle(client, operator_key, M1, reason="corrected hour 2 charges")
        links = _settlement_links(client, operator_key)
        assert [(x["payload"]["month"], len(x["payload"]["runs"])) for x in links] == [
            (M1, 1),
            (M2, 1),
            (M1, 2),
        ]
        assert all(x["actor"] == f"participant:{oi_id}" for x in links)
        last = links[-1]["payload"]
        assert (last["job_id"], last["reason"]) == (job["id"], "corrected hour 2 charges")
        assert [run["run_id"] for run in last["runs"]] == job["run_ids"]
        for run in last["runs"]:
            stored = client.get(f"/api/v1/settlement/runs/{run['run_id']}", headers=oi).json()
            assert (run["version"], run["trigger"], run["replaces_run_id"]) == (
                stored["version"],
                stored["trigger"],
                stored["replaces_run_id"],
            )
            assert (run["input_set_ids"], run["input_hash"], run["result_hash"]) == (
                stored["input_set_ids"],
                stored["input_hash"],
                stored["result_hash"],
            )
        verdict = client.get("/api/v1/audit-log/verify", headers=oi).json()
        assert verdict["ok"], verdict

    @pytest.mark.parametrize(
        "tamper",
        [
            "UPDATE settlement_holder_month SET credit_cents = credit_cents + 1 "
            "WHERE participant_id = (SELECT MIN(participant_id) FROM settlement_holder_month)",
            "UPDATE settlement_hour SET excess_cents = excess_cents + 100",
            "DELETE FROM settlement_holder_month "
            "WHERE participant_id = (SELECT MAX(participant_id) FROM settlement_holder_month)",
        ],
    )
    def test_changed_stored_output_is_caught_by_verification(
        self, app: FastAPI, client: SyncClient, operator_key: str, example: dict[str, Member], tamper: str
    ) -> None:
        oi = bearer(operator_key)
        job = settle(client, operator_key, M1)
        [link] = _settlement_links(client, operator_key)
        assert [run["run_id"] for run in link["payload"]["runs"]] == job["run_ids"]
        assert all(len(run["output_hash"]) == 64 for run in link["payload"]["runs"])
        assert client.get("/api/v1/audit-log/verify", headers=oi).json()["ok"] is True
        with app.state.engine.begin() as conn:
            assert conn.execute(sa.text(tamper)).rowcount >= 1
        verdict = client.get("/api/v1/audit-log/verify", headers=oi).json()
        assert (verdict["ok"], verdict["first_bad_seq"], verdict["problem"]) == (
            False,
            link["seq"],
            "results-changed",
        )

    def test_a_failed_run_leaves_no_link(
        self, client: SyncClient, operator_key: str, example: dict[str, Member]
    ) -> None:
        settle(client, operator_key, M1)
        lines = prices_csv(M2, M2_PRICES).splitlines()
        without_3 = "\n".join(line for line in lines if line.split(",")[1] != "3") + "\n"
        assert upload(client, operator_key, M2, "da_prices", without_3).status_code == 201
        r = client.post(f"/api/v1/settlement/months/{YEAR}/{M2}/runs", json={}, headers=bearer(operator_key))
        assert wait_job(client, operator_key, r.json()["id"])["status"] == "failed"
        assert [x["payload"]["month"] for x in _settlement_links(client, operator_key)] == [M1]
