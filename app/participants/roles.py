"""Roles and what each may do.

- ``operator``: the Office of the Interconnection (OI); administers participants, networks, auctions.
- ``trader``, ``lse``: market participants that bid and offer (an LSE / Network Service User also
  holds allocated FTRs it may offer, OA 7.3.5(b)).
- ``transmission_owner``: receives auction revenue (OA 7.3.9); reads public results, never bids.
- ``auditor``: reads everything, changes nothing (Portal: auditability).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"
    TRADER = "trader"
    LSE = "lse"
    TRANSMISSION_OWNER = "transmission_owner"
    AUDITOR = "auditor"


BIDDING_ROLES = frozenset({Role.TRADER, Role.LSE})
"""Roles that may submit bids and offers."""

READ_ALL_ROLES = frozenset({Role.OPERATOR, Role.AUDITOR})
"""Roles that may read every participant's objects."""
