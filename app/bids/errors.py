"""Bid errors (subclasses of :mod:`app.errors`, so they become RFC 9457 problems).

Conflict (409)
└── BidNotActive        the bid is withdrawn: it cannot be changed or withdrawn again
"""

from __future__ import annotations

from app.errors import Conflict


class BidNotActive(Conflict):
    slug = "bid-not-active"
    title = "The bid is no longer active"
