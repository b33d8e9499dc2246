"""Clearing jobs, atomic results, posting (OA 7.3.6-7.3.8), against the docs/rules.md worked example."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlmodel import Session, func, select

from app.bid_fills import BidFill
from app.clearing import tasks
from app.clearing.tables import BindingConstraint, NodalPrice
from app.clock import FixedClock
from app.db import transaction
from app.jobs import Job, JobKind
from app.jobs.runner import mark_interrupted
from tests.app.conftest import JANUARY_2027_CLOSES, Member, bearer
from tests.app.http import SyncClient


def order(source: str, sink: str, mw: str, price: str, **over: Any) -> dict[str, Any]:
    return {"period_class": "on_peak", "source": source, "sink": sink, "mw": mw, "price": price, **over}


WORKED_EXAMPLE = {
    "B1": order("1", "3", "100.0", "10.00"),
    "B2": order("2", "3", "100.0", "8.00"),
    "B3": order("3", "1", "30.0", "1.00"),
    "B4": order("1", "3", "40.0", "10.00"),
}


def wait_for_job(client: SyncClient, operator_key: str, job_id: int, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(
            f"/api/v1/clearing-jobs/{job_id}", headers=bearer(operator_key)
        ).json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"clearing job {job_id} did not finish in {timeout} s")


def submit_worked_example(
    client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
) -> dict[str, tuple[Member, int]]:
    out = {}
    for name, body in WORKED_EXAMPLE.items():
        member = make_participant(name=f"holder-{name}")
        r = client.post(f"/api/v1/auctions/{auction_id}/bids", json=body, headers=member.headers)
        assert r.status_code == 201, r.text
        out[name] = (member, r.json()["id"])
    return out


def clear(client: SyncClient, operator_key: str, auction_id: int) -> dict[str, Any]:
    r = client.post(f"/api/v1/auctions/{auction_id}/clear", headers=bearer(operator_key))
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "queued"
    assert r.headers["location"] == f"/api/v1/clearing-jobs/{r.json()['id']}"
    return wait_for_job(client, operator_key, r.json()["id"])


class TestWorkedExample:
    def test_clear_post_and_read(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        bids = submit_worked_example(client, auction_id, make_participant)
        oi = bearer(operator_key)
        r = client.post(f"/api/v1/auctions/{auction_id}/clear", headers=oi)
        assert r.status_code == 409, "the window is still open"
        clock.set(JANUARY_2027_CLOSES + timedelta(minutes=5))
        job = clear(client, operator_key, auction_id)
        assert job["status"] == "succeeded", job
        assert job["progress"] == 1.0 and job["elapsed_s"] is not None and job["log"]
        assert client.get(f"/api/v1/auctions/{auction_id}", headers=oi).json()["status"] == "cleared"

        # Each participant sees its own fill and what it pays or is paid (OA 7.3.8).
        expected = {
            "B1": ("50.0", "10.00", "500.00"),
            "B2": ("100.0", "5.00", "500.00"),
            "B3": ("30.0", "-10.00", "-300.00"),
            "B4": ("20.0", "10.00", "200.00"),
        }
        # Nothing of the clearing reaches a participant before posting (OA 7.3.7); the OI sees it.
        for name, (member, bid_id) in bids.items():
            assert client.get(f"/api/v1/bids/{bid_id}", headers=member.headers).json()["fill"] is None
            own = client.get(f"/api/v1/auctions/{auction_id}/bids", headers=member.headers).json()["items"]
            assert [b["fill"] for b in own] == [None], name
            fill = client.get(f"/api/v1/bids/{bid_id}", headers=oi).json()["fill"]
            assert (fill["cleared_mw"], fill["clearing_price"], fill["amount"]) == expected[name], name

        trader = make_participant()
        assert (
            client.get(f"/api/v1/auctions/{auction_id}/results/on_peak", headers=trader.headers).status_code
            == 404
        )
        r = client.post(f"/api/v1/auctions/{auction_id}/post", headers=oi)
        assert r.status_code == 200 and r.json()["status"] == "posted"
        for name, (member, bid_id) in bids.items():
            fill = client.get(f"/api/v1/bids/{bid_id}", headers=member.headers).json()["fill"]
            assert (fill["cleared_mw"], fill["clearing_price"], fill["amount"]) == expected[name], name

        results = client.get(f"/api/v1/auctions/{auction_id}/results/on_peak", headers=trader.headers).json()
        awards = {
            (a["participant"], a["source"], a["sink"], a["mw"], a["clearing_price"])
            for a in results["awards"]
        }
        assert awards == {
            ("holder-B1", "1", "3", "50.0", "10.00"),
            ("holder-B2", "2", "3", "100.0", "5.00"),
            ("holder-B3", "3", "1", "30.0", "-10.00"),
            ("holder-B4", "1", "3", "20.0", "10.00"),
        }
        prices = {p["point_id"]: p["price"] for p in results["nodal_prices"]}
        assert prices["3"] == "0.00"
        assert prices["1"] == "-10.00" and prices["2"] == "-5.00"
        [binding] = results["binding_constraints"]
        assert binding["constraint_id"] == "1-3" and float(binding["shadow_price"]) == pytest.approx(
            15.0, abs=1e-6
        )
        # OA 7.3.7: no bid price anywhere in the posted results.
        text = str(results)
        assert "price': '8.00'" not in text and "'1.00'" not in text
        assert all(
            set(a) == {"participant", "side", "source", "sink", "hedge", "mw", "clearing_price"}
            for a in results["awards"]
        )

        # The class as users write it (any case, ISO spellings) names the same results.
        for spelled in ("ONPEAK", "on-peak", "Peak"):
            again = client.get(f"/api/v1/auctions/{auction_id}/results/{spelled}", headers=trader.headers)
            assert again.status_code == 200 and again.json() == results, spelled
        refused = client.get(f"/api/v1/auctions/{auction_id}/results/weekend", headers=trader.headers)
        assert refused.status_code == 422 and "onpeak" in refused.text

        csv = client.get(f"/api/v1/auctions/{auction_id}/results/on_peak/awards.csv", headers=trader.headers)
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        lines = csv.text.strip().splitlines()
        assert lines[0] == "participant,side,source,sink,hedge,mw,clearing_price" and len(lines) == 5
        off_peak = client.get(
            f"/api/v1/auctions/{auction_id}/results/off_peak", headers=trader.headers
        ).json()
        assert off_peak["awards"] == [] and off_peak["hours"] == 424

        # Awards became holdings.
        member, _ = bids["B1"]
        held = client.get("/api/v1/holdings", headers=member.headers).json()["items"]
        assert [(h["mw"], h["price"], h["origin"]) for h in held] == [("50.0", "10.00", "auction_award")]

    def test_offer_sold_and_paid(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        """docs/rules.md: a held 1->3 FTR of 21 MW offered at 6 is sold, its seller paid 10 $/MW."""
        seller = make_participant("lse", name="seller")
        allocation = {
            "holder_id": seller.id,
            "year": 2027,
            "month": 1,
            "period_class": "on_peak",
            "source": "1",
            "sink": "3",
            "mw": "21.0",
        }
        assert (
            client.post("/api/v1/holdings", json=allocation, headers=bearer(operator_key)).status_code == 201
        )
        r = client.post(
            f"/api/v1/auctions/{auction_id}/bids",
            json=order("1", "3", "21.0", "6.00", side="sell"),
            headers=seller.headers,
        )
        assert r.status_code == 201, r.text
        offer_id = r.json()["id"]
        bids = submit_worked_example(client, auction_id, make_participant)
        clock.set(JANUARY_2027_CLOSES)
        assert clear(client, operator_key, auction_id)["status"] == "succeeded"
        fill = client.get(f"/api/v1/bids/{offer_id}", headers=bearer(operator_key)).json()["fill"]
        assert (fill["cleared_mw"], fill["clearing_price"], fill["amount"]) == ("21.0", "10.00", "-210.00")
        b1 = client.get(f"/api/v1/bids/{bids['B1'][1]}", headers=bearer(operator_key)).json()["fill"]
        assert b1["cleared_mw"] == "50.0"
        assert (
            client.post(f"/api/v1/auctions/{auction_id}/post", headers=bearer(operator_key)).status_code
            == 200
        )
        held = client.get("/api/v1/holdings?year=2027&month=1", headers=seller.headers).json()["items"]
        assert sorted(h["mw"] for h in held) == ["-21.0", "21.0"]


class TestClassesClearIndependently:
    def test_off_peak_bids_do_not_touch_on_peak_results(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        bids = submit_worked_example(client, auction_id, make_participant)
        night = make_participant(name="night")
        body = order("1", "3", "100.0", "50.00", period_class="off_peak")
        r = client.post(f"/api/v1/auctions/{auction_id}/bids", json=body, headers=night.headers)
        assert r.status_code == 201
        night_bid = r.json()["id"]
        clock.set(JANUARY_2027_CLOSES)
        assert clear(client, operator_key, auction_id)["status"] == "succeeded"
        b1 = client.get(f"/api/v1/bids/{bids['B1'][1]}", headers=bearer(operator_key)).json()["fill"]
        assert (b1["cleared_mw"], b1["clearing_price"]) == ("50.0", "10.00")
        # Alone off-peak, 1->3 puts 2/3 MW per MW on the 60 MW branch 1-3: 90 MW clear, priced at its bid.
        fill = client.get(f"/api/v1/bids/{night_bid}", headers=bearer(operator_key)).json()["fill"]
        assert (fill["cleared_mw"], fill["clearing_price"]) == ("90.0", "50.00")


class TestJobs:
    def test_rerun_gives_identical_results(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        submit_worked_example(client, auction_id, make_participant)
        clock.set(JANUARY_2027_CLOSES)
        first = clear(client, operator_key, auction_id)
        second = clear(client, operator_key, auction_id)
        assert first["status"] == second["status"] == "succeeded"
        assert first["input_hash"] == second["input_hash"]
        assert first["result_hash"] == second["result_hash"]

    def test_killed_job_leaves_nothing_and_reruns_to_the_same_answer(
        self,
        app: FastAPI,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        submit_worked_example(client, auction_id, make_participant)
        clock.set(JANUARY_2027_CLOSES)
        real_add_binding = tasks.ClearingRepository.add_binding

        def die_mid_write(self: Any, rows: Any) -> None:
            raise KeyboardInterrupt("killed while writing results")

        # The worker dies after fills and nodal prices were written in the results transaction.
        monkeypatch.setattr(tasks.ClearingRepository, "add_binding", die_mid_write)
        r = client.post(f"/api/v1/auctions/{auction_id}/clear", headers=bearer(operator_key))
        job_id = r.json()["id"]
        with pytest.raises(KeyboardInterrupt):
            app.state.jobs.wait_idle(timeout=120)
        with Session(app.state.engine) as session:
            for table in (BidFill, NodalPrice, BindingConstraint):
                assert session.exec(select(func.count()).select_from(table)).one() == 0
            job = session.get(Job, job_id)
            assert job is not None and job.status == "running", "the process died: nobody marked it"
        assert (
            client.get(f"/api/v1/auctions/{auction_id}", headers=bearer(operator_key)).json()["status"]
            == "closed"
        )
        # A restart marks the interrupted job failed; a new run clears the auction.
        assert mark_interrupted(app.state.engine, clock) == 1
        assert wait_for_job(client, operator_key, job_id)["status"] == "failed"
        monkeypatch.setattr(tasks.ClearingRepository, "add_binding", real_add_binding)
        rerun = clear(client, operator_key, auction_id)
        assert rerun["status"] == "succeeded"
        again = clear(client, operator_key, auction_id)
        assert again["result_hash"] == rerun["result_hash"]

    def test_failure_is_recorded_on_the_job(
        self,
        app: FastAPI,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        submit_worked_example(client, auction_id, make_participant)
        clock.set(JANUARY_2027_CLOSES)

        def broken(self: Any, *rows: Any) -> None:
            raise RuntimeError("disk full")

        monkeypatch.setattr(tasks.ClearingRepository, "add_nodal_prices", broken)
        job = clear(client, operator_key, auction_id)
        assert job["status"] == "failed" and "disk full" in job["error"]
        with transaction(app.state.engine) as session:
            assert session.exec(select(func.count()).select_from(BidFill)).one() == 0
        assert (
            client.get(f"/api/v1/auctions/{auction_id}", headers=bearer(operator_key)).json()["status"]
            == "closed"
        )

    def test_one_job_at_a_time_and_posted_is_final(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        submit_worked_example(client, auction_id, make_participant)
        clock.set(JANUARY_2027_CLOSES)
        clear(client, operator_key, auction_id)
        assert (
            client.post(f"/api/v1/auctions/{auction_id}/post", headers=bearer(operator_key)).status_code
            == 200
        )
        r = client.post(f"/api/v1/auctions/{auction_id}/clear", headers=bearer(operator_key))
        assert r.status_code == 409
        assert (
            client.post(f"/api/v1/auctions/{auction_id}/post", headers=bearer(operator_key)).status_code
            == 409
        )

    def test_jobs_hidden_from_participants(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        clock.set(JANUARY_2027_CLOSES)
        job = clear(client, operator_key, auction_id)
        trader = make_participant()
        assert client.get(f"/api/v1/clearing-jobs/{job['id']}", headers=trader.headers).status_code == 404
        assert client.post(f"/api/v1/auctions/{auction_id}/clear", headers=trader.headers).status_code == 403
        auditor = make_participant("auditor")
        assert client.get(f"/api/v1/clearing-jobs/{job['id']}", headers=auditor.headers).status_code == 200
        assert client.post(f"/api/v1/auctions/{auction_id}/post", headers=auditor.headers).status_code == 403


class TestRecoveryAtStartUp:
    def test_start_up_fails_jobs_a_dead_process_left_running(
        self,
        app: FastAPI,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        settings: Any,
        clock: FixedClock,
    ) -> None:
        from app.main import create_app
        from app.participants.repository import ParticipantRepository
        from tests.app.http import sync_client

        with transaction(app.state.engine) as session:
            oi = ParticipantRepository(session).get_by_name("The OI")
            assert oi is not None and oi.id is not None
            job = Job(
                kind=JobKind.CLEARING,
                auction_id=auction_id,
                year=2027,
                month=1,
                status="running",
                requested_by_id=oi.id,
                created_at=clock.now(),
            )
            session.add(job)
            session.flush()
            job_id = job.id
        restarted = create_app(settings, clock=clock, engine=app.state.engine)
        with sync_client(restarted) as again:
            body = again.get(f"/api/v1/clearing-jobs/{job_id}", headers=bearer(operator_key)).json()
        assert body["status"] == "failed" and body["error"].startswith("interrupted")
