"""Builders shared by the holdings tests: FTR keys and hour-ending instants of a month."""

from __future__ import annotations

from datetime import datetime, timedelta

from auction.ledger import FtrKey, Ledger, Origin, PeriodClass, Posting
from auction.ledger_time import DeliveryMonth
from market_terms import Hedge

JULY = DeliveryMonth(2026, 7)
AUGUST = DeliveryMonth(2026, 8)


def key(
    month: DeliveryMonth = JULY,
    source: str = "1",
    sink: str = "3",
    period_class: PeriodClass = PeriodClass.ON_PEAK,
    hedge: Hedge = Hedge.OBLIGATION,
) -> FtrKey:
    return FtrKey(month, period_class, source, sink, hedge)


def hour(month: DeliveryMonth, index: int) -> datetime:
    """The hour-ending instant of the month's hour number ``index`` (0 = the first hour)."""
    return month.first_hour_ending() + timedelta(hours=index)


def grant(
    holder: str, k: FtrKey, tenths: int, origin: Origin = Origin.NSU_ALLOCATION, at: int = 0
) -> Posting:
    return Posting(holder, k, tenths, origin, hour(k.month, at), f"{origin}:{holder}:{k}")


def ledger_with(*postings: Posting) -> Ledger:
    return Ledger().append(postings)
