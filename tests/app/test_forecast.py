"""Revenue-adequacy forecast of a cleared auction over HTTP (OA 7.4), on SQLite and PostgreSQL.

The network is the three-bus example with offers and a load: a cheap generator at bus 1,
a dear one at bus 2 and the load at bus 3, so the 60 MW branch 1-3 congests in the day-ahead
market. FTRs cleared on that topology are revenue adequate in the base case (the theorem); an
outage of branch 1-2 that the auction did not model shrinks the 1 -> 3 capacity and must cause a
shortfall on a named constraint.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pytest
from fastapi import FastAPI

from app.cli import main
from app.clock import FixedClock
from app.db import transaction
from app.forecast.positions import forecast_positions
from network.examples import three_bus
from network.json_format import dump_network_json
from network.model import Contingency, Generator
from simulation.forecast import FtrPosition
from simulation.monthly import forecast_month
from tests.app.conftest import (
    JANUARY_2027_CLOSES,
    JANUARY_2027_OPENS,
    Database,
    Member,
    bearer,
    upload_network,
)
from tests.app.http import SyncClient

TOL = 1e-6


def priced_three_bus_json() -> bytes:
    net = replace(
        three_bus(),
        bus_demand_mw=np.array([0.0, 0.0, 150.0]),
        generators=(
            Generator(id="G1", bus_id="1", pmin_mw=0.0, pmax_mw=400.0, cost_c1=10.0),
            Generator(id="G2", bus_id="2", pmin_mw=0.0, pmax_mw=400.0, cost_c1=30.0),
        ),
    )
    return json.dumps(dump_network_json(net)).encode()


def wait_for(client: SyncClient, key: str, job_id: int, timeout: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/v1/forecast-jobs/{job_id}", headers=bearer(key)).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"forecast job {job_id} did not finish in {timeout} s")


@pytest.fixture
def cleared_auction(
    client: SyncClient, operator_key: str, clock: FixedClock, make_participant: Callable[..., Member]
) -> tuple[int, Member]:
    """January 2027 on the priced three-bus network, one on-peak and one off-peak FTR 1 -> 3, cleared."""
    oi = bearer(operator_key)
    r = upload_network(client, operator_key, priced_three_bus_json(), "json", name="priced three-bus")
    assert r.status_code == 201, r.text
    body = {"year": 2027, "month": 1, "network_version_id": r.json()["id"]}
    aid = client.post("/api/v1/auctions", json=body, headers=oi).json()["id"]
    assert client.post(f"/api/v1/auctions/{aid}/open", headers=oi).status_code == 200
    clock.set(JANUARY_2027_OPENS.replace(hour=6))
    trader = make_participant(name="forecast-trader")
    for cls in ("on_peak", "off_peak"):
        bid = {"period_class": cls, "source": "1", "sink": "3", "mw": "80.0", "price": "500.00"}
        r = client.post(f"/api/v1/auctions/{aid}/bids", json=bid, headers=trader.headers)
        assert r.status_code == 201, r.text
    clock.set(JANUARY_2027_CLOSES)
    r = client.post(f"/api/v1/auctions/{aid}/clear", headers=oi)
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 120
    while client.get(f"/api/v1/clearing-jobs/{r.json()['id']}", headers=oi).json()["status"] != "succeeded":
        assert time.monotonic() < deadline, "clearing did not finish"
        time.sleep(0.05)
    return aid, trader


def test_forecast_base_is_adequate_and_an_unmodelled_outage_is_not(
    client: SyncClient,
    operator_key: str,
    cleared_auction: tuple[int, Member],
    make_participant: Callable[..., Member],
) -> None:
    aid, trader = cleared_auction
    oi = bearer(operator_key)
    body = {"scenarios": [{"id": "1-2 out", "branch_ids": ["1-2"], "probability": 0.25}], "top_n": 5}
    r = client.post(f"/api/v1/auctions/{aid}/forecast", json=body, headers=oi)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "queued"
    assert r.headers["location"] == f"/api/v1/forecast-jobs/{r.json()['id']}"
    job = wait_for(client, operator_key, r.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    report = job["report"]
    assert report["hours"] == 744
    # 60 MW on 1-3 with 2/3 of 1 -> 3 flowing on it: 90 MW of FTR 1 -> 3 are feasible, 80 clear.
    exposed = {e["ftr_id"]: e for e in report["exposed"]}
    assert set(exposed) == {
        "forecast-trader/on_peak/1->3/obligation",
        "forecast-trader/off_peak/1->3/obligation",
    }
    scenarios = {s["scenario_id"]: s for s in report["scenarios"]}
    assert set(scenarios) == {"base", "1-2 out"}
    assert scenarios["base"]["probability"] == pytest.approx(0.75, abs=TOL)
    assert scenarios["base"]["congestion_rent"] > 0.0
    for c in scenarios["base"]["classes"]:
        assert c["target_allocation"] > 0.0
        assert c["hourly_ratio"] == pytest.approx(1.0, abs=TOL)
    # With 1-2 out all of 1 -> 3 flows on the 60 MW branch: 80 MW of FTRs, 60 MW of rent.
    for c in scenarios["1-2 out"]["classes"]:
        assert c["hourly_ratio"] < 1.0 - 0.1
        assert c["shortfall_hours"] > 0
    for cls in report["classes"]:
        ratios = [
            (s["probability"], c["hourly_ratio"])
            for s in scenarios.values()
            for c in s["classes"]
            if c["period_class"] == cls["period_class"]
        ]
        assert cls["worst_hourly_ratio"] == pytest.approx(min(r for _, r in ratios), abs=TOL)
        assert cls["worst_scenario_id"] == "1-2 out"
        expected = sum(p * r for p, r in ratios)
        assert cls["expected_hourly_ratio"] == pytest.approx(expected, abs=1e-5)
        assert cls["expected_shortfall"] > 0.0
    assert report["causes"], "a shortfall must name the constraints causing it"
    assert report["causes"][0]["constraint_id"] == "1-3"
    assert report["causes"][0]["worst_scenario_id"] == "1-2 out"
    assert all(e["worst_shortfall"] > 0.0 for e in report["exposed"])

    # The report is stored: read again, listed, readable by an auditor, invisible to a trader.
    again = client.get(f"/api/v1/forecast-jobs/{job['id']}", headers=oi).json()
    assert again["report"] == report
    auditor = make_participant(role="auditor")
    assert (
        client.get(f"/api/v1/forecast-jobs/{job['id']}", headers=auditor.headers).json()["report"] == report
    )
    listed = client.get(f"/api/v1/auctions/{aid}/forecast-jobs", headers=auditor.headers).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == job["id"]
    assert client.get(f"/api/v1/forecast-jobs/{job['id']}", headers=trader.headers).status_code == 404
    assert client.get(f"/api/v1/auctions/{aid}/forecast-jobs", headers=trader.headers).status_code == 404
    assert client.post(f"/api/v1/auctions/{aid}/forecast", headers=trader.headers).status_code == 403
    assert client.post(f"/api/v1/auctions/{aid}/forecast", headers=auditor.headers).status_code == 403


def test_only_a_cleared_unposted_auction_is_forecast(
    client: SyncClient, operator_key: str, cleared_auction: tuple[int, Member]
) -> None:
    aid, _ = cleared_auction
    oi = bearer(operator_key)
    assert client.post(f"/api/v1/auctions/{aid}/post", headers=oi).status_code == 200
    r = client.post(f"/api/v1/auctions/{aid}/forecast", headers=oi)
    assert r.status_code == 409, r.text
    assert r.json()["current_status"] == "posted"
    assert client.post("/api/v1/auctions/99999/forecast", headers=oi).status_code == 404


def test_bad_scenarios_are_refused_or_recorded(
    client: SyncClient, operator_key: str, cleared_auction: tuple[int, Member]
) -> None:
    aid, _ = cleared_auction
    oi = bearer(operator_key)
    bad = {"scenarios": [{"id": "x", "branch_ids": ["1-2"], "probability": 1.5}]}
    r = client.post(f"/api/v1/auctions/{aid}/forecast", json=bad, headers=oi)
    assert r.status_code == 422, r.text
    # Probabilities summing above 1 pass the schema but fail in the engine: recorded, nothing stored.
    over = {
        "scenarios": [
            {"id": "a", "branch_ids": ["1-2"], "probability": 0.6},
            {"id": "b", "branch_ids": ["2-3"], "probability": 0.6},
        ]
    }
    r = client.post(f"/api/v1/auctions/{aid}/forecast", json=over, headers=oi)
    assert r.status_code == 202, r.text
    job = wait_for(client, operator_key, r.json()["id"])
    assert job["status"] == "failed"
    assert "sum to <= 1" in job["error"]
    assert job["report"] is None


def _cli_url(database: Database) -> str:
    if not database.connect_args:
        return database.url
    return f"{database.url}?options={quote(database.connect_args['options'])}"


def test_command_line_forecast_is_stored_and_printed(
    client: SyncClient,
    operator_key: str,
    cleared_auction: tuple[int, Member],
    database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    aid, _ = cleared_auction
    monkeypatch.setenv("DATABASE_URL", _cli_url(database))
    monkeypatch.setenv("FTR_ENV", "development")
    scenarios = tmp_path / "scenarios.json"
    scenarios.write_text(json.dumps([{"id": "1-2 out", "branch_ids": ["1-2"], "probability": 0.5}]))
    args = ["forecast", "--auction", str(aid), "--operator", "The OI", "--scenarios", str(scenarios)]
    out_json = tmp_path / "report.json"
    assert main([*args, "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    assert "payout ratio per class:" in out and "constraints causing shortfalls" in out
    assert "1-3" in out
    stored = json.loads(out_json.read_text())
    r = client.get(f"/api/v1/auctions/{aid}/forecast-jobs", headers=bearer(operator_key))
    assert r.status_code == 200 and r.json()["total"] == 1
    assert r.json()["items"][0]["report"] == stored
    # Bad input exits 2 and stores nothing.
    assert main(["forecast", "--auction", str(aid), "--operator", "nobody"]) == 2
    assert main([*args[:-1], str(tmp_path / "missing.json")]) == 2
    assert main(["forecast", "--auction", "99999", "--operator", "The OI"]) == 2
    assert "not found" in capsys.readouterr().err
    r = client.get(f"/api/v1/auctions/{aid}/forecast-jobs", headers=bearer(operator_key))
    assert r.json()["total"] == 1


def test_positions_count_a_posted_auction_once(
    app: FastAPI, client: SyncClient, operator_key: str, cleared_auction: tuple[int, Member]
) -> None:
    aid, _ = cleared_auction
    with transaction(app.state.engine) as session:
        before = forecast_positions(session, aid)
    assert [(p.holder, p.source, p.sink, p.period_class) for p in before] == [
        ("forecast-trader", "1", "3", "off_peak"),
        ("forecast-trader", "1", "3", "on_peak"),
    ]
    assert all(p.mw == pytest.approx(80.0, abs=TOL) for p in before)
    assert client.post(f"/api/v1/auctions/{aid}/post", headers=bearer(operator_key)).status_code == 200
    with transaction(app.state.engine) as session:
        assert forecast_positions(session, aid) == before


def test_forecast_imposes_the_auctions_contingency_set(
    client: SyncClient, operator_key: str, clock: FixedClock, make_participant: Callable[..., Member]
) -> None:
    """The dear unit at bus 3: the base case allows 90 MW from bus 1, the outage of 1-2 only 60 MW.

    The auction clears with that contingency; the forecast's day-ahead market must impose the same
    N-1 row, so its congestion rent is the contingency-constrained one, not the base-case one.
    """
    net = replace(
        three_bus(),
        bus_demand_mw=np.array([0.0, 0.0, 150.0]),
        generators=(
            Generator(id="G1", bus_id="1", pmin_mw=0.0, pmax_mw=400.0, cost_c1=10.0),
            Generator(id="G3", bus_id="3", pmin_mw=0.0, pmax_mw=400.0, cost_c1=30.0),
        ),
    )
    oi = bearer(operator_key)
    r = upload_network(client, operator_key, json.dumps(dump_network_json(net)).encode(), "json", name="n-1")
    assert r.status_code == 201, r.text
    outage = [{"id": "1-2 out", "branches": ["1-2"]}]
    body = {"year": 2027, "month": 1, "network_version_id": r.json()["id"], "contingency_set": "list"}
    r = client.post("/api/v1/auctions", json={**body, "contingencies": outage}, headers=oi)
    assert r.status_code == 201, r.text
    aid = r.json()["id"]
    assert client.post(f"/api/v1/auctions/{aid}/open", headers=oi).status_code == 200
    clock.set(JANUARY_2027_OPENS.replace(hour=6))
    trader = make_participant(name="n-1-trader")
    bid = {"period_class": "on_peak", "source": "1", "sink": "3", "mw": "80.0", "price": "500.00"}
    assert client.post(f"/api/v1/auctions/{aid}/bids", json=bid, headers=trader.headers).status_code == 201
    clock.set(JANUARY_2027_CLOSES)
    r = client.post(f"/api/v1/auctions/{aid}/clear", headers=oi)
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 120
    while client.get(f"/api/v1/clearing-jobs/{r.json()['id']}", headers=oi).json()["status"] != "succeeded":
        assert time.monotonic() < deadline, "clearing did not finish"
        time.sleep(0.05)
    r = client.post(f"/api/v1/auctions/{aid}/forecast", json={"scenarios": []}, headers=oi)
    assert r.status_code == 202, r.text
    job = wait_for(client, operator_key, r.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    base = job["report"]["scenarios"][0]
    # 60 MW of 1 -> 3 clear (the N-1 limit), and the market's N-1 row funds them in full
    assert base["classes"][0]["hourly_ratio"] == pytest.approx(1.0, abs=TOL)

    ftrs = [FtrPosition("x", "h", "1", "3", 60.0, "on_peak")]
    with_row = forecast_month(
        net, None, ftrs, 2027, 1, scenarios=[], contingencies=[Contingency("1-2 out", ("1-2",))]
    )
    base_only = forecast_month(net, None, ftrs, 2027, 1, scenarios=[])
    assert base["congestion_rent"] == pytest.approx(with_row.scenarios[0].congestion_rent, rel=1e-6)
    assert abs(with_row.scenarios[0].congestion_rent - base_only.scenarios[0].congestion_rent) > 1.0
