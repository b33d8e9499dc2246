"""Table ``ftr_application``: pending applications for allocated or assigned FTRs (OA 7.3.3).

A row stores an :class:`auction.allocation_applications.Application`: the applicant, the kind
(``nsu_allocation``, OA 5.2.2(b); ``ptp_assignment``, OA 5.2.2(c)), the FTRs asked for (JSON
list of ``[source, sink, mw_tenths]``, obligations), the period it is pending for and the last
month of its term, the state and its events (JSON list of ``{state, at, period, note}``). The
details the rules were checked on (designations with capacities and peak loads, reservations
with the customer's election) are kept as submitted in ``details`` (JSON).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import app.tables_base  # noqa: F401  (the naming convention must be set before any table)
from app.db_types import UTCDateTime


class FtrApplication(SQLModel, table=True):
    __tablename__ = "ftr_application"

    id: int | None = Field(default=None, primary_key=True)
    applicant_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("participant.id"), nullable=False, index=True)
    )
    kind: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    ftrs: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    details: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    period_year: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    period_month: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    last_year: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    last_month: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    state: str = Field(sa_column=sa.Column(sa.String(16), nullable=False, index=True))
    events: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
