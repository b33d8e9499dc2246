"""The embedded service (in-process runner) solves in a child process: a request is answered while
a clearing job's solver holds the interpreter lock.

The stand-in solver holds the lock of the process it runs in for 3 s (a busy loop with the
interpreter's thread switch interval raised to 100 s, as a C solver that never releases the lock),
then writes the time it let go and clears for real. A GET sent while the job is in its solve must
be answered before that time: on the API process's job thread it could only be answered after.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from app.clearing import tasks
from app.clearing.engine import ClassOutcome, ClassSnapshot, clear_class
from app.clock import FixedClock
from app.settings import Settings
from feasibility.progress import ProgressCallback
from tests.app.conftest import JANUARY_2027_CLOSES, Member, bearer
from tests.app.http import SyncClient
from tests.app.test_clearing import submit_worked_example, wait_for_job

HOLD_S = 3.0
MARKS = Path(tempfile.gettempdir()) / f"ftr-lock-holder-{os.getuid()}"


def _mark(snapshot: ClassSnapshot) -> Path:
    return MARKS / f"{snapshot.class_auction_id}-{snapshot.period_class}"


def hold_the_lock_then_clear(
    snapshot: ClassSnapshot, progress: ProgressCallback | None = None
) -> ClassOutcome:
    """Hold the interpreter lock for :data:`HOLD_S`, write when it was let go, then clear."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(100.0)
    try:
        end = time.monotonic() + HOLD_S
        while time.monotonic() < end:
            pass
    finally:
        sys.setswitchinterval(before)
    MARKS.mkdir(exist_ok=True)
    _mark(snapshot).write_text(repr(time.time()))
    return clear_class(snapshot, progress=progress)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"job_solve_process": True})


def test_a_get_is_answered_while_an_embedded_clearing_solves(
    app: FastAPI,
    client: SyncClient,
    operator_key: str,
    auction_id: int,
    clock: FixedClock,
    make_participant: Callable[..., Member],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert app.state.jobs.isolate
    monkeypatch.setattr(tasks, "clear_class", hold_the_lock_then_clear)
    oi = bearer(operator_key)
    submit_worked_example(client, auction_id, make_participant)
    clock.set(JANUARY_2027_CLOSES)
    classes = {
        c["period_class"]: c["id"]
        for c in client.get(f"/api/v1/auctions/{auction_id}", headers=oi).json()["classes"]
    }
    for cls, cid in classes.items():
        (MARKS / f"{cid}-{cls}").unlink(missing_ok=True)
    r = client.post(f"/api/v1/auctions/{auction_id}/clear", headers=oi)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    deadline = time.monotonic() + 60
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:  # the job inside its first solve
        job = client.get(f"/api/v1/clearing-jobs/{job_id}", headers=oi).json()
        if job["status"] != "queued" and any("clearing on_peak" in line for line in job["log"]):
            break
        time.sleep(0.02)
    r = client.get(f"/api/v1/auctions/{auction_id}", headers=oi)
    answered = time.time()
    assert r.status_code == 200
    done = wait_for_job(client, operator_key, job_id)
    assert done["status"] == "succeeded", done["error"]
    let_go = float((MARKS / f"{classes['on_peak']}-on_peak").read_text())
    assert answered < let_go, "the GET waited for the solver to let go of the interpreter lock"
