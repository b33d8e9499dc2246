"""The one place the settlement reads what each participant holds in a month.

The ledger (``ftr_holding``, :class:`app.holdings.repository.HoldingRepository`) holds signed
entries per month and class. Entries are netted per (holder, class, path, hedge) and per way of
acquisition (OA 5.2.2), because only auction FTRs are subject to forfeiture (OA 5.2.1(b)):

- ``auction``: awards (+MW) and sales (-MW); its price is the MW-weighted clearing price of the
  awards ($/MW for the period);
- ``transfer``: bilateral transfers (OA 5.2.2(d));
- ``point_to_point``: firm PTP assignments (OA 5.2.2(c));
- ``network_service``: Network Service User allocations (OA 5.2.2(b)).

A net negative amount in one of them (an FTR sold or transferred away that was acquired another way)
comes out of the next in that order. A holding netting to <= 0 MW is dropped. Each holding's MW is
constant over the month: entries taking effect mid-month (a ledger with ``effective_from``) need
:func:`holdings_snapshot` to write one row per run of constant MW and
:func:`app.settlement.engine_inputs.holding_positions` to read them.
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
ORIGINS: dict[str, Acquisition] = {
    "auction_purchase": Acquisition.AUCTION,
    "auction_award": Acquisition.AUCTION,
    "auction_sale": Acquisition.AUCTION,
    "sale": Acquisition.AUCTION,
    "transfer": Acquisition.TRANSFER,
    "ptp_assignment": Acquisition.POINT_TO_POINT,
    "allocation": Acquisition.NETWORK_SERVICE,
    "nsu_allocation": Acquisition.NETWORK_SERVICE,
}
"""Ledger origin -> how the FTR was acquired (an unknown origin is an error, never a guess)."""
NETTING_ORDER = (
    Acquisition.AUCTION,
    Acquisition.TRANSFER,
    Acquisition.POINT_TO_POINT,
    Acquisition.NETWORK_SERVICE,
)

Key = tuple[int, str, str, str, str]


def holdings_snapshot(session: Session, year: int, month: int) -> pd.DataFrame:
    """Rows of :data:`SNAPSHOT_COLUMNS` (text), sorted by holding id: what is held in the month."""
    tenths: dict[Key, dict[Acquisition, int]] = defaultdict(lambda: defaultdict(int))
    bought: dict[Key, int] = defaultdict(int)
    paid: dict[Key, int] = defaultdict(int)
    repo = HoldingRepository(session)
    for cls in PeriodClass:
        for entry in repo.for_period(year, month, cls.value):
            if entry.origin not in ORIGINS:
                raise ValueError(f"ledger entry {entry.id}: unknown origin {entry.origin!r}")
            key = (entry.holder_id, entry.period_class, entry.source, entry.sink, entry.hedge)
            way = ORIGINS[entry.origin]
            tenths[key][way] += entry.mw_tenths
            if way is Acquisition.AUCTION and entry.mw_tenths > 0:
                bought[key] += entry.mw_tenths
                paid[key] += entry.mw_tenths * (entry.price_cents or 0)
    rows: list[dict[str, str]] = []
    for key in sorted(tenths):
        holder, cls_name, source, sink, hedge = key
        owed = 0
        for way in NETTING_ORDER:
            net = tenths[key][way] + owed
            owed = min(net, 0)
            if net <= 0:
                continue
            price = ""
            if way is Acquisition.AUCTION and bought[key] > 0:
                price = _text(Decimal(paid[key]) / Decimal(bought[key]) / 100)
            rows.append(
                {
                    "holding_id": f"{holder}:{cls_name}:{source}>{sink}:{hedge}:{way.value}",
                    "participant_id": str(holder),
                    "source": source,
                    "sink": sink,
                    "period_class": cls_name,
                    "hedge": hedge,
                    "acquisition": way.value,
                    "mw": _text(Decimal(net) / 10),
                    "auction_price_per_mw": price,
                }
            )
    return pd.DataFrame(rows, columns=list(SNAPSHOT_COLUMNS), dtype=object)


def _text(number: Decimal) -> str:
    normal = number.normalize()
    return format(normal, "f") if normal != 0 else "0"
