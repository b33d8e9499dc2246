"""network_pricing_point.sort_key: pricing points listed in natural order (2 before 10)

Revision ID: 0702_pricing_point_sort_key
Revises: 0701_auction_contingencies
Create Date: 2026-12-03 14:30:00.000000
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0702_pricing_point_sort_key"
down_revision: str | None = "0701_auction_contingencies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DIGITS = re.compile(r"\d+")


def _natural_key(point_id: str) -> str:
    # the same rule as app.networks.repository.natural_key, frozen here as this migration applied it
    return _DIGITS.sub(lambda m: m.group().zfill(12), point_id.lower())


def upgrade() -> None:
    with op.batch_alter_table("network_pricing_point", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sort_key", sa.String(length=700), server_default="", nullable=False))
    points = sa.table(
        "network_pricing_point",
        sa.column("network_version_id", sa.Integer),
        sa.column("point_id", sa.String),
        sa.column("sort_key", sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(points.c.network_version_id, points.c.point_id)).all()
    for version_id, point_id in rows:
        bind.execute(
            points.update()
            .where(points.c.network_version_id == version_id, points.c.point_id == point_id)
            .values(sort_key=_natural_key(point_id))
        )


def downgrade() -> None:
    with op.batch_alter_table("network_pricing_point", schema=None) as batch_op:
        batch_op.drop_column("sort_key")
