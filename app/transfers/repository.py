"""Every query on the transfers table; a caller who is neither party finds nothing (404 upstream)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, or_, select

from app.transfers.tables import FtrTransfer


class TransferRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _party(participant_id: int) -> ColumnElement[bool]:
        return or_(FtrTransfer.seller_id == participant_id, FtrTransfer.buyer_id == participant_id)

    def find(self, transfer_id: int, *, party: int | None = None) -> FtrTransfer | None:
        """The transfer, or None; with ``party``, only if that participant is its seller or buyer."""
        stmt = select(FtrTransfer).where(FtrTransfer.id == transfer_id)
        if party is not None:
            stmt = stmt.where(self._party(party))
        return self.session.exec(stmt).first()

    def all(self, *, party: int | None = None) -> Sequence[FtrTransfer]:
        """Every transfer in id order; with ``party``, those it is a side of."""
        stmt = select(FtrTransfer)
        if party is not None:
            stmt = stmt.where(self._party(party))
        return self.session.exec(stmt.order_by(col(FtrTransfer.id))).all()

    def save(self, row: FtrTransfer) -> FtrTransfer:
        """Add or update, and flush (the id is then set)."""
        self.session.add(row)
        self.session.flush()
        return row
