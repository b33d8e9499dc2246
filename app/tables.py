"""Every table, imported in one place so the metadata (and Alembic) sees them all."""

from __future__ import annotations

from app.applications.tables import FtrApplication
from app.auction_revenue.tables import RevenueRequirement
from app.auctions.tables import Auction, ClassAuction
from app.audit.tables import AuditHead, AuditLog
from app.bid_fills import BidFill
from app.bids.tables import Bid
from app.clearing.tables import BindingConstraint, NodalPrice
from app.holdings.tables import FtrHolding
from app.jobs.tables import Job
from app.market_clock.tables import MarketClock
from app.networks.tables import NetworkPricingPoint, NetworkVersion
from app.participants.tables import ApiKey, Participant
from app.settlement.tables import (
    SettlementChange,
    SettlementFtrHour,
    SettlementHolderHour,
    SettlementHolderMonth,
    SettlementHour,
    SettlementInputSet,
    SettlementRun,
    SettlementYearEnd,
    SettlementYearEndShare,
)
from app.tables_base import metadata
from app.transfers.tables import FtrTransfer

__all__ = [
    "ApiKey",
    "Auction",
    "AuditHead",
    "AuditLog",
    "Bid",
    "BidFill",
    "BindingConstraint",
    "ClassAuction",
    "FtrApplication",
    "FtrHolding",
    "FtrTransfer",
    "Job",
    "MarketClock",
    "NetworkPricingPoint",
    "NetworkVersion",
    "NodalPrice",
    "Participant",
    "RevenueRequirement",
    "SettlementChange",
    "SettlementFtrHour",
    "SettlementHolderHour",
    "SettlementHolderMonth",
    "SettlementHour",
    "SettlementInputSet",
    "SettlementRun",
    "SettlementYearEnd",
    "SettlementYearEndShare",
    "metadata",
]
