"""Tables: ``network_version`` (immutable, content-hash identified) and its ``network_pricing_point``s."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import app.tables_base  # noqa: F401  (the naming convention must be set before any table)
from app.db_types import UTCDateTime


class NetworkVersion(SQLModel, table=True):
    """One uploaded network model; ``document`` is its canonical JSON (``network.json_format``).

    ``content_hash`` is the SHA-256 of the canonical JSON: the same model uploaded twice is the
    same version. Rows are never updated (immutability is enforced by the service: no route changes one).
    """

    __tablename__ = "network_version"

    id: int | None = Field(default=None, primary_key=True)
    content_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    source_format: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    document: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    n_buses: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    n_branches: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    n_pricing_points: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    created_by_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("participant.id"), nullable=False)
    )
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class NetworkPricingPoint(SQLModel, table=True):
    """The priced points of a version (OA 7.2.2: any bus with a posted LMP, plus hubs and zones)."""

    __tablename__ = "network_pricing_point"

    network_version_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("network_version.id", ondelete="CASCADE"), primary_key=True
        )
    )
    point_id: str = Field(sa_column=sa.Column(sa.String(100), primary_key=True))
    kind: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    sort_key: str = Field(default="", sa_column=sa.Column(sa.String(700), nullable=False, server_default=""))
    """The point id in natural order (``2`` before ``10``): :func:`app.networks.repository.natural_key`."""
