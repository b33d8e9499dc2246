"""Auction settlement (OA 7.3.8) and net revenue to transmission owners (OA 7.3.9), from stored fills.

Statements are :func:`auction.auction_settlement.auction_statements` over the auction's cleared
trades; the net revenue is their sum and :func:`auction.revenue_allocation.allocate_revenue_cents`
shares it by largest remainder, so the shares add up to the net revenue to the cent. A
participant reads its own statement once results are posted; the OI and auditors read every
statement once the auction is cleared. Revenue requirements are entered by the OI.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from app.auction_revenue.repository import RevenueRequirementRepository
from app.auction_revenue.tables import RevenueRequirement
from app.auctions.lifecycle import AuctionStatus
from app.auctions.repository import AuctionRepository
from app.auctions.tables import Auction
from app.audit.service import record_audit
from app.clearing.trades import cleared_trades
from app.errors import FieldError, NotFound, Unprocessable, ValidationFailed
from app.participants.repository import ParticipantRepository
from app.participants.roles import READ_ALL_ROLES, Role
from app.participants.service import Caller, participant_label
from auction.auction_settlement import AuctionStatement, auction_statements, net_auction_revenue_cents
from auction.revenue_allocation import allocate_revenue_cents

SETTLED = (AuctionStatus.CLEARED.value, AuctionStatus.POSTED.value)


class AuctionRevenueService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _auction(self, caller: Caller, auction_id: int) -> Auction:
        auction = AuctionRepository(self.session).get(auction_id)
        visible = auction is not None and (
            auction.status == AuctionStatus.POSTED.value
            or (caller.role in READ_ALL_ROLES and auction.status in SETTLED)
        )
        if auction is None or not visible:
            raise NotFound(f"settled results of auction {auction_id} not found")
        return auction

    def statements_and_bid_ids(
        self, caller: Caller, auction_id: int
    ) -> tuple[tuple[AuctionStatement, ...], dict[str, int]]:
        """The statements the caller may read (own; OI and auditors all) and the bid id of each trade."""
        auction = self._auction(caller, auction_id)
        stored = cleared_trades(self.session, auction)
        everyone = auction_statements([t.trade for t in stored])
        ids = {t.trade.reference: t.bid_id for t in stored}
        if caller.role in READ_ALL_ROLES:
            return everyone, ids
        return tuple(s for s in everyone if s.participant == str(caller.participant_id)), ids

    def set_requirement(
        self, owner_id: int, amount_cents: int, *, actor: str, now: datetime
    ) -> RevenueRequirement:
        owner = ParticipantRepository(self.session).get(owner_id)
        if owner is None or Role(owner.role) is not Role.TRANSMISSION_OWNER:
            raise ValidationFailed(
                f"{participant_label(owner, owner_id)} is not a transmission owner",
                errors=[FieldError("path.owner_id", "not a transmission owner")],
            )
        row = RevenueRequirementRepository(self.session).get(owner_id)
        before = row.amount_cents if row is not None else None
        if row is None:
            row = RevenueRequirement(owner_id=owner_id, amount_cents=amount_cents, updated_at=now)
        row.amount_cents = amount_cents
        row.updated_at = now
        RevenueRequirementRepository(self.session).save(row)
        record_audit(
            self.session,
            actor,
            "revenue_requirement.set",
            {"owner_id": owner_id, "before_cents": before, "after_cents": amount_cents},
            at=now,
        )
        return row

    def requirements(self) -> Sequence[RevenueRequirement]:
        return RevenueRequirementRepository(self.session).all()

    def allocation(self, caller: Caller, auction_id: int) -> tuple[int, dict[int, int], dict[int, int]]:
        """(net revenue cents, {owner: share cents}, {owner: requirement cents}); a TO sees its own share."""
        auction = self._auction(caller, auction_id)
        net = net_auction_revenue_cents(t.trade for t in cleared_trades(self.session, auction))
        reqs = {r.owner_id: r.amount_cents for r in self.requirements()}
        if not reqs or sum(reqs.values()) <= 0:
            raise Unprocessable(
                "no transmission owner revenue requirements are entered: nothing to allocate by (OA 7.3.9)"
            )
        shares = {
            int(k): v for k, v in allocate_revenue_cents(net, {str(k): v for k, v in reqs.items()}).items()
        }
        if caller.role not in READ_ALL_ROLES:
            shares = {k: v for k, v in shares.items() if k == caller.participant_id}
        return net, shares, reqs
