"""Table ``revenue_requirement``: each transmission owner's revenue requirement, entered by the OI.

OA 7.3.9 allocates net auction revenue "in proportion to their respective transmission revenue
requirements": only the proportions matter, so one current figure per owner is kept (integer
cents per year), replaced when the OI enters a new one (the change is in the audit log).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import app.tables_base  # noqa: F401  (the naming convention must be set before any table)
from app.db_types import UTCDateTime


class RevenueRequirement(SQLModel, table=True):
    __tablename__ = "revenue_requirement"
    __table_args__ = (sa.CheckConstraint("amount_cents >= 0", name="amount_nonnegative"),)

    owner_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("participant.id"), primary_key=True, autoincrement=False
        )
    )
    amount_cents: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
