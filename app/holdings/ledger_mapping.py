"""Stored ledger rows <-> the pure ledger's entries (:mod:`auction.ledger_records` is the one mapping).

A row's ``id`` is the entry's ``seq`` and the holder is the participant id as text, so the
stored table *is* the pure ledger: :func:`ledger_of` rebuilds :class:`auction.ledger.Ledger`
from rows (checking every field and the no-negative-position invariant on the way).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from app.holdings.tables import FtrHolding
from auction.ledger import FtrKey, Ledger, LedgerEntry, PeriodClass, Posting
from auction.ledger_records import entry_from_record
from auction.ledger_time import DeliveryMonth
from market_terms import Hedge


def holder_name(participant_id: int) -> str:
    return str(participant_id)


def key_of(year: int, month: int, period_class: str, source: str, sink: str, hedge: str) -> FtrKey:
    return FtrKey(DeliveryMonth(year, month), PeriodClass(period_class), source, sink, Hedge(hedge))


def entry_of(row: FtrHolding) -> LedgerEntry:
    assert row.id is not None
    return entry_from_record(
        {
            "seq": row.id,
            "holder": holder_name(row.holder_id),
            "month": f"{row.year:04d}-{row.month:02d}",
            "period_class": row.period_class,
            "source": row.source,
            "sink": row.sink,
            "hedge": row.hedge,
            "mw_tenths": row.mw_tenths,
            "origin": row.origin,
            "effective_from": row.effective_from.isoformat(),
            "reference": row.reference,
        }
    )


def ledger_of(rows: Iterable[FtrHolding]) -> Ledger:
    return Ledger(tuple(entry_of(r) for r in rows))


@dataclass(frozen=True, slots=True)
class EntryContext:
    """What the service stores next to a pure entry: the auction trade it came from."""

    price_cents: int | None = None
    auction_id: int | None = None
    bid_id: int | None = None


def row_of(posting: Posting, now: datetime, context: EntryContext = EntryContext()) -> FtrHolding:
    k = posting.key
    return FtrHolding(
        holder_id=int(posting.holder),
        year=k.month.year,
        month=k.month.month,
        period_class=k.period_class.value,
        source=k.source,
        sink=k.sink,
        hedge=k.hedge.value,
        mw_tenths=posting.mw_tenths,
        price_cents=context.price_cents,
        origin=posting.origin.value,
        effective_from=posting.effective_from,
        reference=posting.reference,
        auction_id=context.auction_id,
        bid_id=context.bid_id,
        created_at=now,
    )
