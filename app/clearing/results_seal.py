"""The hash of an auction's stored clearing results, recorded in the audit chain and recomputed later.

``results_hash = sha256(canonical({"auction_id", "classes": [...]}))`` where each class (in
``period_class`` order) lists, sorted, its fills ``[bid_id, cleared_mw_tenths,
clearing_price_cents]``, its nodal prices ``[point_id, price_cents]`` and its binding constraints
``[constraint_id, contingency_id, shadow_price, flow_mw, limit_mw]`` (decimals as strings with six
places, the column scale, so the hash does not depend on how a database returns them). It goes into
the ``clearing.run`` and ``auction.posted`` links; :mod:`app.audit_verify` recomputes it from the
tables, so changing a stored fill, price or constraint is caught.
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from app.auctions.repository import AuctionRepository
from app.audit_chain import canonical_json, sha256_hex
from app.clearing.repository import ClearingRepository


def _six(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value):.6f}"


def clearing_results_hash(session: Session, auction_id: int) -> str:
    session.flush()
    repo = ClearingRepository(session)
    classes = []
    for cls in sorted(AuctionRepository(session).classes(auction_id), key=lambda c: c.period_class):
        assert cls.id is not None
        classes.append(
            {
                "period_class": cls.period_class,
                "fills": sorted(
                    [f.bid_id, f.cleared_mw_tenths, f.clearing_price_cents] for f in repo.fills(cls.id)
                ),
                "prices": sorted([p.point_id, p.price_cents] for p in repo.nodal_prices(cls.id)),
                "binding": sorted(
                    (
                        [
                            b.constraint_id,
                            b.contingency_id or "",
                            _six(b.shadow_price),
                            _six(b.flow_mw),
                            _six(b.limit_mw),
                        ]
                        for b in repo.binding(cls.id)
                    ),
                    key=canonical_json,
                ),
            }
        )
    return sha256_hex(canonical_json({"auction_id": auction_id, "classes": classes}))
