"""The one place the settlement reads what each participant holds in a month: the holdings ledger.

The month's ``ftr_holding`` rows are read as the pure ledger (:func:`app.holdings.ledger_mapping.ledger_of`
checks every field and that no position is negative in any hour), then cut into runs of constant MW
per holder, FTR and way of acquisition (:mod:`app.settlement.holding_runs`: the netting of sales and
transfers, OA 5.2.2, and the auction price of the award entries, OA 5.2.1(b)).

The snapshot has one row per run, with the hour-ending instants of its first and last hour
(``first_hour_ending``, ``last_hour_ending``, both included): an FTR never transferred is one row for
the month; a transfer taking effect mid-month (OA 5.2.2(d)) ends the seller's run the hour before and
starts the buyer's from that hour, so credits move from the transfer's hour on. Rows of one holding
share its ``holding_id``; :func:`app.settlement.engine_inputs.holding_positions` reads them back.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from sqlmodel import Session

from app.holdings.ledger_mapping import ledger_of
from app.holdings.repository import HoldingRepository
from app.settlement.holding_runs import holding_runs
from auction.ledger import Origin
from auction.ledger_time import DeliveryMonth

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
    "first_hour_ending",
    "last_hour_ending",
)
_ORIGINS = frozenset(o.value for o in Origin)


def holdings_snapshot(session: Session, year: int, month: int) -> pd.DataFrame:
    """Rows of :data:`SNAPSHOT_COLUMNS` (text): every run of MW held in the month.

    An entry with an origin the ledger does not know is an error naming the entry (never a guess).
    """
    rows = HoldingRepository(session).of_months([(year, month)])
    for row in rows:
        if row.origin not in _ORIGINS:
            raise ValueError(f"ledger entry {row.id}: unknown origin {row.origin!r}")
    prices = {r.id: r.price_cents for r in rows if r.id is not None and r.origin == Origin.AUCTION_AWARD}
    runs = holding_runs(ledger_of(rows), DeliveryMonth(year, month), prices)
    records = [
        {
            "holding_id": run.holding_id,
            "participant_id": run.holder,
            "source": run.key.source,
            "sink": run.key.sink,
            "period_class": run.key.period_class.value,
            "hedge": run.key.hedge.value,
            "acquisition": run.acquisition.value,
            "mw": _text(Decimal(run.mw_tenths) / 10),
            "auction_price_per_mw": ""
            if run.auction_price_per_mw is None
            else _text(run.auction_price_per_mw),
            "first_hour_ending": run.first_hour_ending.isoformat(),
            "last_hour_ending": run.last_hour_ending.isoformat(),
        }
        for run in runs
    ]
    return pd.DataFrame(records, columns=list(SNAPSHOT_COLUMNS), dtype=object)


def _text(number: Decimal) -> str:
    normal = number.normalize()
    return format(normal, "f") if normal != 0 else "0"
