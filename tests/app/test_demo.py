"""``ftr demo`` builds a living market: built twice into one SQLite file, then read over HTTP.

A trader sees the open auction and the posted results of the previous month, the LSE its
holdings and its settlement statement, the OI the forecast of the previous auction; the second
build adds nothing (only fresh API keys, which are issued every run).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.cli import main
from app.commands.demo import demo_clock
from app.db import create_db_engine
from app.demo.market import previous_month
from app.main import create_app
from app.settings import Environment, Settings
from app.tables import metadata
from market_calendar import month_hour_index
from tests.app.http import SyncClient, sync_client
from tests.demo_build import KEY_LINE

ROWS_THAT_MAY_GROW = {"api_key", "audit_log", "audit_head", "audit_sub_log", "audit_sub_head"}
"""Keys are issued on every run (stored hashed, the old ones cannot be shown again)."""


@dataclass
class Demo:
    client: SyncClient
    keys: dict[str, dict[str, str]]
    ids: dict[str, int]
    upcoming: tuple[int, int]
    previous: tuple[int, int]


def _counts(url: str) -> dict[str, int]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                for t in metadata.sorted_tables
            }
    finally:
        engine.dispose()


def _keys(out: str) -> dict[str, dict[str, str]]:
    keys = {}
    for line in out.splitlines():
        m = KEY_LINE.match(line)
        if m:
            keys[m.group(1)] = {"Authorization": f"Bearer {m.group(3)}"}
    return keys


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('demo')) / 'demo.sqlite3'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", url)
        mp.setenv("FTR_ENV", "development")
        first = io.StringIO()
        with contextlib.redirect_stdout(first):
            assert main(["demo", "--no-serve"]) == 0
        after_first = _counts(url)
        second = io.StringIO()
        with contextlib.redirect_stdout(second):
            assert main(["demo", "--no-serve"]) == 0
        after_second = _counts(url)
    grown = {t for t in after_first if after_first[t] != after_second[t]}
    assert grown <= ROWS_THAT_MAY_GROW, f"the second run added rows to {sorted(grown - ROWS_THAT_MAY_GROW)}"
    keys = _keys(second.getvalue())
    assert set(keys) == {
        "Demo OI", "Demo Trader A", "Demo Trader B", "Demo LSE", "Demo TO", "Demo TO B", "Demo Auditor"
    }  # fmt: skip
    assert after_second["api_key"] == after_first["api_key"] + len(keys)
    clock, year, month = demo_clock(datetime.now(UTC))
    settings = Settings(env=Environment.DEVELOPMENT, database_url=url)
    engine = create_db_engine(url)
    app = create_app(settings, clock=clock, engine=engine)
    with sync_client(app) as client:
        ids = {
            name: client.get("/api/v1/participants/me", headers=h).json()["id"] for name, h in keys.items()
        }
        yield Demo(client, keys, ids, (year, month), previous_month(clock.now()))
    engine.dispose()


def _auctions(demo: Demo, who: str) -> dict[tuple[int, int], dict[str, Any]]:
    r = demo.client.get("/api/v1/auctions", headers=demo.keys[who])
    assert r.status_code == 200, r.text
    return {(a["year"], a["month"]): a for a in r.json()["items"]}


@pytest.mark.slow
def test_trader_sees_the_open_auction_and_posted_results(demo: Demo) -> None:
    auctions = _auctions(demo, "Demo Trader A")
    assert auctions[demo.upcoming]["status"] == "open"
    previous = auctions[demo.previous]
    assert previous["status"] == "posted"
    for cls in ("on_peak", "off_peak"):
        url = f"/api/v1/auctions/{previous['id']}/results/{cls}"
        r = demo.client.get(url, headers=demo.keys["Demo Trader A"])
        assert r.status_code == 200, r.text
        results = r.json()
        assert len(results["awards"]) > 0
        assert results["binding_constraints"], "the demo book must congest the network"
        assert len(results["nodal_prices"]) == 200
    open_id = auctions[demo.upcoming]["id"]
    mine = demo.client.get(f"/api/v1/auctions/{open_id}/bids", headers=demo.keys["Demo Trader A"])
    assert mine.status_code == 200 and mine.json()["total"] > 0


@pytest.mark.slow
def test_lse_sees_its_holdings_and_statement(demo: Demo) -> None:
    lse = demo.keys["Demo LSE"]
    py, pm = demo.previous
    r = demo.client.get("/api/v1/holdings", params={"year": py, "month": pm}, headers=lse)
    assert r.status_code == 200, r.text
    origins = {h["origin"] for h in r.json()["items"]}
    assert "nsu_allocation" in origins
    r = demo.client.get(f"/api/v1/settlement/months/{py}/{pm}/statements/{demo.ids['Demo LSE']}", headers=lse)
    assert r.status_code == 200, r.text
    statement = r.json()
    assert Decimal(statement["month_totals"]["target_allocation"]) > 0
    assert Decimal(statement["month_totals"]["credit"]) > 0
    assert len(statement["hours"]) == len(month_hour_index(py, pm))
    # Another participant's statement is not found (not forbidden).
    other = demo.client.get(
        f"/api/v1/settlement/months/{py}/{pm}/statements/{demo.ids['Demo Trader A']}", headers=lse
    )
    assert other.status_code == 404


@pytest.mark.slow
def test_lse_has_one_pending_application_for_the_upcoming_month(demo: Demo) -> None:
    """Entered once (the second run added no row: the fixture's count check)."""
    r = demo.client.get("/api/v1/applications", headers=demo.keys["Demo LSE"])
    assert r.status_code == 200, r.text
    (application,) = r.json()
    assert application["period"] == f"{demo.upcoming[0]}-{demo.upcoming[1]:02d}"
    assert application["kind"] == "ptp_assignment" and application["state"] == "pending"
    assert application["applicant_id"] == demo.ids["Demo LSE"]
    others = demo.client.get("/api/v1/applications", headers=demo.keys["Demo Trader A"])
    assert others.status_code == 200 and others.json() == []


@pytest.mark.slow
def test_oi_sees_the_forecast(demo: Demo) -> None:
    previous = _auctions(demo, "Demo OI")[demo.previous]
    for who in ("Demo OI", "Demo Auditor"):
        r = demo.client.get(f"/api/v1/auctions/{previous['id']}/forecast-jobs", headers=demo.keys[who])
        assert r.status_code == 200, r.text
        jobs = r.json()["items"]
        assert [j["status"] for j in jobs] == ["succeeded"]
        report = jobs[0]["report"]
        assert {c["period_class"] for c in report["classes"]} == {"on_peak", "off_peak"}
        assert len(report["scenarios"]) >= 2
        assert report["exposed"]
        # the auction's N-1 rows hold in the day-ahead market: the base case pays in full, the
        # outage of the N-1 row's contingency branch does not, and the shortfall is named
        scenarios = {s["scenario_id"]: s for s in report["scenarios"]}
        assert all(c["hourly_ratio"] > 1.0 - 1e-6 for c in scenarios["base"]["classes"])
        assert any(c["hourly_ratio"] < 0.95 for c in scenarios["outage 184"]["classes"])
        assert any(c["expected_shortfall"] > 0.0 for c in report["classes"])
        top = report["causes"][0]
        assert top["constraint_id"] and top["contingency_id"]
        assert top["worst_scenario_id"] == "outage 184" and top["worst_contribution"] > 0.0
    r = demo.client.get(
        f"/api/v1/auctions/{previous['id']}/forecast-jobs", headers=demo.keys["Demo Trader A"]
    )
    assert r.status_code == 404


@pytest.mark.slow
def test_settled_month_is_the_forecasts_base_case_with_n_1(demo: Demo) -> None:
    """The settled month was simulated with the auction's N-1 rows, once: its day-ahead congestion
    charges are the forecast's base-case congestion rent (the same run), to the cent per hour."""
    oi = demo.keys["Demo OI"]
    previous = _auctions(demo, "Demo OI")[demo.previous]
    assert previous["contingency_set"] == "all_n_1"
    (job,) = demo.client.get(f"/api/v1/auctions/{previous['id']}/forecast-jobs", headers=oi).json()["items"]
    assert any("the base case already simulated in this process is used" in line for line in job["log"])
    base = {s["scenario_id"]: s for s in job["report"]["scenarios"]}["base"]
    py, pm = demo.previous
    runs = demo.client.get(f"/api/v1/settlement/months/{py}/{pm}/runs", headers=oi).json()
    hours = demo.client.get(f"/api/v1/settlement/runs/{runs[-1]['id']}/hours", headers=oi).json()
    settled = sum(Decimal(h["da_congestion"]) for h in hours)
    assert settled > 0
    assert abs(float(settled) - base["congestion_rent"]) <= 0.005 * len(hours) + 1e-6


@pytest.mark.slow
def test_revenue_is_allocated_by_the_entered_requirements(demo: Demo) -> None:
    """OA 7.3.9: the previous auction's net revenue goes 60/40 to the two owners, to the cent."""
    previous = _auctions(demo, "Demo OI")[demo.previous]
    url = f"/api/v1/auctions/{previous['id']}/revenue-allocation"
    r = demo.client.get(url, headers=demo.keys["Demo OI"])
    assert r.status_code == 200, r.text
    allocation = r.json()
    net = Decimal(allocation["net_revenue"])
    assert net > 0, "the demo book's buyers pay more than its sellers are paid"
    shares = {s["owner_id"]: Decimal(s["amount"]) for s in allocation["shares"]}
    to, to_b = demo.ids["Demo TO"], demo.ids["Demo TO B"]
    assert set(shares) == {to, to_b}
    assert sum(shares.values()) == net
    assert abs(shares[to] - net * Decimal("0.6")) <= Decimal("0.01")
    own = demo.client.get(url, headers=demo.keys["Demo TO B"])
    assert own.status_code == 200, own.text
    assert [s["owner_id"] for s in own.json()["shares"]] == [to_b], "an owner sees its own share"
    trader = demo.client.get(url, headers=demo.keys["Demo Trader A"])
    assert trader.status_code == 200 and trader.json()["shares"] == [], "a trader sees no owner's share"
