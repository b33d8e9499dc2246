"""Every query on ``market_clock`` (its single row, id 1)."""

from __future__ import annotations

from sqlmodel import Session, select

from app.market_clock.tables import MarketClock

ROW_ID = 1


class MarketClockRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self) -> MarketClock | None:
        return self.session.exec(select(MarketClock).where(MarketClock.id == ROW_ID)).first()

    def lock(self) -> MarketClock | None:
        statement = select(MarketClock).where(MarketClock.id == ROW_ID).with_for_update()
        return self.session.exec(statement).first()

    def save(self, row: MarketClock) -> MarketClock:
        self.session.add(row)
        self.session.flush()
        return row
