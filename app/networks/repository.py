"""Every query on network versions and their pricing points."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.networks.tables import NetworkPricingPoint, NetworkVersion
from app.paging import KeyedPage, Pagination, page_by_composite_key, page_by_key

_DIGITS = re.compile(r"\d+")


def natural_key(point_id: str) -> str:
    """``point_id`` with each run of digits zero-padded to 12 places, lower case: sorting these keys as
    text sorts the ids naturally (bus ``2`` before ``10``, ``hub 9`` before ``hub 10``)."""
    return _DIGITS.sub(lambda m: m.group().zfill(12), point_id.lower())


class NetworkRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, version_id: int) -> NetworkVersion | None:
        return self.session.get(NetworkVersion, version_id)

    def by_hash(self, content_hash: str) -> NetworkVersion | None:
        return self.session.exec(
            select(NetworkVersion).where(NetworkVersion.content_hash == content_hash)
        ).first()

    def list_all(self, *, limit: int, offset: int) -> tuple[Sequence[NetworkVersion], int]:
        total = self.session.exec(select(func.count()).select_from(NetworkVersion)).one()
        rows = self.session.exec(
            select(NetworkVersion).order_by(col(NetworkVersion.id)).limit(limit).offset(offset)
        ).all()
        return rows, int(total)

    def page(self, page: Pagination) -> KeyedPage:
        """Every version in id order, paged by cursor or offset (rows ``(NetworkVersion,)``)."""
        return page_by_key(self.session, select(NetworkVersion), col(NetworkVersion.id), page, "networks")

    def add(self, version: NetworkVersion, points: Iterable[tuple[str, str]]) -> NetworkVersion:
        self.session.add(version)
        self.session.flush()
        assert version.id is not None
        self.session.add_all(
            NetworkPricingPoint(network_version_id=version.id, point_id=p, kind=k, sort_key=natural_key(p))
            for p, k in points
        )
        self.session.flush()
        return version

    def pricing_points(
        self, version_id: int, *, limit: int | None = None, offset: int = 0
    ) -> Sequence[NetworkPricingPoint]:
        stmt = (
            select(NetworkPricingPoint)
            .where(NetworkPricingPoint.network_version_id == version_id)
            .order_by(col(NetworkPricingPoint.sort_key), col(NetworkPricingPoint.point_id))
            .offset(offset)
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        return self.session.exec(stmt).all()

    def page_of_points(self, version_id: int, page: Pagination, total: int) -> KeyedPage:
        """A page of the version's points in natural order (``sort_key``, then the id), by cursor or
        offset; rows are ``(NetworkPricingPoint,)``."""
        stmt = select(NetworkPricingPoint).where(NetworkPricingPoint.network_version_id == version_id)
        keys = (col(NetworkPricingPoint.sort_key), col(NetworkPricingPoint.point_id))
        return page_by_composite_key(self.session, stmt, keys, page, "pricing-points", total=total)

    def point_ids(self, version_id: int) -> list[str]:
        """Every pricing point id of the version."""
        return list(
            self.session.exec(
                select(NetworkPricingPoint.point_id).where(
                    NetworkPricingPoint.network_version_id == version_id
                )
            ).all()
        )

    def known_points(self, version_id: int, point_ids: Iterable[str]) -> set[str]:
        wanted = sorted(set(point_ids))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            found.update(
                self.session.exec(
                    select(NetworkPricingPoint.point_id).where(
                        NetworkPricingPoint.network_version_id == version_id,
                        col(NetworkPricingPoint.point_id).in_(chunk),
                    )
                ).all()
            )
        return found
