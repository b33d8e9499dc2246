"""A month of the holdings ledger -> runs of constant MW per holder, FTR and way of acquisition.

Credits follow whoever holds an FTR in the hour (OA 5.2.2(a)). The ledger (:mod:`auction.ledger`)
gives, for holder ``i`` and FTR ``k`` (month, class, path, hedge), the position

    position(i, k, h) = sum of mw_tenths of i's entries in k with effective_from <= h   (tenths of a MW)

The settlement also needs *how* the MW held were acquired (OA 5.2.2), because only FTRs bought in the
auction are subject to forfeiture (OA 5.2.1(b)) and forfeiture caps them at the price paid. Each
origin belongs to one way of acquisition (:data:`ACQUISITION_OF`); per way ``w`` the entries add up
the same way to ``a_w(i, k, h)``, and ``sum_w a_w = position >= 0`` (the ledger's invariant).

A way's amount is negative when MW acquired one way left another way: an allocated FTR sold in the
auction (``sale`` belongs to the auction), or an auction FTR transferred away. Netting, hour by hour:

    deficit(h) = sum_w max(-a_w(h), 0)
    part_w(h)  = max(a_w(h), 0), less the deficit taken from the parts in :data:`NETTING_ORDER`
                 (auction first, then transfer, point-to-point, Network Service)

so ``sum_w part_w(h) = position(h)`` in every hour and no part is negative. The auction price of a
holding is the MW-weighted clearing price of its ``auction_award`` entries ($/MW for the period,
negative on a counterflow path); sales do not change it.

The positions change only at entries' ``effective_from`` instants (the month's first hour, and the
hour a transfer takes effect), so the month is cut into segments between those instants and each
segment is netted once; consecutive segments of equal MW merge into one :class:`HoldingRun`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from auction.ledger import FtrKey, Ledger, LedgerEntry, Origin
from auction.ledger_time import ONE_HOUR, DeliveryMonth
from settlement.positions import Acquisition

ACQUISITION_OF: dict[Origin, Acquisition] = {
    Origin.AUCTION_AWARD: Acquisition.AUCTION,
    Origin.SALE: Acquisition.AUCTION,
    Origin.TRANSFER: Acquisition.TRANSFER,
    Origin.PTP_ASSIGNMENT: Acquisition.POINT_TO_POINT,
    Origin.NSU_ALLOCATION: Acquisition.NETWORK_SERVICE,
}
"""Ledger origin -> way of acquisition (OA 5.2.2(a)-(d)); every origin of the ledger has one."""
NETTING_ORDER = (
    Acquisition.AUCTION,
    Acquisition.TRANSFER,
    Acquisition.POINT_TO_POINT,
    Acquisition.NETWORK_SERVICE,
)
"""The order in which MW that left one way are taken out of the parts held."""


@dataclass(frozen=True, slots=True)
class HoldingRun:
    """``holder`` holds ``mw_tenths`` (> 0) of ``key``, acquired ``acquisition``, in every hour ending
    from ``first_hour_ending`` to ``last_hour_ending`` (both included, UTC).

    ``auction_price_per_mw`` ($/MW for the period) is set for the auction part only.
    """

    holder: str
    key: FtrKey
    acquisition: Acquisition
    first_hour_ending: datetime
    last_hour_ending: datetime
    mw_tenths: int
    auction_price_per_mw: Decimal | None

    @property
    def holding_id(self) -> str:
        """One name per holder, FTR and way, shared by the holding's runs (statements group by it)."""
        k = self.key
        return f"{self.holder}:{k.period_class}:{k.source}>{k.sink}:{k.hedge}:{self.acquisition.value}"


def net_parts(amounts: Mapping[Acquisition, int]) -> dict[Acquisition, int]:
    """Per way, the MW (tenths) held: positive amounts less the negative ones, in :data:`NETTING_ORDER`.

    ``sum(result.values()) == max(sum(amounts.values()), 0)``; every value is >= 0.
    """
    deficit = sum(max(-amounts.get(w, 0), 0) for w in NETTING_ORDER)
    parts: dict[Acquisition, int] = {}
    for way in NETTING_ORDER:
        held = max(amounts.get(way, 0), 0)
        taken = min(held, deficit)
        deficit -= taken
        parts[way] = held - taken
    return parts


def holding_runs(
    ledger: Ledger, month: DeliveryMonth, award_price_cents: Mapping[int, int | None]
) -> list[HoldingRun]:
    """Runs of constant MW of every holding of ``month``, sorted by holder, FTR, way, first hour.

    ``award_price_cents[seq]`` is the clearing price ($/MW for the period, in cents) stored with the
    ``auction_award`` entry ``seq``; an award without one is an error naming the entry.
    """
    runs: list[HoldingRun] = []
    last = month.last_hour_ending()
    for holder, key in ledger.by_month.get(month, ()):
        entries = ledger.entries_of(holder, key)
        price = _auction_price(entries, award_price_cents)
        instants = sorted({e.effective_from for e in entries})
        amounts: dict[Acquisition, int] = {}
        open_runs: dict[Acquisition, tuple[datetime, int]] = {}
        cursor = 0
        for start in instants:
            while cursor < len(entries) and entries[cursor].effective_from <= start:
                way = ACQUISITION_OF[entries[cursor].origin]
                amounts[way] = amounts.get(way, 0) + entries[cursor].mw_tenths
                cursor += 1
            for way, mw in net_parts(amounts).items():
                current = open_runs.get(way)
                if current is not None and current[1] == mw:
                    continue
                if current is not None:
                    runs.append(_run(holder, key, way, current, start - ONE_HOUR, price))
                    del open_runs[way]
                if mw > 0:
                    open_runs[way] = (start, mw)
        for way, current in open_runs.items():
            runs.append(_run(holder, key, way, current, last, price))
    runs.sort(key=lambda r: (r.holder, r.key, NETTING_ORDER.index(r.acquisition), r.first_hour_ending))
    return runs


def _run(
    holder: str,
    key: FtrKey,
    way: Acquisition,
    opened: tuple[datetime, int],
    last: datetime,
    price: Decimal | None,
) -> HoldingRun:
    first, mw = opened
    return HoldingRun(holder, key, way, first, last, mw, price if way is Acquisition.AUCTION else None)


def _auction_price(
    entries: Sequence[LedgerEntry], award_price_cents: Mapping[int, int | None]
) -> Decimal | None:
    """MW-weighted clearing price of the holding's awards, $/MW for the period (None: no award)."""
    bought = 0
    paid = 0
    for e in entries:
        if e.origin is not Origin.AUCTION_AWARD:
            continue
        cents = award_price_cents.get(e.seq)
        if cents is None:
            raise ValueError(f"ledger entry {e.seq}: an auction award ({e.key}) without its clearing price")
        bought += e.mw_tenths
        paid += e.mw_tenths * cents
    if bought <= 0:
        return None
    return Decimal(paid) / Decimal(bought) / 100
