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

Market scale (100,000 FTRs): the rows are read as columns in one statement, not as ORM objects, and
a holding whose entries all take effect at the month's first hour (awards, allocations and sales of
the month: almost all) is netted by column (its position is constant, so it is at most one run per
way, :func:`app.settlement.holding_runs.net_parts` on the per-way sums). Only holdings with an entry
taking effect later in the month (a transfer) go through the pure ledger one by one; a row the
column checks do not pass sends every row through it, so a bad entry is reported exactly as before.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.holdings.ledger_mapping import ledger_of
from app.holdings.repository import HoldingRepository
from app.holdings.tables import FtrHolding
from app.settlement.holding_runs import ACQUISITION_OF, NETTING_ORDER, HoldingRun, holding_runs
from auction.ledger import Origin
from auction.ledger_time import DeliveryMonth
from market_terms import Hedge, PeriodClass
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
    "first_hour_ending",
    "last_hour_ending",
)
_ORIGINS = frozenset(o.value for o in Origin)


_COLUMNS = (
    "id",
    "holder_id",
    "period_class",
    "source",
    "sink",
    "hedge",
    "mw_tenths",
    "origin",
    "effective_from",
)
_KEY = ["participant_id", "period_class", "source", "sink", "hedge"]


def holdings_snapshot(session: Session, year: int, month: int) -> pd.DataFrame:
    """Rows of :data:`SNAPSHOT_COLUMNS` (text): every run of MW held in the month.

    An entry with an origin the ledger does not know is an error naming the entry (never a guess).
    """
    table = FtrHolding.__table__  # type: ignore[attr-defined]
    result = session.execute(
        sa.select(*(table.c[c] for c in _COLUMNS), table.c.price_cents, table.c.reference)
        .where(table.c.year == year, table.c.month == month)
        .order_by(table.c.id)
    )
    entries = pd.DataFrame(result.all(), columns=[*_COLUMNS, "price_cents", "reference"])
    unknown = ~entries["origin"].isin(list(_ORIGINS))
    if unknown.any():
        row = entries[unknown].iloc[0]
        raise ValueError(f"ledger entry {row['id']}: unknown origin {row['origin']!r}")
    delivery = DeliveryMonth(year, month)
    first = delivery.first_hour_ending()
    if len(entries) == 0 or not _columns_pass(entries):
        return _pure_snapshot(session, year, month, None)
    entries["participant_id"] = entries["holder_id"].astype(str)
    starts = pd.to_datetime(entries["effective_from"], utc=True)
    later = (starts != pd.Timestamp(first)).to_numpy()
    holding = entries.groupby(_KEY, sort=False).ngroup().to_numpy()
    complex_holdings = np.unique(holding[later])
    pure = np.isin(holding, complex_holdings)
    simple = _simple_runs(entries[~pure], delivery)
    if simple is None:  # a holding netted below zero: the pure ledger refuses it, naming it
        return _pure_snapshot(session, year, month, None)
    frames = [simple]
    if pure.any():
        frames.append(_pure_snapshot(session, year, month, entries.loc[pure, "id"].tolist()))
    out = pd.concat(frames, ignore_index=True)
    way = out["acquisition"].map({w.value: i for i, w in enumerate(NETTING_ORDER)})
    out = out.assign(_way=way).sort_values(
        [*_KEY, "_way", "first_hour_ending"], kind="stable", ignore_index=True
    )
    return out.drop(columns="_way")[list(SNAPSHOT_COLUMNS)].astype(object)


def _columns_pass(entries: pd.DataFrame) -> bool:
    """The checks :func:`auction.ledger_records.entry_from_record` makes, by column (``False``: some row
    fails, and the pure path reports it)."""
    texts = all(
        entries[c].map(lambda v: isinstance(v, str) and v != "").all()
        for c in ("source", "sink", "reference")
    )
    stamps = pd.to_datetime(entries["effective_from"], utc=True)
    return bool(
        texts
        and entries["period_class"].isin([c.value for c in PeriodClass]).all()
        and entries["hedge"].isin([h.value for h in Hedge]).all()
        and entries["effective_from"].map(lambda t: t.tzinfo is not None).all()
        and (stamps == stamps.dt.floor("h")).all()
    )


