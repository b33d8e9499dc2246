"""Every table module, imported in one place so the metadata (and Alembic) sees every table.

A module that defines a table (``table=True``) is listed here; ``tests/app/test_migrations.py``
compares this metadata with the migrated schema.
"""

from __future__ import annotations

import app.applications.tables
import app.auction_revenue.tables
import app.auctions.tables
import app.audit.tables
import app.bid_fills
import app.bids.tables
import app.clearing.tables
import app.holdings.tables
import app.jobs.tables
import app.market_clock.tables
import app.networks.tables
import app.participants.tables
import app.rate_limit_store
import app.settlement.tables
import app.transfers.tables  # noqa: F401
from app.tables_base import metadata

__all__ = ["metadata"]
