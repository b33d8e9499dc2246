"""A solve in a child process leaves the worker's other threads (its heartbeat) running.

A stand-in for a solver call that holds the interpreter lock: a regular expression that
backtracks for about a second (the ``re`` engine never releases the lock). On the job's thread it
starves a ticking thread for that long; through :func:`app.jobs.isolation.call` the ticks go on.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from app.jobs import isolation

HOG = re.compile(r"(a+)+$")


def hold_the_lock(n: int, progress: Callable[[Any], None]) -> int:
    """Backtrack with the interpreter lock held (2**n steps), reporting before and after."""
    progress("start")
    HOG.match("a" * n + "b")
    progress("end")
    return n


def fail(n: int, progress: Callable[[Any], None]) -> int:
    raise ValueError(f"no solution for {n}")


def _longest_tick_gap(run: Callable[[], object]) -> float:
    """Run ``run`` on a thread while this one ticks every 10 ms; the longest gap between ticks."""
    done = threading.Event()

    def target() -> None:
        run()
        done.set()

    worker = threading.Thread(target=target)
    last = time.monotonic()
    longest = 0.0
    worker.start()
    while not done.is_set():
        time.sleep(0.01)
        now = time.monotonic()
        longest = max(longest, now - last)
        last = now
    worker.join()
    return longest


def _hog_size() -> int:
    """A backtrack that holds the lock for about 0.6 s here (measured, the machine is shared)."""
    n = 18
    while True:
        started = time.monotonic()
        HOG.match("a" * n + "b")
        if time.monotonic() - started > 0.6 or n >= 30:
            return n
        n += 1


class TestIsolation:
    def test_a_lock_holding_call_starves_other_threads_unless_isolated(self) -> None:
        n = _hog_size()
        events: list[Any] = []
        isolation.warm(__name__)
        starved = _longest_tick_gap(lambda: hold_the_lock(n, events.append))
        assert starved > 0.4, "the stand-in did not hold the interpreter lock"
        results: list[int] = []
        free = _longest_tick_gap(
            lambda: results.append(isolation.call(hold_the_lock, n, progress=events.append, isolate=True))
        )
        assert results == [n]
        assert events == ["start", "end", "start", "end"]
        assert free < starved / 2 and free < 0.3, (free, starved)

    def test_the_childs_exception_is_raised_in_the_parent(self) -> None:
        with pytest.raises(ValueError, match="no solution for 3"):
            isolation.call(fail, 3, progress=lambda _: None, isolate=True)

    def test_a_progress_callback_that_raises_stops_the_child(self) -> None:
        def cancel(event: Any) -> None:
            raise RuntimeError(f"cancelled at {event}")

        started = time.monotonic()
        with pytest.raises(RuntimeError, match="cancelled at start"):
            isolation.call(hold_the_lock, 40, progress=cancel, isolate=True)  # 2**40 steps: hours
        assert time.monotonic() - started < 30
