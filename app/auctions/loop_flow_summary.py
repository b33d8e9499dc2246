"""Loop flow per network version: what the auctions cleared on a version put on its constraints.

Loop flow (OA 7.3.6(a): estimated uncompensated parallel flow, MW on a monitored constraint before
any FTR) is a period condition of each auction, not part of the network model; the summary of a
version gathers it over the auctions that use that version. Per constraint: in how many auctions it
carries loop flow, the least and most MW, and the largest share of its normal limit taken (the
branches most affected come first). Draft auctions count only for the OI (others never see them).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.auctions.lifecycle import AuctionStatus
from app.auctions.tables import Auction
from app.networks.outages import network_from_document
from app.networks.tables import NetworkVersion
from network.constraints import monitored_constraints

CSV_HEADER = ("constraint", "kind", "auctions", "min_loop_flow_mw", "max_loop_flow_mw", "limit_normal_mw",
              "max_share_of_limit_pct", "auction_ids")  # fmt: skip


@dataclass(frozen=True, slots=True)
class LoopFlowRow:
    constraint_id: str
    kind: str
    auction_ids: tuple[int, ...]
    min_mw: float
    max_mw: float
    limit_normal_mw: float | None
    """``None``: the constraint is not monitored in the version (the auction named it anyway)"""

    @property
    def max_share_pct(self) -> float | None:
        """Largest ``|loop flow| / normal limit`` in %, or ``None`` without a limit."""
        if not self.limit_normal_mw:
            return None
        return 100.0 * max(abs(self.min_mw), abs(self.max_mw)) / self.limit_normal_mw

    def csv_row(self) -> tuple[object, ...]:
        share = self.max_share_pct
        return (
            self.constraint_id,
            self.kind,
            len(self.auction_ids),
            f"{self.min_mw:.1f}",
            f"{self.max_mw:.1f}",
            "" if self.limit_normal_mw is None else f"{self.limit_normal_mw:.1f}",
            "" if share is None else f"{share:.1f}",
            " ".join(str(a) for a in self.auction_ids),
        )


@dataclass(frozen=True, slots=True)
class LoopFlowSummary:
    version_id: int
    auctions: int
    """auctions on the version counted (with or without loop flow)"""
    rows: Sequence[LoopFlowRow]
    """most affected first: largest share of the normal limit, then largest MW"""


def loop_flow_summary(session: Session, version: NetworkVersion, *, include_drafts: bool) -> LoopFlowSummary:
    assert version.id is not None
    stmt = select(Auction).where(Auction.network_version_id == version.id).order_by(col(Auction.id))
    auctions = [
        a for a in session.exec(stmt).all() if include_drafts or a.status != AuctionStatus.DRAFT.value
    ]
    found: dict[str, list[tuple[int, float]]] = {}
    for auction in auctions:
        assert auction.id is not None
        for constraint_id, mw in json.loads(auction.loop_flow).items():
            found.setdefault(constraint_id, []).append((auction.id, float(mw)))
    monitored = monitored_constraints(network_from_document(version.document)) if found else None
    where = {cid: k for k, cid in enumerate(monitored.ids)} if monitored is not None else {}
    rows = []
    for constraint_id, seen in found.items():
        k = where.get(constraint_id)
        assert monitored is not None
        rows.append(
            LoopFlowRow(
                constraint_id=constraint_id,
                kind=monitored.kinds[k].value if k is not None else "unknown",
                auction_ids=tuple(a for a, _ in seen),
                min_mw=min(mw for _, mw in seen),
                max_mw=max(mw for _, mw in seen),
                limit_normal_mw=float(monitored.limit_normal_mw[k]) if k is not None else None,
            )
        )
    rows.sort(key=lambda r: (-(r.max_share_pct or 0.0), -max(abs(r.min_mw), abs(r.max_mw)), r.constraint_id))
    return LoopFlowSummary(version_id=version.id, auctions=len(auctions), rows=rows)
