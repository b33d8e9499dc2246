"""A long computation of a job in a child process, so the worker's heartbeat never starves.

A queue worker sends its heartbeat from its event loop while the task runs on a thread. A solver
call that holds the interpreter lock (a C extension that does not release it) would starve that
loop: past ``FTR_JOB_STALLED_S`` the live worker looks dead and its job is run a second time.
:func:`call` runs the computation in a child process instead; the worker's thread only waits on a
pipe (releasing the lock), so the heartbeat is sent on time however long the solve takes.

    child      forked from a fork server started once per worker process (the computation's module
               preloaded, so a child starts in milliseconds, not the seconds of a fresh interpreter);
               it sends each progress event and then its result (or its exception) up a pipe
    parent     hands each event to ``progress`` (the job's progress point; a cancellation raised
               there stops the child at once); returns the result or raises the child's exception
    orphans    the child asks the kernel for SIGKILL when its parent dies (Linux), so a worker
               killed mid-solve leaves no solver running

``isolate=False`` (the in-process runner of the embedded service, and tests that replace the
computation) calls the function directly with the same arguments.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import signal
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

logger = logging.getLogger("app.jobs.isolation")

A = TypeVar("A")
R = TypeVar("R")
E = TypeVar("E")

_PR_SET_PDEATHSIG = 1
_POLL_S = 0.5


class ChildDied(RuntimeError):
    """The child process ended without a result (killed, out of memory)."""


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        # not fatal if it fails: an orphan finishes its solve and exits on the closed pipe
        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _child(fn: Callable[..., Any], arg: Any, conn: Connection) -> None:
    _die_with_parent()

    def send_event(event: Any) -> None:
        conn.send(("event", event))

    try:
        result = fn(arg, progress=send_event)
    except BaseException as exc:  # sent to the parent, which raises it
        try:
            conn.send(("error", exc))
        except Exception:  # an exception that does not pickle
            conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
    else:
        conn.send(("result", result))
    finally:
        conn.close()


def _context(preload: str) -> multiprocessing.context.ForkServerContext:
    ctx = multiprocessing.get_context("forkserver")
    assert isinstance(ctx, multiprocessing.context.ForkServerContext)
    ctx.set_forkserver_preload(["__main__", "app.jobs.isolation", preload])
    return ctx


def warm(preload: str) -> None:
    """Start the fork server now (a worker at start-up), with ``preload`` imported in it."""
    ctx = _context(preload)
    proc = ctx.Process(target=_noop, daemon=True)
    proc.start()
    proc.join()


def _noop() -> None:
    return None


def call(
    fn: Callable[..., R],
    arg: A,
    *,
    progress: Callable[[E], None],
    isolate: bool,
) -> R:
    """``fn(arg, progress=progress)``, in a child process when ``isolate`` (``fn`` importable by name)."""
    if not isolate:
        return fn(arg, progress=progress)
    ctx = _context(fn.__module__)
    parent_end, child_end = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(fn, arg, child_end), daemon=True)
    proc.start()
    child_end.close()
    try:
        while True:
            if not parent_end.poll(_POLL_S):
                if not proc.is_alive() and not parent_end.poll(0):
                    raise ChildDied(f"the solver process ended (exit code {proc.exitcode}) without a result")
                continue
            try:
                what, value = parent_end.recv()
            except EOFError:
                proc.join(5)
                raise ChildDied(
                    f"the solver process ended (exit code {proc.exitcode}) without a result"
                ) from None
            if what == "event":
                progress(value)  # a cancellation raises here; the child is killed below
            elif what == "error":
                raise value
            else:
                result: R = value
                return result
    finally:
        parent_end.close()
        if proc.is_alive():
            proc.kill()
        proc.join(10)
