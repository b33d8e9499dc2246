"""Migration 0702 gives the pricing points already stored their natural sort key (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from app.migrations import downgrade, upgrade
from tests.app.test_migrations import fresh_engine  # noqa: F401  (fixture)

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def test_stored_points_get_their_natural_key(fresh_engine: Engine) -> None:  # noqa: F811
    upgrade(fresh_engine, "0701_auction_contingencies")
    with fresh_engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO participant (id, name, role, credit_limit_cents, created_at) "
                "VALUES (1, 'oi', 'operator', 0, :t)"
            ),
            {"t": NOW},
        )
        conn.execute(
            sa.text(
                "INSERT INTO network_version (id, content_hash, name, source_format, document, n_buses, "
                "n_branches, n_pricing_points, created_by_id, created_at) "
                "VALUES (1, :h, 'n', 'json', '{}', 3, 0, 3, 1, :t)"
            ),
            {"h": "0" * 64, "t": NOW},
        )
        for point in ("10", "2", "Hub 9"):
            conn.execute(
                sa.text(
                    "INSERT INTO network_pricing_point (network_version_id, point_id, kind) "
                    "VALUES (1, :p, 'bus')"
                ),
                {"p": point},
            )
    upgrade(fresh_engine, "0702_pricing_point_sort_key")
    with fresh_engine.begin() as conn:
        keys = dict(conn.execute(sa.text("SELECT point_id, sort_key FROM network_pricing_point")).all())
    assert keys == {"10": "000000000010", "2": "000000000002", "Hub 9": "hub 000000000009"}
    downgrade(fresh_engine, "0701_auction_contingencies")
