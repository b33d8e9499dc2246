"""Queries over the holdings ledger: who holds what at hour h, and how each holding came to be.

All are pure functions of :class:`~auction.ledger.Ledger`; nothing is cached outside it. A
position is the step function

    position(holder, key, h) = sum(e.mw_tenths for e in entries(holder, key) if e.effective_from <= h)

for hour-ending ``h`` in ``key.month`` (0 outside it), in integer tenths of a MW.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from auction.ledger import FtrKey, HoldingId, Ledger, LedgerEntry, Origin, PeriodClass
from auction.ledger_time import DeliveryMonth, check_hour_ending
from market_calendar import period_class_of


@dataclass(frozen=True, slots=True, order=True)
class Holding:
    """``holder`` holds ``mw_tenths`` (> 0) of ``key`` at the hour asked about."""

    holder: str
    key: FtrKey
    mw_tenths: int


@dataclass(frozen=True, slots=True)
class HistoryStep:
    """One change of a holding and the position it leaves, from ``effective_from`` on."""

    seq: int
    effective_from: datetime
    change_tenths: int
    position_tenths: int
    origin: Origin
    reference: str


@dataclass(frozen=True, slots=True)
class PortfolioLine:
    """A holding over its month: first-hour and last-hour MW, the least held, and the history."""

    holder: str
    key: FtrKey
    first_hour_tenths: int
    last_hour_tenths: int
    minimum_tenths: int
    history: tuple[HistoryStep, ...]


def position_at(ledger: Ledger, holder: str, key: FtrKey, hour_ending: datetime) -> int:
    """MW (tenths) of ``key`` that ``holder`` holds in the hour ending ``hour_ending``."""
    h = check_hour_ending(hour_ending)
    if not key.month.contains(h):
        return 0
    return sum(e.mw_tenths for e in ledger.entries_of(holder, key) if e.effective_from <= h)


def holdings_at(
    ledger: Ledger,
    hour_ending: datetime,
    *,
    holder: str | None = None,
    period_class: PeriodClass | None = None,
) -> tuple[Holding, ...]:
    """Every non-zero holding in the hour ending ``hour_ending``, sorted by holder then key.

    The ledger does not know the calendar of on-peak hours; the caller that knows the hour's
    class (OA 7.3.4) passes ``period_class`` to keep only the FTRs that earn credits in it.
    """
    h = check_hour_ending(hour_ending)
    month = DeliveryMonth.of_hour(h)
    out: list[Holding] = []
    for who, key in ledger.by_month.get(month, ()):
        if holder is not None and who != holder:
            continue
        if period_class is not None and key.period_class != period_class:
            continue
        mw = position_at(ledger, who, key, h)
        if mw:
            out.append(Holding(who, key, mw))
    return tuple(out)


def credited_holdings_at(ledger: Ledger, hour_ending: datetime) -> tuple[Holding, ...]:
    """Holdings that earn congestion credits in the hour: those of the hour's class (OA 7.3.4, 5.2.2(a))."""
    return holdings_at(ledger, hour_ending, period_class=period_class_of(hour_ending))


@dataclass(frozen=True)
class PositionMatrix:
    """Positions of many holdings over many hours, for settlement's vectorised loops.

    ``tenths[i, j]`` is the MW (tenths) holding ``holdings[j]`` holds in the hour ending
    ``hours[i]``; hours outside the holding's month give 0.
    """

    hours: tuple[datetime, ...]
    holdings: tuple[HoldingId, ...]
    tenths: NDArray[np.int64]


