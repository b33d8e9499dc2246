"""Offers drawn on holdings, and the ledger postings of an auction's results.

OA 7.3.5(b): an offer to sell identifies the specific FTR, by MW and points, and the OI verifies
the offeror's rights. An FTR sold covers every hour of the auctioned month, so what a holder can
offer is the least it holds in any hour of the month, less what it has already offered:

    available(holder, key) = min over hours h of key.month of position(holder, key, h)
                             - sum of MW of the holder's open offers of key        (tenths)

An offer is accepted only if its MW <= available; an offer being modified is left out of the
open offers it is checked against, so it does not count against itself. The same rule bounds
a transfer (:mod:`auction.transfers`): MW under an open offer cannot be transferred, so the same
MW is never sold twice.

After clearing, :func:`auction_result_postings` turns awards into ``auction_award`` entries for
the buyers and sales into ``sale`` entries against the offering holders, effective from the
month's first hour (OA 7.1.3). Reversion at the end of the period (OA 7.3.2) follows from the
month field (see :mod:`auction.ledger`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from auction.auction_settlement import ClearedTrade, Side
from auction.ledger import FtrKey, Ledger, Origin, Posting
from auction.ledger_queries import minimum_position
from market_terms.mw import tenths_to_mw


@dataclass(frozen=True, slots=True)
class OfferClaim:
    """An offer's draw on a holding: who offers how many tenths of which FTR."""

    offer_id: str
    holder: str
    key: FtrKey
    mw_tenths: int


class OfferCheckStatus(StrEnum):
    ACCEPTED = "accepted"
    NOT_HELD = "not_held"
    EXCEEDS_AVAILABLE = "exceeds_available"
    NOT_POSITIVE = "not_positive"


@dataclass(frozen=True, slots=True)
class OfferCheck:
    """The verdict on one offer, with the numbers behind it and a reason a holder can read."""

    offer_id: str
    status: OfferCheckStatus
    requested_tenths: int
    held_tenths: int
    already_offered_tenths: int
    available_tenths: int
    reason: str

    @property
    def accepted(self) -> bool:
        return self.status is OfferCheckStatus.ACCEPTED


def offered_tenths(
    open_offers: Iterable[OfferClaim], holder: str, key: FtrKey, *, excluding: str = ""
) -> int:
    """MW (tenths) of ``key`` that ``holder`` has under open offers, leaving out ``excluding``."""
    return sum(
        o.mw_tenths for o in open_offers if o.holder == holder and o.key == key and o.offer_id != excluding
    )


def check_offer(ledger: Ledger, offer: OfferClaim, open_offers: Iterable[OfferClaim]) -> OfferCheck:
    """Accept ``offer`` only if the holder holds that much for every hour of the month, unoffered."""
    held = minimum_position(ledger, offer.holder, offer.key)
    already = offered_tenths(open_offers, offer.holder, offer.key, excluding=offer.offer_id)
    available = held - already

    def verdict(status: OfferCheckStatus, reason: str) -> OfferCheck:
        return OfferCheck(offer.offer_id, status, offer.mw_tenths, held, already, available, reason)

    if offer.mw_tenths <= 0:
        return verdict(OfferCheckStatus.NOT_POSITIVE, "an offer must be for more than 0 MW (OA 7.3.5(d))")
    if held <= 0:
        return verdict(
            OfferCheckStatus.NOT_HELD,
            f"{offer.holder} does not hold {offer.key} for every hour of {offer.key.month}",
        )
    if offer.mw_tenths > available:
        return verdict(
            OfferCheckStatus.EXCEEDS_AVAILABLE,
            f"offer of {tenths_to_mw(offer.mw_tenths)} MW of {offer.key} exceeds the "
            f"{tenths_to_mw(available)} MW available ({tenths_to_mw(held)} MW held in every hour, "
            f"{tenths_to_mw(already)} MW already offered)",
        )
    return verdict(OfferCheckStatus.ACCEPTED, "")


def auction_result_postings(trades: Iterable[ClearedTrade]) -> tuple[Posting, ...]:
    """Ledger postings for cleared trades: ``+MW`` to each buyer, ``-MW`` from each seller.

    Effective from the first hour of the auctioned month; the reference is
    ``"<auction_id>:<bid or offer reference>"``. Appending them fails as a batch if a seller
    no longer holds what it sold, which :func:`check_offer` prevents in normal operation.
    """
    postings = []
    for t in trades:
        buy = t.side is Side.BUY
        postings.append(
            Posting(
                holder=t.participant,
                key=t.key,
                mw_tenths=t.mw_tenths if buy else -t.mw_tenths,
                origin=Origin.AUCTION_AWARD if buy else Origin.SALE,
                effective_from=t.key.month.first_hour_ending(),
                reference=f"{t.auction_id}:{t.reference}",
            )
        )
    return tuple(postings)
