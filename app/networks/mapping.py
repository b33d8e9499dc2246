"""Table rows to wire schemas (networks)."""

from __future__ import annotations

from collections.abc import Mapping

from api_schemas.networks import NetworkFormatName, NetworkVersionPublic, PricingPointPublic
from app.networks.tables import NetworkPricingPoint, NetworkVersion


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


def pricing_point_public(p: NetworkPricingPoint, bus_names: Mapping[str, str]) -> PricingPointPublic:
    """A priced point with the name of its bus where the model names it (hubs and zones are their id)."""
    return PricingPointPublic(
        point_id=p.point_id, kind=p.kind, name=bus_names.get(p.point_id) if p.kind == "bus" else None
    )