def _simple_runs(entries: pd.DataFrame, delivery: DeliveryMonth) -> pd.DataFrame | None:
    """Holdings whose entries all take effect at the month's first hour: one run per way held
    (``None`` if a position would be negative)."""
    if len(entries) == 0:
        return pd.DataFrame(columns=list(SNAPSHOT_COLUMNS))
    ways = entries["origin"].map({o.value: ACQUISITION_OF[o].value for o in Origin})
    award = (entries["origin"] == Origin.AUCTION_AWARD.value).to_numpy()
    if entries.loc[award, "price_cents"].isna().any():
        row = entries[award & entries["price_cents"].isna().to_numpy()].iloc[0]
        raise ValueError(f"ledger entry {row['id']}: an auction award without its clearing price")
    mw = entries["mw_tenths"].astype(np.int64)
    price = pd.to_numeric(entries["price_cents"]).fillna(0).astype(np.int64)
    paid = np.where(award, mw * price, 0)
    amounts = (
        entries.assign(way=ways, mw=mw, bought=np.where(award, mw, 0), paid=paid)
        .groupby([*_KEY, "way"], sort=False)[["mw", "bought", "paid"]]
        .sum()
        .unstack("way", fill_value=0)
    )
    holdings = amounts.index
    zeros = np.zeros(len(holdings), dtype=np.int64)
    held: dict[Acquisition, np.ndarray] = {
        w: amounts["mw"][w.value].to_numpy(np.int64) if w.value in amounts["mw"] else zeros
        for w in NETTING_ORDER
    }
    deficit = zeros.copy()
    for w in NETTING_ORDER:
        deficit += np.maximum(-held[w], 0)
    bought = amounts["bought"].to_numpy(np.int64).sum(axis=1)
    paid_total = amounts["paid"].to_numpy(np.int64).sum(axis=1)
    first = delivery.first_hour_ending().isoformat()
    last = delivery.last_hour_ending().isoformat()
    frames = []
    for way in NETTING_ORDER:
        part = np.maximum(held[way], 0)
        taken = np.minimum(part, deficit)
        deficit = deficit - taken
        part = part - taken
        keep = part > 0
        if not keep.any():
            continue
        prices = [""] * int(keep.sum())
        if way is Acquisition.AUCTION:
            prices = [
                _text(Decimal(int(p)) / Decimal(int(b)) / 100) if b > 0 else ""
                for p, b in zip(paid_total[keep], bought[keep], strict=True)
            ]
        keys = holdings[keep].to_frame(index=False)
        frames.append(
            keys.assign(
                holding_id=[
                    f"{h}:{c}:{s}>{k}:{g}:{way.value}"
                    for h, c, s, k, g in keys[_KEY].itertuples(index=False, name=None)
                ],
                acquisition=way.value,
                mw=[_text(Decimal(int(t)) / 10) for t in part[keep]],
                auction_price_per_mw=prices,
                first_hour_ending=first,
                last_hour_ending=last,
            )
        )
    if bool((deficit > 0).any()):
        return None
    if not frames:
        return pd.DataFrame(columns=list(SNAPSHOT_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def _pure_snapshot(session: Session, year: int, month: int, ids: list[int] | None) -> pd.DataFrame:
    """The snapshot by the pure ledger, one entry at a time (of the entries ``ids``, or all)."""
    if ids is None:
        rows = list(HoldingRepository(session).of_months([(year, month)]))
    else:
        rows = []
        for start in range(0, len(ids), 10_000):
            part = ids[start : start + 10_000]
            rows += session.exec(select(FtrHolding).where(col(FtrHolding.id).in_(part))).all()
        rows.sort(key=lambda r: r.id or 0)
    for row in rows:
        if row.origin not in _ORIGINS:
            raise ValueError(f"ledger entry {row.id}: unknown origin {row.origin!r}")
    prices = {r.id: r.price_cents for r in rows if r.id is not None and r.origin == Origin.AUCTION_AWARD}
    runs = holding_runs(ledger_of(rows), DeliveryMonth(year, month), prices)
    return pd.DataFrame([_record(run) for run in runs], columns=list(SNAPSHOT_COLUMNS), dtype=object)


def _record(run: HoldingRun) -> dict[str, str]:
    return {
        "holding_id": run.holding_id,
        "participant_id": run.holder,
        "source": run.key.source,
        "sink": run.key.sink,
        "period_class": run.key.period_class.value,
        "hedge": run.key.hedge.value,
        "acquisition": run.acquisition.value,
        "mw": _text(Decimal(run.mw_tenths) / 10),
        "auction_price_per_mw": "" if run.auction_price_per_mw is None else _text(run.auction_price_per_mw),
        "first_hour_ending": run.first_hour_ending.isoformat(),
        "last_hour_ending": run.last_hour_ending.isoformat(),
    }


def _text(number: Decimal) -> str:
    normal = number.normalize()
    return format(normal, "f") if normal != 0 else "0"
