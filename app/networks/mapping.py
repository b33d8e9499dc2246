"""Table rows to wire schemas (networks)."""

from __future__ import annotations

from api_schemas.networks import NetworkFormatName, NetworkVersionPublic
from app.networks.tables import NetworkVersion


def network_public(v: NetworkVersion) -> NetworkVersionPublic:
    assert v.id is not None
    return NetworkVersionPublic(
        id=v.id,
        name=v.name,
        content_hash=v.content_hash,
        source_format=NetworkFormatName(v.source_format),
        n_buses=v.n_buses,
        n_branches=v.n_branches,
        n_pricing_points=v.n_pricing_points,
        created_at=v.created_at,
    )
