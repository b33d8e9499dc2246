"""audit_sub_log, audit_sub_head: per-participant audit sub-chains sealed into audit_log

Revision ID: 0520_audit_sub_chains
Revises: 0510_audit_checkpoint
Create Date: 2026-12-03 14:10:00.000000

Links already in ``audit_log`` stay there; new bid links go to the participant's sub-chain.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0520_audit_sub_chains"
down_revision: str | None = "0510_audit_checkpoint"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_sub_log",
        sa.Column("chain", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain", "seq", name=op.f("pk_audit_sub_log")),
    )
    op.create_table(
        "audit_sub_head",
        sa.Column("chain", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_sub_head")),
    )


def downgrade() -> None:
    op.drop_table("audit_sub_head")
    op.drop_table("audit_sub_log")
