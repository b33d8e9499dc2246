"""``ftr worker`` for the queue tests, with a pause the test can kill it in.

``FTR_TEST_PAUSE_IN`` = ``solve`` (inside the first class's solve) or ``store`` (inside the results
transaction, after the fills were written); ``FTR_TEST_PAUSE_S`` is how long. Without them this is
plain ``ftr worker``.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import app.clearing.tasks as clearing_tasks
from app.clearing.engine import ClassOutcome, ClassSnapshot, clear_class
from app.clearing.repository import ClearingRepository
from app.cli import main
from feasibility.progress import ProgressCallback


def _install_pause(where: str, seconds: float) -> None:
    if where == "solve":

        def slow_clear(snapshot: ClassSnapshot, progress: ProgressCallback | None = None) -> ClassOutcome:
            time.sleep(seconds)
            return clear_class(snapshot, progress=progress)

        clearing_tasks.clear_class = slow_clear  # type: ignore[assignment]
    elif where == "store":
        real = ClearingRepository.add_nodal_prices

        def slow_prices(self: ClearingRepository, rows: Any) -> None:
            real(self, rows)
            time.sleep(seconds)

        ClearingRepository.add_nodal_prices = slow_prices  # type: ignore[method-assign]


if __name__ == "__main__":
    pause_in = os.environ.get("FTR_TEST_PAUSE_IN")
    if pause_in:
        _install_pause(pause_in, float(os.environ.get("FTR_TEST_PAUSE_S", "30")))
    sys.exit(main(["worker", *sys.argv[1:]]))
