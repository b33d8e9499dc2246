"""Bilateral transfers (OA 5.2.2(d)) in the service; the state machine is :mod:`auction.transfers`.

The holder requests, the buyer accepts or declines, the seller may cancel, and the OI verifies:
verification (:func:`auction.transfers.verify_transfer`) runs on the seller's stored ledger and
open offers under the seller's lock, and a verified transfer's entry pairs are appended to the
ledger in the same transaction; a rejection is stored with its reason. Each step is audited.
Only the seller, the buyer, the OI and auditors can see a transfer (others: 404).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from app.auctions.lifecycle import AuctionStatus
from app.auctions.repository import AuctionRepository
from app.audit.service import actor_of, record_audit
from app.bids.repository import BidRepository
from app.errors import FieldError, InvalidStep, NotFound, ValidationFailed
from app.holdings.ledger_mapping import holder_name, key_of
from app.holdings.service import HoldingService
from app.participants.repository import ParticipantRepository
from app.participants.roles import BIDDING_ROLES, READ_ALL_ROLES, Role
from app.participants.service import Caller
from app.transfers.repository import TransferRepository
from app.transfers.tables import FtrTransfer
from auction.holdings import OfferClaim
from auction.ledger import FtrKey, LedgerError
from auction.ledger_time import DeliveryMonth
from auction.transfers import (
    Transfer,
    TransferEvent,
    TransferState,
    TransferStateError,
    accept_transfer,
    cancel_transfer,
    decline_transfer,
    request_transfer,
    transfer_postings,
    verify_transfer,
)


def _keys_json(keys: Sequence[FtrKey]) -> str:
    return json.dumps(
        [[str(k.month), k.period_class.value, k.source, k.sink, k.hedge.value] for k in keys],
        separators=(",", ":"),
    )


def keys_of(row: FtrTransfer) -> tuple[FtrKey, ...]:
    out = []
    for month, cls, source, sink, hedge in json.loads(row.keys):
        m = DeliveryMonth.parse(month)
        out.append(key_of(m.year, m.month, cls, source, sink, hedge))
    return tuple(out)


def transfer_of(row: FtrTransfer) -> Transfer:
    assert row.id is not None
    events = tuple(
        TransferEvent(TransferState(e["state"]), datetime.fromisoformat(e["at"]), e["by"], e["note"])
        for e in json.loads(row.events)
    )
    return Transfer(
        str(row.id),
        holder_name(row.seller_id),
        holder_name(row.buyer_id),
        keys_of(row),
        row.mw_tenths,
        row.effective_from,
        TransferState(row.state),
        events,
    )


def _store(row: FtrTransfer, t: Transfer, now: datetime) -> None:
    row.state = t.state.value
    row.events = json.dumps(
        [{"state": e.state.value, "at": e.at.isoformat(), "by": e.by, "note": e.note} for e in t.events],
        separators=(",", ":"),
    )
    row.updated_at = now


class TransferService:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.repo = TransferRepository(session)

    @staticmethod
    def _party(caller: Caller) -> int | None:
        """The participant whose transfers the caller may read; None for the OI and auditors (all)."""
        return None if caller.role in READ_ALL_ROLES else caller.participant_id

    def _readable(self, caller: Caller, transfer_id: int) -> FtrTransfer:
        row = self.repo.find(transfer_id, party=self._party(caller))
        if row is None:
            raise NotFound(f"transfer {transfer_id} not found")
        return row

    def get(self, caller: Caller, transfer_id: int) -> FtrTransfer:
        return self._readable(caller, transfer_id)

    def list_readable(self, caller: Caller) -> Sequence[FtrTransfer]:
        return self.repo.all(party=self._party(caller))

    def request(
        self,
        caller: Caller,
        *,
        buyer_id: int,
        keys: Sequence[FtrKey],
        mw_tenths: int,
        effective_from: datetime,
        now: datetime,
    ) -> FtrTransfer:
        def requested(transfer_id: str) -> Transfer:
            try:
                return request_transfer(
                    transfer_id,
                    holder_name(caller.participant_id),
                    holder_name(buyer_id),
                    keys,
                    mw_tenths,
                    effective_from,
                    now,
                )
            except ValueError as exc:
                raise ValidationFailed(str(exc), errors=[FieldError("body", str(exc))]) from None

        draft = requested("requested")
        # The seller's rights first: a caller that holds nothing learns nothing about other ids.
        self._check_seller_holds(caller, draft)
        buyer = ParticipantRepository(self.session).get(buyer_id)
        if buyer is None or Role(buyer.role) not in BIDDING_ROLES:
            # One answer for an unknown id and for a participant that may not hold FTRs.
            raise ValidationFailed(
                f"participant {buyer_id} cannot hold FTRs",
                errors=[FieldError("body.buyer_id", "not a trader or LSE")],
            )
        row = FtrTransfer(
            seller_id=caller.participant_id,
            buyer_id=buyer_id,
            keys=_keys_json(keys),
            mw_tenths=mw_tenths,
            effective_from=effective_from,
            state=TransferState.REQUESTED.value,
            events="[]",
            created_at=now,
            updated_at=now,
        )
        self.repo.save(row)
        t = requested(str(row.id))
        row.keys = _keys_json(t.keys)
        row.effective_from = t.effective_from
        _store(row, t, now)
        self.repo.save(row)
        self._audit(caller, "transfer.requested", row, now)
        return row

    def _check_seller_holds(self, caller: Caller, draft: Transfer) -> None:
        """The seller holds the MW of every right in every hour from ``effective_from`` on.

        The same ledger rule the OI's verification applies (it is applied again there, with the
        seller's open offers, since holdings can change in between).
        """
        months = sorted({k.month for k in draft.keys})
        ledger = HoldingService(self.session).ledger(months, holder_id=caller.participant_id)
        try:
            ledger.append(transfer_postings(draft))
        except LedgerError:
            raise ValidationFailed(
                "the seller does not hold these rights for every hour of the transfer",
                errors=[
                    FieldError("body.mw", "more than the seller holds in some hour from effective_from on")
                ],
            ) from None

    def _step(
        self, caller: Caller, transfer_id: int, action: str, now: datetime, note: str = ""
    ) -> FtrTransfer:
        row = self._readable(caller, transfer_id)
        t = transfer_of(row)
        me = holder_name(caller.participant_id)
        try:
            if action == "accept":
                t = accept_transfer(t, me, now)
            elif action == "decline":
                t = decline_transfer(t, me, now, note)
            else:
                t = cancel_transfer(t, me, now, note)
        except TransferStateError as exc:
            raise InvalidStep(str(exc), extensions={"state": row.state}) from None
        _store(row, t, now)
        self.repo.save(row)
        self._audit(caller, f"transfer.{t.state.value}", row, now)
        return row

    def accept(self, caller: Caller, transfer_id: int, now: datetime) -> FtrTransfer:
        return self._step(caller, transfer_id, "accept", now)

    def decline(self, caller: Caller, transfer_id: int, now: datetime, note: str) -> FtrTransfer:
        return self._step(caller, transfer_id, "decline", now, note)

    def cancel(self, caller: Caller, transfer_id: int, now: datetime, note: str) -> FtrTransfer:
        return self._step(caller, transfer_id, "cancel", now, note)

    def verify(self, caller: Caller, transfer_id: int, now: datetime) -> FtrTransfer:
        """The OI verifies the seller's rights: VERIFIED (entries appended) or REJECTED with the reason."""
        row = self._readable(caller, transfer_id)
        ParticipantRepository(self.session).lock(row.seller_id)
        t = transfer_of(row)
        months = sorted({k.month for k in t.keys})
        holdings = HoldingService(self.session)
        ledger = holdings.ledger(months)
        try:
            outcome = verify_transfer(
                t, ledger, self._open_offers(row.seller_id, months), actor_of(caller.participant_id), now
            )
        except TransferStateError as exc:
            raise InvalidStep(str(exc), extensions={"state": row.state}) from None
        entries = holdings.append(outcome.postings, now=now, lock_debited=False) if outcome.verified else []
        _store(row, outcome.transfer, now)
        self.repo.save(row)
        self._audit(
            caller, f"transfer.{outcome.transfer.state.value}", row, now, entries=[e.id for e in entries]
        )
        return row

    def _open_offers(self, seller_id: int, months: Sequence[DeliveryMonth]) -> list[OfferClaim]:
        """The seller's active offers in auctions of these months not yet posted (they reserve MW)."""
        auctions = AuctionRepository(self.session)
        bids = BidRepository(self.session)
        out = []
        for m in months:
            auction = auctions.by_month(m.year, m.month)
            if auction is None or auction.id is None or auction.status == AuctionStatus.POSTED.value:
                continue
            for cls in auctions.classes(auction.id):
                assert cls.id is not None
                for b in bids.open_offers(seller_id, cls.id):
                    key = key_of(m.year, m.month, b.period_class, b.source, b.sink, b.hedge)
                    out.append(OfferClaim(str(b.id), holder_name(seller_id), key, b.mw_tenths))
        return out

    def _audit(self, caller: Caller, action: str, row: FtrTransfer, now: datetime, **extra: object) -> None:
        events = json.loads(row.events)
        record_audit(
            self.session,
            actor_of(caller.participant_id),
            action,
            {
                "transfer_id": row.id,
                "seller_id": row.seller_id,
                "buyer_id": row.buyer_id,
                "rights": json.loads(row.keys),
                "mw_tenths": row.mw_tenths,
                "effective_from": row.effective_from,
                "state": row.state,
                "note": events[-1]["note"] if events else "",
                **extra,
            },
            at=now,
        )
