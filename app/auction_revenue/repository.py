"""Every query on the transmission owners' revenue requirements (OA 7.3.9)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.auction_revenue.tables import RevenueRequirement


class RevenueRequirementRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, owner_id: int) -> RevenueRequirement | None:
        return self.session.get(RevenueRequirement, owner_id)

    def all(self) -> Sequence[RevenueRequirement]:
        """Every owner's requirement, in owner id order."""
        return self.session.exec(select(RevenueRequirement).order_by(col(RevenueRequirement.owner_id))).all()

    def save(self, row: RevenueRequirement) -> RevenueRequirement:
        self.session.add(row)
        self.session.flush()
        return row
