"""Bilateral FTR transfers (OA 5.2.2(d)): requested by the holder, accepted by the buyer, verified by the OI.

"A Fixed Transmission Right ... may be sold or otherwise transferred by agreement, subject to
compliance with such procedures as may be established by the Office of the Interconnection for
verification of the rights of the purchaser or transferee" (OA 5.2.2(d)). The procedure here is
a state machine; each step returns a new :class:`Transfer` with the step appended to its events::

    REQUESTED --accept (buyer)--> ACCEPTED --verify (OI)--> VERIFIED   (ledger entries posted)
        |                            |          \\--------> REJECTED   (seller's rights not verified)
        |--decline (buyer)--> DECLINED
        \\--cancel (seller)--> CANCELLED <--cancel (seller)-- ACCEPTED

A transfer moves ``mw_tenths`` of one or more months of the same right. In the month containing
``effective_from`` the right moves from that hour on, so congestion credits of the hours before
stay with the seller (OA 5.2.2(a): credits follow the FTR held "at the time of the constrained
hour"); in later months it moves from their first hour. Verification needs the effective hour to
begin no earlier than the verification instant: settled hours are never re-assigned.

Verification refuses (REJECTED, with the reason) when the seller does not hold the MW in every
hour from the effective hour to the month's end, or when the MW left would not cover the
seller's open offers for the month (the same MW is never sold twice; see
:mod:`auction.holdings`). Misuse of the machine (a buyer verifying, accepting twice) raises
:class:`TransferStateError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from auction.holdings import OfferClaim, offered_tenths
from auction.ledger import FtrKey, Ledger, LedgerError, Origin, Posting
from auction.ledger_queries import minimum_position
from auction.ledger_time import ONE_HOUR, check_hour_ending
from market_terms.mw import tenths_to_mw


class TransferState(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    VERIFIED = "verified"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


FINAL_STATES = frozenset(
    {TransferState.VERIFIED, TransferState.DECLINED, TransferState.CANCELLED, TransferState.REJECTED}
)


class TransferStateError(ValueError):
    """A step not allowed from the transfer's state, or by this actor."""


@dataclass(frozen=True, slots=True)
class TransferEvent:
    """A step of the machine: who moved the transfer to ``state``, when, and why."""

    state: TransferState
    at: datetime
    by: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Transfer:
    transfer_id: str
    seller: str
    buyer: str
    keys: tuple[FtrKey, ...]
    mw_tenths: int
    effective_from: datetime
    state: TransferState
    events: tuple[TransferEvent, ...]

    @property
    def reference(self) -> str:
        return f"transfer:{self.transfer_id}"

    def effective_in(self, key: FtrKey) -> datetime:
        """The hour-ending instant from which the right of ``key`` moves."""
        return max(self.effective_from, key.month.first_hour_ending())


@dataclass(frozen=True, slots=True)
class VerificationOutcome:
    """The transfer after the OI's verification and, if VERIFIED, the postings to append."""

    transfer: Transfer
    postings: tuple[Posting, ...]

    @property
    def verified(self) -> bool:
        return self.transfer.state is TransferState.VERIFIED


def request_transfer(
    transfer_id: str,
    seller: str,
    buyer: str,
    keys: Iterable[FtrKey],
    mw_tenths: int,
    effective_from: datetime,
    at: datetime,
) -> Transfer:
    """The holder's request; raises ``ValueError`` naming the field for malformed input."""
    keys_t = tuple(sorted(set(keys)))
    effective = check_hour_ending(effective_from, "effective_from")
    if not transfer_id:
        raise ValueError("transfer_id is empty")
    if not seller or not buyer:
        raise ValueError(f"transfer {transfer_id}: seller and buyer must be named")
    if seller == buyer:
        raise ValueError(f"transfer {transfer_id}: seller and buyer are both {seller!r}")
    if not keys_t:
        raise ValueError(f"transfer {transfer_id}: no FTR given")
    if not isinstance(mw_tenths, int) or mw_tenths <= 0:
        raise ValueError(f"transfer {transfer_id}: mw_tenths must be a positive int, got {mw_tenths!r}")
    for key in keys_t:
        if effective > key.month.last_hour_ending():
            raise ValueError(
                f"transfer {transfer_id}: {key} ends before effective_from {effective.isoformat()}"
            )
    event = TransferEvent(TransferState.REQUESTED, at, seller)
    return Transfer(
        transfer_id, seller, buyer, keys_t, mw_tenths, effective, TransferState.REQUESTED, (event,)
    )


