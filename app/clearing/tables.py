"""Tables of a clearing's results (its job is a row of ``job``, :mod:`app.jobs.tables`).

Results (``bid_fill`` in :mod:`app.bid_fills`, ``nodal_price``, ``binding_constraint``) are written in
one transaction together with the auction's move to ``cleared``: all or nothing. Prices are integer
cents per MW for the whole period of the class; shadow prices and flows are exact decimals.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import app.tables_base  # noqa: F401  (the naming convention must be set before any table)


class NodalPrice(SQLModel, table=True):
    """Price of a pricing point ($/MW for the period, in cents; reference 0): path price = sink - source."""

    __tablename__ = "nodal_price"

    class_auction_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("class_auction.id", ondelete="CASCADE"), primary_key=True
        )
    )
    point_id: str = Field(sa_column=sa.Column(sa.String(100), primary_key=True))
    price_cents: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class BindingConstraint(SQLModel, table=True):
    """A constraint binding at the optimum with its shadow price ($/MW of FTR per MW of flow)."""

    __tablename__ = "binding_constraint"

    id: int | None = Field(default=None, primary_key=True)
    class_auction_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("class_auction.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    constraint_id: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    contingency_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(200), nullable=True))
    shadow_price: Decimal = Field(sa_column=sa.Column(sa.Numeric(24, 6), nullable=False))
    flow_mw: Decimal | None = Field(default=None, sa_column=sa.Column(sa.Numeric(24, 6), nullable=True))
    limit_mw: Decimal | None = Field(default=None, sa_column=sa.Column(sa.Numeric(24, 6), nullable=True))
