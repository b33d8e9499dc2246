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

from collections.abc import Mapping, Sequence
from decimal import Decimal

from sqlmodel import Session

from app.auctions.repository import AuctionRepository
from app.audit_chain import canonical_json, sha256_hex
from app.clearing.repository import ClearingRepository


def _six(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value):.6f}"


StoredRows = tuple[Sequence[tuple[int, int, int]], Sequence[tuple[str, int]]]
"""A class auction's fills ``(bid_id, cleared_mw_tenths, clearing_price_cents)`` and nodal prices
``(point_id, price_cents)``, as just written (integers and ids: stored exactly as given)."""


def clearing_results_hash(
    session: Session, auction_id: int, written: Mapping[int, StoredRows] | None = None
) -> str:
    """The results hash read from the tables; ``written`` (by class auction id: the fills and prices
    the caller stored in this transaction) saves reading them back. Binding constraints are always
    read back: their decimals are as the database rounded them."""
    session.flush()
    repo = ClearingRepository(session)
    written = written or {}
    classes = []
    for cls in sorted(AuctionRepository(session).classes(auction_id), key=lambda c: c.period_class):
        assert cls.id is not None
        if cls.id in written:
            fills = sorted(list(f) for f in written[cls.id][0])
            prices = sorted([p, c] for p, c in written[cls.id][1])
        else:
            stored = repo.fills(cls.id)
            fills = sorted([f.bid_id, f.cleared_mw_tenths, f.clearing_price_cents] for f in stored)
            prices = sorted([p.point_id, p.price_cents] for p in repo.nodal_prices(cls.id))
        classes.append(
            {
                "period_class": cls.period_class,
                "fills": fills,
                "prices": prices,
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
