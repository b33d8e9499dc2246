"""Tables: ``participant`` and ``api_key`` (keys stored as an HMAC, never in clear)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import app.tables_base  # noqa: F401  (the naming convention must be set before any table)
from app.db_types import UTCDateTime


class Participant(SQLModel, table=True):
    __tablename__ = "participant"
    __table_args__ = (sa.CheckConstraint("credit_limit_cents >= 0", name="credit_limit_nonnegative"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False, unique=True))
    role: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    credit_limit_cents: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("participant.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    prefix: str = Field(sa_column=sa.Column(sa.String(32), nullable=False, unique=True))
    key_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