def position_matrix(
    ledger: Ledger,
    month: DeliveryMonth,
    hours: Sequence[datetime],
    *,
    period_class: PeriodClass | None = None,
) -> PositionMatrix:
    """Every holding of ``month`` (optionally of one class) at each of ``hours``, one search per holding."""
    hs = tuple(check_hour_ending(h) for h in hours)
    first, last = month.first_hour_ending(), month.last_hour_ending()
    stamps = np.array([h.timestamp() for h in hs], dtype=np.float64)
    inside = np.array([first <= h <= last for h in hs], dtype=np.bool_)
    ids = tuple(
        hid
        for hid in ledger.by_month.get(month, ())
        if period_class is None or hid[1].period_class == period_class
    )
    out = np.zeros((len(hs), len(ids)), dtype=np.int64)
    for j, (who, key) in enumerate(ids):
        entries = ledger.entries_of(who, key)
        at = np.array([e.effective_from.timestamp() for e in entries], dtype=np.float64)
        cumulative = np.concatenate([[0], np.cumsum([e.mw_tenths for e in entries], dtype=np.int64)])
        out[:, j] = np.where(inside, cumulative[np.searchsorted(at, stamps, side="right")], 0)
    return PositionMatrix(hs, ids, out)


def history(ledger: Ledger, holder: str, key: FtrKey) -> tuple[HistoryStep, ...]:
    """The holding's changes in effective order, each with the position it leaves.

    Replaying the steps reproduces :func:`position_at` at every hour: the position at ``h`` is
    the ``position_tenths`` of the last step with ``effective_from <= h`` (0 before the first).
    """
    steps: list[HistoryStep] = []
    position = 0
    for e in ledger.entries_of(holder, key):
        position += e.mw_tenths
        steps.append(HistoryStep(e.seq, e.effective_from, e.mw_tenths, position, e.origin, e.reference))
    return tuple(steps)


def minimum_position(ledger: Ledger, holder: str, key: FtrKey) -> int:
    """The least MW (tenths) held in any hour of ``key.month``: what can be sold for the whole month.

    The position is constant between entries, so the minimum is taken over the month's first
    hour and the instant of each entry.
    """
    first = key.month.first_hour_ending()
    candidates = [position_at(ledger, holder, key, first)]
    candidates += [position_at(ledger, holder, key, e.effective_from) for e in ledger.entries_of(holder, key)]
    return min(candidates)


def portfolio(
    ledger: Ledger,
    month: DeliveryMonth,
    *,
    holder: str | None = None,
    period_class: PeriodClass | None = None,
) -> tuple[PortfolioLine, ...]:
    """Every holding with entries in ``month`` (one holder's, or everyone's for the OI)."""
    lines: list[PortfolioLine] = []
    for who, key in ledger.by_month.get(month, ()):
        if holder is not None and who != holder:
            continue
        if period_class is not None and key.period_class != period_class:
            continue
        lines.append(
            PortfolioLine(
                holder=who,
                key=key,
                first_hour_tenths=position_at(ledger, who, key, month.first_hour_ending()),
                last_hour_tenths=position_at(ledger, who, key, month.last_hour_ending()),
                minimum_tenths=minimum_position(ledger, who, key),
                history=history(ledger, who, key),
            )
        )
    return tuple(lines)


def holders_after_period(ledger: Ledger, offering_holder: str, sold: FtrKey) -> tuple[Holding, ...]:
    """To whom an FTR sold for ``sold.month`` reverts at the end of that period (OA 7.3.2).

    The right reverts "to the offering holder or the entity to which the offering holder has
    transferred" it: the holdings of the same path, class and hedge at the first hour of the
    next month held by the offering holder or by anyone reached from it through a chain of
    transfers recorded in that month (a transfer's debit and credit share one reference).
    Empty when the right's term ends with the sold month.
    """
    nxt = FtrKey(sold.month.next(), sold.period_class, sold.source, sold.sink, sold.hedge)
    first = nxt.month.first_hour_ending()
    transfers: dict[str, list[LedgerEntry]] = {}
    for who, key in ledger.by_month.get(nxt.month, ()):
        if key != nxt:
            continue
        for e in ledger.entries_of(who, key):
            if e.origin is Origin.TRANSFER:
                transfers.setdefault(e.reference, []).append(e)
    reached = {offering_holder}
    for pair in sorted(transfers.values(), key=lambda es: min(e.seq for e in es)):
        if any(e.holder in reached and e.mw_tenths < 0 for e in pair):
            reached.update(e.holder for e in pair if e.mw_tenths > 0)
    out = [Holding(who, nxt, position_at(ledger, who, nxt, first)) for who in sorted(reached)]
    return tuple(h for h in out if h.mw_tenths > 0)
