"""The FTR holdings ledger: append-only entries, from which every holding is a query.

Congestion credits follow whoever holds an FTR in the hour (OA 5.2.2(a)), so the ledger records
*changes* of holdings, never holdings themselves. An entry says: from hour-ending instant
``effective_from`` on, ``holder``'s position in the FTR ``key`` changes by ``mw_tenths``
(signed, integer tenths of a MW), because of ``origin``, as recorded by ``reference``.

A holder's position in a key at hour-ending ``h`` is

    position(holder, key, h) = sum of mw_tenths over the holder's entries in key
                               with effective_from <= h        (h inside key.month)

so "who holds what at hour h" and "the history of a holding" are pure functions of the
entries (see :mod:`auction.ledger_queries`). An FTR is held for one delivery month (OA 7.1.3);
a right with a longer term (an allocation for a planning year, an assignment for the term of
firm service) is recorded as one entry per month of its term.

Origins and their seed sections:

- ``auction_award``: bought in the monthly auction (OA 7.3.6, 7.3.8); ``+MW`` for the buyer.
- ``nsu_allocation``: allocated to a Network Service User (OA 5.2.2(b)).
- ``ptp_assignment``: assigned to a firm point-to-point customer (OA 5.2.2(c)).
- ``transfer``: bilateral transfer (OA 5.2.2(d)); a pair of entries, ``-MW`` for the holder and
  ``+MW`` for the buyer, effective from the same hour, sharing one reference.
- ``sale``: sold in the auction for the month (OA 7.3.2); ``-MW`` for the offering holder.

Reversion (OA 7.3.2) needs no entry of its own: a sale debits the offering holder in the
auctioned month only, and the later months of the right were never debited, so at the end of
the auctioned period the right is held, as before, by the offering holder or by whoever it
has since transferred those months to (:func:`auction.ledger_queries.holders_after_period`
answers "to whom did it revert"). A reversion entry would be a second record of a fact the
month field already states, and two records of one fact can disagree.

Invariant enforced on every append: no holder's position in any key is negative at any hour.
The ledger never changes: :meth:`Ledger.append` returns a new ledger.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from auction.ledger_time import DeliveryMonth, check_hour_ending
from market_terms import Hedge, PeriodClass
from market_terms.mw import tenths_to_mw

__all__ = [
    "FtrKey",
    "Hedge",
    "Ledger",
    "LedgerEntry",
    "LedgerError",
    "Origin",
    "PeriodClass",
    "Posting",
]


class Origin(StrEnum):
    """Why a holding changed (see the module docstring for the seed sections)."""

    AUCTION_AWARD = "auction_award"
    NSU_ALLOCATION = "nsu_allocation"
    PTP_ASSIGNMENT = "ptp_assignment"
    TRANSFER = "transfer"
    SALE = "sale"


class LedgerError(ValueError):
    """An append that breaks a ledger rule; the message names the holder, FTR, hour and MW."""


@dataclass(frozen=True, slots=True, order=True)
class FtrKey:
    """What is held: a month, a class, a path ``source -> sink`` and a hedge type.

    ``source`` and ``sink`` are pricing-point ids (OA 7.2.2: any priced bus, hub, zone or
    aggregate). Credits per hour are ``MW x (price(sink) - price(source))`` (OA 5.2.4).
    """

    month: DeliveryMonth
    period_class: PeriodClass
    source: str
    sink: str
    hedge: Hedge = Hedge.OBLIGATION

    def __post_init__(self) -> None:
        if not self.source or not self.sink:
            raise ValueError(f"FTR {self}: source and sink must be non-empty point ids")
        if self.source == self.sink:
            raise ValueError(f"FTR {self}: source and sink are the same point {self.source!r}")
        object.__setattr__(self, "period_class", PeriodClass(self.period_class))
        object.__setattr__(self, "hedge", Hedge(self.hedge))

    def __str__(self) -> str:
        return f"{self.month} {self.period_class} {self.source}->{self.sink} {self.hedge}"


@dataclass(frozen=True, slots=True)
class Posting:
    """An entry to append: everything but the sequence number the ledger assigns."""

    holder: str
    key: FtrKey
    mw_tenths: int
    origin: Origin
    effective_from: datetime
    reference: str

    def __post_init__(self) -> None:
        if not self.holder:
            raise ValueError(f"posting for {self.key}: holder is empty")
        if not isinstance(self.mw_tenths, int) or isinstance(self.mw_tenths, bool):
            raise TypeError(f"posting for {self.holder} {self.key}: mw_tenths must be an int")
        if self.mw_tenths == 0:
            raise ValueError(f"posting for {self.holder} {self.key}: a change of 0 MW is not an entry")
        if not self.reference:
            raise ValueError(f"posting for {self.holder} {self.key}: reference is empty")
        object.__setattr__(self, "origin", Origin(self.origin))
        effective = check_hour_ending(self.effective_from, "effective_from")
        month = self.key.month
        if not month.first_hour_ending() <= effective <= month.last_hour_ending():
            raise ValueError(
                f"posting for {self.holder} {self.key}: effective_from {effective.isoformat()} "
                f"is not an hour of {month}"
            )
        object.__setattr__(self, "effective_from", effective)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A recorded change of holding; ``seq`` is its 1-based position in the ledger."""

    seq: int
    holder: str
    key: FtrKey
    mw_tenths: int
    origin: Origin
    effective_from: datetime
    reference: str


