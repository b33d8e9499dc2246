"""The auditor's LP download (both databases): the cleared worked example's LP, rebuilt from the
stored inputs, re-solves in HiGHS to the auction's surplus, its inputs hash matches the clearing
job's before and after posting, the SHA-256 link gives the download's hash, and only the OI and
auditors get it."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from app.clock import FixedClock
from feasibility.highs_lp import quiet_highs
from tests.app.conftest import JANUARY_2027_CLOSES, Member, bearer
from tests.app.http import SyncClient
from tests.app.test_clearing import clear, submit_worked_example
from tests.app.test_portal import Visit

WORKED_EXAMPLE_SURPLUS = 50 * 10.0 + 100 * 8.0 + 30 * 1.0 + 20 * 10.0
"""$: B1 50 MW at $10, B2 100 MW at $8, B3 30 MW at $1, B4 20 MW at $10 (tests/app/test_clearing.py)."""


def _resolve(text: bytes, path: Path) -> float:
    path.write_bytes(text)
    h = quiet_highs()
    h.setOptionValue("threads", 1)  # as the engine: HiGHS's thread scheduler is global to the process
    h.readModel(str(path))
    h.run()
    assert h.modelStatusToString(h.getModelStatus()) == "Optimal"
    return float(h.getInfo().objective_function_value)


def test_the_auditor_downloads_the_lp_of_a_clearing(
    client: SyncClient,
    operator_key: str,
    auction_id: int,
    clock: FixedClock,
    make_participant: Callable[..., Member],
    tmp_path: Path,
) -> None:
    submit_worked_example(client, auction_id, make_participant)
    auditor = Visit(client)
    auditor.sign_in(make_participant(role="auditor").key)
    assert auditor.get(f"/portal/auctions/{auction_id}/lp/on_peak.lp").status_code == 409, "not cleared"
    clock.set(JANUARY_2027_CLOSES + timedelta(minutes=5))
    assert clear(client, operator_key, auction_id)["status"] == "succeeded"

    page = auditor.get(f"/portal/auctions/{auction_id}")
    assert 'id="download-lp-on_peak"' in page.text and 'id="lp-hash-off_peak"' in page.text
    for posted in (False, True):
        if posted:
            r = client.post(f"/api/v1/auctions/{auction_id}/post", headers=bearer(operator_key))
            assert r.status_code == 200
        lp = auditor.get(f"/portal/auctions/{auction_id}/lp/on_peak.lp")
        assert lp.status_code == 200 and lp.headers["content-type"].startswith("text/plain")
        assert f'filename="auction-{auction_id}-on_peak.lp"' in lp.headers["content-disposition"]
        assert "matches clearing job" in lp.text.splitlines()[1], "posting's awards are not inputs"
        assert _resolve(lp.content, tmp_path / "on_peak.lp") == pytest.approx(
            WORKED_EXAMPLE_SURPLUS, abs=1e-6
        )
        digest = auditor.get(f"/portal/auctions/{auction_id}/lp/on_peak.lp.sha256").text
        assert digest == f"{hashlib.sha256(lp.content).hexdigest()}  auction-{auction_id}-on_peak.lp\n"
        stated = re.search(r"rows: the (\d+) binding constraints", lp.text)
        assert stated is not None and int(stated.group(1)) >= 1
        assert 1 <= len(re.findall(r"^ r\d+: ", lp.text, re.M)) <= 2 * int(stated.group(1))
        every = auditor.get(f"/portal/auctions/{auction_id}/lp/on_peak.lp?rows=all")
        assert every.status_code == 200 and "every row of the simultaneous feasibility test" in every.text
        assert len(every.content) > len(lp.content)
        surplus = _resolve(every.content, tmp_path / "all.lp")
        assert surplus == pytest.approx(WORKED_EXAMPLE_SURPLUS, abs=1e-6)
    off_peak = auditor.get(f"/portal/auctions/{auction_id}/lp/off_peak.lp")
    assert off_peak.status_code == 200 and "0 products" in off_peak.text

    assert auditor.get(f"/portal/auctions/{auction_id}/lp/weekend.lp").status_code == 422
    assert auditor.get(f"/portal/auctions/{auction_id + 1000}/lp/on_peak.lp").status_code == 404
    trader = Visit(client)
    trader.sign_in(make_participant().key)
    assert trader.get(f"/portal/auctions/{auction_id}/lp/on_peak.lp").status_code == 403
    assert trader.get(f"/portal/auctions/{auction_id}/lp/on_peak.lp.sha256").status_code == 403
    assert 'id="download-lp-on_peak"' not in trader.get(f"/portal/auctions/{auction_id}").text
