"""Progress of a clearing, as small events for whoever watches it (a terminal, a job's progress row).

A clearing takes an optional ``progress`` callback (:func:`feasibility.solve.solve`,
:func:`auction.clearing.clear_on_grid`, :func:`auction.clearing.clear_auction`) that receives one
:class:`ProgressEvent` per phase and per round, in order, on the clearing's own thread:

- ``build``: the LP's columns and linking rows are written (round 0);
- ``round``: one LP solve and one full check of every monitored row in every case; ``rows_added`` are
  the rows the round adds next, ``violations`` the (constraint, case, direction) rows over the
  tolerance, ``objective`` the round's surplus ($, an upper bound until no row is violated);
- ``rounding``: the 0.1 MW awards are feasible (``violations``: overloaded rows left, 0 when feasible;
  ``objective``: the surplus of the rounded awards);
- ``prices``: nodal prices are computed; the clearing is done.

``bids_priced_in`` is the number of bid groups (identical bids merged) whose columns the LP holds.
``elapsed_s`` counts from the start of the clearing; ``peak_memory_mib`` is the process's peak
resident set so far. The callback must be quick and must not raise: it runs between solver rounds.
A job runner stores the latest event as the job's progress; ``ftr clear`` prints one line per event
to stderr (:func:`format_event`).
"""

from __future__ import annotations

import resource
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Phase(StrEnum):
    BUILD = "build"
    ROUND = "round"
    ROUNDING = "rounding"
    PRICES = "prices"


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    phase: Phase
    round: int
    rows_in_lp: int
    rows_added: int
    bids_priced_in: int
    violations: int
    objective: float
    """$ of surplus (see the module doc for what it is in each phase)"""
    elapsed_s: float
    peak_memory_mib: float


ProgressCallback = Callable[[ProgressEvent], None]


def peak_memory_mib() -> float:
    """Peak resident set of this process in MiB (``ru_maxrss`` is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def format_event(event: ProgressEvent) -> str:
    """One line for a terminal."""
    return (
        f"{event.phase:<8} round {event.round:>3}: {event.rows_in_lp} rows in LP (+{event.rows_added}), "
        f"{event.bids_priced_in} bid groups priced in, {event.violations} violated, "
        f"objective {event.objective:.2f} $, {event.elapsed_s:.1f} s, peak {event.peak_memory_mib:.0f} MiB"
    )