HoldingId = tuple[str, FtrKey]


def _order(entry: LedgerEntry) -> tuple[datetime, int]:
    return (entry.effective_from, entry.seq)


@dataclass(frozen=True)
class Ledger:
    """An immutable, append-only sequence of :class:`LedgerEntry`, in increasing ``seq``.

    A ledger may be built from a selection of stored entries (one month's, say): queries about
    a holding are exact as long as all of that holding's entries are in the selection.

    ``by_holding`` indexes the entries of each (holder, key) in effective order (then
    ``seq``); ``by_month`` lists the holdings with entries in each month.
    """

    entries: tuple[LedgerEntry, ...] = ()
    by_holding: Mapping[HoldingId, tuple[LedgerEntry, ...]] = field(init=False, repr=False, compare=False)
    by_month: Mapping[DeliveryMonth, tuple[HoldingId, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        previous = 0
        for entry in self.entries:
            if entry.seq <= previous:
                raise LedgerError(
                    f"entry seq {entry.seq} follows seq {previous}: entries must be in increasing seq order"
                )
            previous = entry.seq
        by_holding: dict[HoldingId, list[LedgerEntry]] = {}
        for entry in self.entries:
            by_holding.setdefault((entry.holder, entry.key), []).append(entry)
        frozen = {hid: tuple(sorted(es, key=_order)) for hid, es in by_holding.items()}
        for hid, es in frozen.items():
            _check_never_negative(hid, es)
        by_month: dict[DeliveryMonth, list[HoldingId]] = {}
        for hid in sorted(frozen):
            by_month.setdefault(hid[1].month, []).append(hid)
        object.__setattr__(self, "by_holding", frozen)
        object.__setattr__(self, "by_month", {m: tuple(h) for m, h in by_month.items()})

    def __len__(self) -> int:
        return len(self.entries)

    def entries_of(self, holder: str, key: FtrKey) -> tuple[LedgerEntry, ...]:
        """The holding's entries in effective order (ties in recording order)."""
        return self.by_holding.get((holder, key), ())

    def append(self, postings: Iterable[Posting], *, first_seq: int | None = None) -> Ledger:
        """A new ledger with ``postings`` appended as one atomic batch (all or none).

        Entries are numbered from ``first_seq`` (default: one after the last entry); a ledger
        built from a selection of stored entries passes the store's next number.

        Raises :class:`LedgerError` naming the holder, FTR, hour and MW if the batch would
        leave any position negative at any hour; the batch is checked as a whole, so a
        transfer's debit and credit go in together.
        """
        batch = tuple(postings)
        last = self.entries[-1].seq if self.entries else 0
        start = last + 1 if first_seq is None else first_seq
        if start <= last:
            raise LedgerError(f"first_seq {start} does not follow the last entry's seq {last}")
        new = tuple(
            LedgerEntry(
                seq=start + i,
                holder=p.holder,
                key=p.key,
                mw_tenths=p.mw_tenths,
                origin=p.origin,
                effective_from=p.effective_from,
                reference=p.reference,
            )
            for i, p in enumerate(batch)
        )
        touched: dict[HoldingId, list[LedgerEntry]] = {}
        for entry in new:
            hid = (entry.holder, entry.key)
            touched.setdefault(hid, list(self.entries_of(*hid))).append(entry)
        by_holding = dict(self.by_holding)
        for hid, es in touched.items():
            ordered = tuple(sorted(es, key=_order))
            _check_never_negative(hid, ordered)
            by_holding[hid] = ordered
        by_month = {m: list(h) for m, h in self.by_month.items()}
        for hid in touched:
            if hid not in self.by_holding:
                by_month.setdefault(hid[1].month, []).append(hid)
        ledger = Ledger.__new__(Ledger)
        object.__setattr__(ledger, "entries", self.entries + new)
        object.__setattr__(ledger, "by_holding", by_holding)
        object.__setattr__(ledger, "by_month", {m: tuple(sorted(h)) for m, h in by_month.items()})
        return ledger


def _check_never_negative(hid: HoldingId, ordered: tuple[LedgerEntry, ...]) -> None:
    """Positions are step functions; checking after each step at its instant covers every hour.

    Entries effective at the same instant are netted before checking, so a same-hour debit
    recorded before its matching credit is judged on the hour's net position.
    """
    position = 0
    for i, entry in enumerate(ordered):
        position += entry.mw_tenths
        last_at_instant = i + 1 == len(ordered) or ordered[i + 1].effective_from != entry.effective_from
        if last_at_instant and position < 0:
            holder, key = hid
            raise LedgerError(
                f"{holder} would hold {tenths_to_mw(position)} MW of {key} from hour ending "
                f"{entry.effective_from.isoformat()} (entry {entry.reference!r}): positions cannot be "
                "negative"
            )
