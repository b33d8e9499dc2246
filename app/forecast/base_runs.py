"""Base-case month simulations handed to an auction's forecast by the process that already ran them.

A forecast simulates the auction's month under its base case (the auction's period conditions and
contingency set) before its outage scenarios. A caller that has simulated exactly that month for
another purpose (the demo: the day-ahead month it settles) offers the run here, and the forecast job
of that auction, run in the same process, takes it instead of simulating the month again. The key is
everything the run depends on (network version, month, period conditions, contingency set, seed);
a run under any other key is never used, and a forecast that finds none simulates its own.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING

from app.auctions.tables import Auction

if TYPE_CHECKING:  # the solver stack loads on first use
    from simulation.market import DayAheadResult

_OFFERED: dict[str, DayAheadResult] = {}
_LOCK = threading.Lock()


def base_run_key(auction: Auction, seed: int) -> str:
    """What a base run of ``auction``'s month depends on, as one string."""
    return json.dumps(
        [
            auction.network_version_id,
            auction.year,
            auction.month,
            json.loads(auction.scheduled_outages),
            json.loads(auction.loop_flow),
            auction.contingency_set,
            json.loads(auction.contingencies),
            seed,
        ],
        sort_keys=True,
    )


def offer_base_run(key: str, result: DayAheadResult) -> None:
    """Offer ``result`` to the next forecast whose base run has ``key``."""
    with _LOCK:
        _OFFERED[key] = result


def take_base_run(key: str) -> DayAheadResult | None:
    """The run offered under ``key`` (removed: each offer serves one forecast), else ``None``."""
    with _LOCK:
        return _OFFERED.pop(key, None)
