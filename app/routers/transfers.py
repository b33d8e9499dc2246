"""``/api/v1/transfers``: bilateral FTR transfers, requested, accepted, verified (OA 5.2.2(d))."""

from __future__ import annotations

from fastapi import APIRouter, status

from api_schemas.transfers import TransferCreate, TransferNote, TransferPublic
from app.deps import Bidder, ClockDep, CurrentParticipant, ObjectId, Operator, SessionDep
from app.holdings.service import key_from_query
from app.transfers.mapping import transfer_public
from app.transfers.service import TransferService
from app.units import to_tenths

router = APIRouter(prefix="/api/v1/transfers", tags=["transfers"])


TRANSFER_LINKS = {
    name: {"operationId": operation, "parameters": {"transfer_id": "$response.body#/id"}}
    for name, operation in (
        ("ReadTransfer", "read_transfer_api_v1_transfers__transfer_id__get"),
        ("AcceptTransfer", "accept_transfer_api_v1_transfers__transfer_id__accept_post"),
        ("DeclineTransfer", "decline_transfer_api_v1_transfers__transfer_id__decline_post"),
        ("CancelTransfer", "cancel_transfer_api_v1_transfers__transfer_id__cancel_post"),
        ("VerifyTransfer", "verify_transfer_api_v1_transfers__transfer_id__verify_post"),
    )
}
"""OpenAPI links from a requested transfer to the steps on it."""


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TransferPublic,
    responses={201: {"links": TRANSFER_LINKS}},
)
def request_transfer(
    body: TransferCreate, caller: Bidder, session: SessionDep, clock: ClockDep
) -> TransferPublic:
    """The holder asks to transfer MW of a right (one or more months and classes) to a buyer."""
    keys = [
        key_from_query(r.year, r.month, r.period_class.value, r.source, r.sink, r.hedge.value)
        for r in body.rights
    ]
    row = TransferService(session).request(
        caller,
        buyer_id=body.buyer_id,
        keys=keys,
        mw_tenths=to_tenths(body.mw),
        effective_from=body.effective_from,
        now=clock.now(),
    )
    return transfer_public(row)


@router.get("", response_model=list[TransferPublic])
def list_transfers(caller: CurrentParticipant, session: SessionDep) -> list[TransferPublic]:
    """Transfers the caller sells or buys (the OI and auditors: all)."""
    return [transfer_public(r) for r in TransferService(session).list_readable(caller)]


@router.get("/{transfer_id}", response_model=TransferPublic)
def read_transfer(transfer_id: ObjectId, caller: CurrentParticipant, session: SessionDep) -> TransferPublic:
    return transfer_public(TransferService(session).get(caller, transfer_id))


@router.post("/{transfer_id}/accept", response_model=TransferPublic)
def accept_transfer(
    transfer_id: ObjectId, caller: Bidder, session: SessionDep, clock: ClockDep
) -> TransferPublic:
    """The buyer accepts (OA 5.2.2(d) "by agreement")."""
    return transfer_public(TransferService(session).accept(caller, transfer_id, clock.now()))


@router.post("/{transfer_id}/decline", response_model=TransferPublic)
def decline_transfer(
    transfer_id: ObjectId, body: TransferNote, caller: Bidder, session: SessionDep, clock: ClockDep
) -> TransferPublic:
    """The buyer declines."""
    return transfer_public(TransferService(session).decline(caller, transfer_id, clock.now(), body.note))


@router.post("/{transfer_id}/cancel", response_model=TransferPublic)
def cancel_transfer(
    transfer_id: ObjectId, body: TransferNote, caller: Bidder, session: SessionDep, clock: ClockDep
) -> TransferPublic:
    """The seller withdraws its request before verification."""
    return transfer_public(TransferService(session).cancel(caller, transfer_id, clock.now(), body.note))


@router.post("/{transfer_id}/verify", response_model=TransferPublic)
def verify_transfer(
    transfer_id: ObjectId, caller: Operator, session: SessionDep, clock: ClockDep
) -> TransferPublic:
    """The OI verifies the seller's rights: ``verified`` (entries appended) or ``rejected`` with why."""
    return transfer_public(TransferService(session).verify(caller, transfer_id, clock.now()))
