"""Ledger rows and pure ledger answers to wire schemas; the portfolio as CSV."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from api_schemas.auctions import PeriodClassName
from api_schemas.bids import HedgeName
from api_schemas.holdings import (
    HistoryPublic,
    HistoryStepPublic,
    HoldingOrigin,
    HoldingPublic,
    PortfolioLinePublic,
    PortfolioPublic,
    PositionPublic,
    PositionsPublic,
)
from app.csv_export import write_csv
from app.holdings.tables import FtrHolding
from app.units import from_cents, from_tenths
from auction.ledger import FtrKey
from auction.ledger_queries import HistoryStep, Holding, PortfolioLine
from market_calendar import period_class_of


def holding_public(h: FtrHolding) -> HoldingPublic:
    assert h.id is not None
    return HoldingPublic(
        id=h.id,
        holder_id=h.holder_id,
        year=h.year,
        month=h.month,
        period_class=PeriodClassName(h.period_class),
        source=h.source,
        sink=h.sink,
        hedge=HedgeName(h.hedge),
        mw=from_tenths(h.mw_tenths),
        price=from_cents(h.price_cents) if h.price_cents is not None else None,
        origin=HoldingOrigin(h.origin),
        effective_from=h.effective_from,
        reference=h.reference,
        auction_id=h.auction_id,
        created_at=h.created_at,
    )


def _key_fields(key: FtrKey) -> dict[str, object]:
    return {
        "year": key.month.year,
        "month": key.month.month,
        "period_class": PeriodClassName(key.period_class.value),
        "source": key.source,
        "sink": key.sink,
        "hedge": HedgeName(key.hedge.value),
    }


def positions_public(at: datetime, holdings: Sequence[Holding]) -> PositionsPublic:
    return PositionsPublic(
        at=at,
        period_class_of_hour=PeriodClassName(period_class_of(at).value),
        items=[
            PositionPublic(holder_id=int(h.holder), mw=from_tenths(h.mw_tenths), **_key_fields(h.key))  # type: ignore[arg-type]
            for h in holdings
        ],
    )


def step_public(s: HistoryStep) -> HistoryStepPublic:
    return HistoryStepPublic(
        seq=s.seq,
        effective_from=s.effective_from,
        change_mw=from_tenths(s.change_tenths),
        position_mw=from_tenths(s.position_tenths),
        origin=HoldingOrigin(s.origin.value),
        reference=s.reference,
    )


def history_public(holder_id: int, key: FtrKey, steps: Sequence[HistoryStep]) -> HistoryPublic:
    return HistoryPublic(holder_id=holder_id, steps=[step_public(s) for s in steps], **_key_fields(key))  # type: ignore[arg-type]


def portfolio_public(year: int, month: int, lines: Sequence[PortfolioLine]) -> PortfolioPublic:
    items = []
    for line in lines:
        origins: list[HoldingOrigin] = []
        for s in line.history:
            o = HoldingOrigin(s.origin.value)
            if o not in origins:
                origins.append(o)
        items.append(
            PortfolioLinePublic(
                holder_id=int(line.holder),
                first_hour_mw=from_tenths(line.first_hour_tenths),
                last_hour_mw=from_tenths(line.last_hour_tenths),
                minimum_mw=from_tenths(line.minimum_tenths),
                origins=origins,
                history=[step_public(s) for s in line.history],
                **_key_fields(line.key),  # type: ignore[arg-type]
            )
        )
    return PortfolioPublic(year=year, month=month, items=items)


PORTFOLIO_COLUMNS = (
    "holder_id",
    "year",
    "month",
    "period_class",
    "source",
    "sink",
    "hedge",
    "first_hour_mw",
    "last_hour_mw",
    "minimum_mw",
    "origins",
    "history",
)


def portfolio_csv(p: PortfolioPublic) -> str:
    """One row per holding; ``history`` is ``seq@effective_from:change=position:origin`` joined by ``;``."""
    return write_csv(
        PORTFOLIO_COLUMNS,
        (
            [
                line.holder_id,
                line.year,
                line.month,
                line.period_class.value,
                line.source,
                line.sink,
                line.hedge.value,
                line.first_hour_mw,
                line.last_hour_mw,
                line.minimum_mw,
                " ".join(o.value for o in line.origins),
                ";".join(
                    f"{s.seq}@{s.effective_from.isoformat()}:{s.change_mw}={s.position_mw}:{s.origin.value}"
                    for s in line.history
                ),
            ]
            for line in p.items
        ),
    )
