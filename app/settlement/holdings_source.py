"""The one place the settlement reads what each participant holds in a month.

Today's ledger (``ftr_holding``, :class:`app.holdings.repository.HoldingRepository`) holds signed
entries per month and class, so a holding's MW is constant over the month. Entries are netted per
(holder, class, path, hedge) in two holdings: what was allocated or assigned (OA 5.2.2(b),(c): not
subject to forfeiture) and what was bought at auction (OA 5.2.1(b): subject to forfeiture; its price
is the MW-weighted clearing price of the purchases, $/MW for the month). MW sold at auction come out
of the auction holding first, then out of the allocation. A holding netting to <= 0 MW is dropped.

When the ledger gives MW per hour, only :func:`holdings_snapshot` changes.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pandas as pd
from sqlmodel import Session

from app.holdings.repository import HoldingRepository
from market_calendar import PeriodClass
from settlement.positions import Acquisition

SNAPSHOT_COLUMNS = (
    "holding_id",
    "participant_id",
    "source",
    "sink",
    "period_class",
    "hedge",
    "acquisition",
    "mw",
    "auction_price_per_mw",
)


def holdings_snapshot(session: Session, year: int, month: int) -> pd.DataFrame:
    """Rows of :data:`SNAPSHOT_COLUMNS` (text), sorted by holding id: what is held in the month."""
    bought: dict[tuple[int, str, str, str, str], int] = defaultdict(int)
    paid: dict[tuple[int, str, str, str, str], int] = defaultdict(int)
    sold: dict[tuple[int, str, str, str, str], int] = defaultdict(int)
    allocated: dict[tuple[int, str, str, str, str], int] = defaultdict(int)
    repo = HoldingRepository(session)
    for cls in PeriodClass:
        for entry in repo.for_period(year, month, cls.value):
            key = (entry.holder_id, entry.period_class, entry.source, entry.sink, entry.hedge)
            if entry.origin == "allocation":
                allocated[key] += entry.mw_tenths
            elif entry.mw_tenths > 0:
                bought[key] += entry.mw_tenths
                paid[key] += entry.mw_tenths * (entry.price_cents or 0)
            else:
                sold[key] += -entry.mw_tenths
    rows: list[dict[str, str]] = []
    for key in sorted(set(bought) | set(allocated)):
        holder, cls_name, source, sink, hedge = key
        from_auction = bought[key] - sold[key]
        from_allocation = allocated[key] + min(from_auction, 0)
        base = f"{holder}:{cls_name}:{source}>{sink}:{hedge}"
        if from_auction > 0:
            price = Decimal(paid[key]) / Decimal(bought[key]) / 100
            rows.append(_row(f"{base}:auction", holder, key, Acquisition.AUCTION, from_auction, _text(price)))
        if from_allocation > 0:
            rows.append(
                _row(f"{base}:allocation", holder, key, Acquisition.NETWORK_SERVICE, from_allocation, "")
            )
    return pd.DataFrame(rows, columns=list(SNAPSHOT_COLUMNS), dtype=object)


def _row(
    holding_id: str,
    holder: int,
    key: tuple[int, str, str, str, str],
    acquisition: Acquisition,
    tenths: int,
    price: str,
) -> dict[str, str]:
    _, cls_name, source, sink, hedge = key
    return {
        "holding_id": holding_id,
        "participant_id": str(holder),
        "source": source,
        "sink": sink,
        "period_class": cls_name,
        "hedge": hedge,
        "acquisition": acquisition.value,
        "mw": _text(Decimal(tenths) / 10),
        "auction_price_per_mw": price,
    }


def _text(number: Decimal) -> str:
    normal = number.normalize()
    return format(normal, "f") if normal != 0 else "0"