def _step(
    transfer: Transfer,
    allowed: set[TransferState],
    state: TransferState,
    at: datetime,
    by: str,
    note: str = "",
) -> Transfer:
    if transfer.state not in allowed:
        raise TransferStateError(
            f"transfer {transfer.transfer_id} is {transfer.state}: cannot become {state}"
        )
    return replace(transfer, state=state, events=(*transfer.events, TransferEvent(state, at, by, note)))


def accept_transfer(transfer: Transfer, by: str, at: datetime) -> Transfer:
    """The buyer accepts (OA 5.2.2(d) "by agreement")."""
    if by != transfer.buyer:
        raise TransferStateError(
            f"transfer {transfer.transfer_id}: only the buyer {transfer.buyer} may accept"
        )
    return _step(transfer, {TransferState.REQUESTED}, TransferState.ACCEPTED, at, by)


def decline_transfer(transfer: Transfer, by: str, at: datetime, note: str = "") -> Transfer:
    if by != transfer.buyer:
        raise TransferStateError(
            f"transfer {transfer.transfer_id}: only the buyer {transfer.buyer} may decline"
        )
    return _step(transfer, {TransferState.REQUESTED}, TransferState.DECLINED, at, by, note)


def cancel_transfer(transfer: Transfer, by: str, at: datetime, note: str = "") -> Transfer:
    if by != transfer.seller:
        raise TransferStateError(
            f"transfer {transfer.transfer_id}: only the seller {transfer.seller} may cancel"
        )
    return _step(
        transfer, {TransferState.REQUESTED, TransferState.ACCEPTED}, TransferState.CANCELLED, at, by, note
    )


def transfer_postings(transfer: Transfer) -> tuple[Posting, ...]:
    """The entry pairs: ``-MW`` from the seller and ``+MW`` to the buyer, per month, same reference."""
    out: list[Posting] = []
    for key in transfer.keys:
        at = transfer.effective_in(key)
        out.append(
            Posting(transfer.seller, key, -transfer.mw_tenths, Origin.TRANSFER, at, transfer.reference)
        )
        out.append(Posting(transfer.buyer, key, transfer.mw_tenths, Origin.TRANSFER, at, transfer.reference))
    return tuple(out)


def _verification_problem(
    transfer: Transfer, ledger: Ledger, offers: tuple[OfferClaim, ...], at: datetime
) -> str:
    """Why the seller's rights do not verify, or ``""``."""
    if transfer.effective_from - ONE_HOUR < at:
        return (
            f"the hour ending {transfer.effective_from.isoformat()} begins before verification at "
            f"{at.isoformat()}: settled hours are not re-assigned"
        )
    try:
        after = ledger.append(transfer_postings(transfer))
    except LedgerError as exc:
        return f"seller's rights not verified: {exc}"
    for key in transfer.keys:
        committed = offered_tenths(offers, transfer.seller, key)
        left = minimum_position(after, transfer.seller, key)
        if left < committed:
            return (
                f"{transfer.seller} has {tenths_to_mw(committed)} MW of {key} under open offers and "
                f"would hold only {tenths_to_mw(left)} MW in some hour: withdraw the offers first"
            )
    return ""


def verify_transfer(
    transfer: Transfer,
    ledger: Ledger,
    open_offers: Iterable[OfferClaim],
    by: str,
    at: datetime,
) -> VerificationOutcome:
    """The OI's verification of the seller's rights; VERIFIED with postings, or REJECTED with the reason."""
    if transfer.state is not TransferState.ACCEPTED:
        raise TransferStateError(
            f"transfer {transfer.transfer_id} is {transfer.state}: only an accepted transfer is verified"
        )
    reason = _verification_problem(transfer, ledger, tuple(open_offers), at)
    if reason:
        rejected = _step(transfer, {TransferState.ACCEPTED}, TransferState.REJECTED, at, by, reason)
        return VerificationOutcome(rejected, ())
    verified = _step(transfer, {TransferState.ACCEPTED}, TransferState.VERIFIED, at, by)
    return VerificationOutcome(verified, transfer_postings(transfer))
