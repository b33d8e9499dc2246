"""An auction's stored contingency set, as the engine and the simulator take it.

Each auction stores the set its OI chose (``auctions.contingency_set``: ``network``, ``none``,
``all_n_1`` or ``list``, with the ``list`` entries as JSON ``[[id, [branch ids]], ...]``). The
clearing, the path-price decomposition and the revenue-adequacy forecast read it through this one
function, so the three always see the same contingencies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from network.model import Contingency


def engine_contingencies(
    contingency_set: str, listed: Sequence[tuple[str, Sequence[str]]]
) -> list[Contingency] | Literal["all"] | None:
    """``network`` -> ``None`` (the version's own list), ``none`` -> ``[]``, ``all_n_1`` -> ``"all"``
    (one contingency per branch, id = branch id), ``list`` -> its entries."""
    if contingency_set == "none":
        return []
    if contingency_set == "all_n_1":
        return "all"
    if contingency_set == "list":
        return [Contingency(str(cid), tuple(str(b) for b in branches)) for cid, branches in listed]
    return None
