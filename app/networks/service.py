"""Rules for network versions: OI uploads, content-hash identity, immutability."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app.errors import NotFound
from app.networks.loading import NetworkFormat, parse_network
from app.networks.outages import network_from_document
from app.networks.repository import NetworkRepository
from app.networks.tables import NetworkVersion
from app.paging import KeyedPage, Pagination


@dataclass(frozen=True, slots=True)
class StoredVersion:
    version: NetworkVersion
    created: bool
    """False when the same content was already stored (the upload is idempotent)."""


class NetworkService:
    def __init__(self, session: Session) -> None:
        self.repo = NetworkRepository(session)

    def upload(
        self, *, fmt: NetworkFormat, content: bytes, name: str | None, uploader_id: int, now: datetime
    ) -> StoredVersion:
        parsed = parse_network(fmt, content, name)
        existing = self.repo.by_hash(parsed.content_hash)
        if existing is not None:
            return StoredVersion(existing, created=False)
        version = NetworkVersion(
            content_hash=parsed.content_hash,
            name=parsed.name[:200],
            source_format=fmt.value,
            document=parsed.document,
            n_buses=parsed.n_buses,
            n_branches=parsed.n_branches,
            n_pricing_points=len(parsed.pricing_points),
            created_by_id=uploader_id,
            created_at=now,
        )
        return StoredVersion(self.repo.add(version, parsed.pricing_points), created=True)

    def get(self, version_id: int) -> NetworkVersion:
        version = self.repo.get(version_id)
        if version is None:
            raise NotFound(f"network version {version_id} not found")
        return version

    def list_all(self, *, limit: int, offset: int) -> tuple[Sequence[NetworkVersion], int]:
        return self.repo.list_all(limit=limit, offset=offset)

    def page(self, page: Pagination) -> KeyedPage:
        return self.repo.page(page)

    def pricing_points(self, version_id: int, page: Pagination) -> tuple[KeyedPage, dict[str, str]]:
        """A page of the version's points (rows ``(NetworkPricingPoint,)``, by cursor or offset) and
        bus id -> name (named buses only).

        The names come from the stored document (MATPOWER ``bus_name``), not from another table.
        """
        version = self.get(version_id)
        net = network_from_document(version.document)
        names = {b: n for b, n in zip(net.bus_ids, net.bus_names, strict=True) if n} if net.bus_names else {}
        return self.repo.page_of_points(version_id, page, version.n_pricing_points), names
