"""``/api/v1/networks``: network model versions (the OI uploads; every participant reads)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile, status

from api_schemas.common import Page
from api_schemas.networks import NetworkFormatName, NetworkVersionPublic, PricingPointPublic
from app.deps import ClockDep, CurrentParticipant, CursorPageDep, ObjectId, Operator, SessionDep
from app.networks.loading import NetworkFormat
from app.networks.mapping import network_public, pricing_point_public
from app.networks.service import NetworkService

router = APIRouter(prefix="/api/v1/networks", tags=["networks"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=NetworkVersionPublic)
def upload_network(
    response: Response,
    caller: Operator,
    session: SessionDep,
    clock: ClockDep,
    file: Annotated[UploadFile, File(description="MATPOWER .m case or our network JSON")],
    format: Annotated[NetworkFormatName, Form(description="matpower or json")],
    name: Annotated[str | None, Form(max_length=200)] = None,
) -> NetworkVersionPublic:
    """Store a network model version (OI only). Same content again: 200 with the existing version."""
    content = file.file.read()
    stored = NetworkService(session).upload(
        fmt=NetworkFormat(format.value),
        content=content,
        name=name,
        uploader_id=caller.participant_id,
        now=clock.now(),
    )
    if not stored.created:
        response.status_code = status.HTTP_200_OK
    return network_public(stored.version)


@router.get("", response_model=Page[NetworkVersionPublic])
def list_networks(
    caller: CurrentParticipant, session: SessionDep, page: CursorPageDep
) -> Page[NetworkVersionPublic]:
    """Every stored network version, in id order, paged by cursor or offset."""
    found = NetworkService(session).page(page)
    return Page(
        items=[network_public(v) for (v,) in found.rows],
        total=found.total,
        limit=page.limit,
        offset=page.offset,
        next_cursor=found.next_cursor,
    )


@router.get("/{version_id}", response_model=NetworkVersionPublic)
def read_network(
    version_id: ObjectId, caller: CurrentParticipant, session: SessionDep
) -> NetworkVersionPublic:
    """One network version."""
    return network_public(NetworkService(session).get(version_id))


@router.get("/{version_id}/pricing-points", response_model=Page[PricingPointPublic])
def list_pricing_points(
    version_id: ObjectId, caller: CurrentParticipant, session: SessionDep, page: CursorPageDep
) -> Page[PricingPointPublic]:
    """The points bids may name as source or sink (OA 7.2.2), in natural order; paged by cursor or
    offset."""
    found, names = NetworkService(session).pricing_points(version_id, page)
    return Page(
        items=[pricing_point_public(p, names) for (p,) in found.rows],
        total=found.total,
        limit=page.limit,
        offset=page.offset,
        next_cursor=found.next_cursor,
    )
