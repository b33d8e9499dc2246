"""Net auction revenue to the transmission owners, to the cent (OA 7.3.9).

"All auction revenues, net of payments to entities selling FTRs into the auction, shall be
allocated among the Regional Transmission Owners in proportion to their respective transmission
revenue requirements" (OA 7.3.9).

Exact shares are rarely whole cents, so the allocation uses largest-remainder (Hamilton)
rounding, which keeps the total exact:

1. quota_i = |R| x w_i / sum(w), as an exact fraction (R: net revenue in cents, w_i: the
   owner's revenue requirement, in any consistent unit);
2. every owner gets floor(quota_i) cents;
3. the cents left over, ``|R| - sum(floor(quota_i))`` (fewer than the number of owners with a
   positive requirement), go one each to the owners with the largest fractional parts
   ``quota_i - floor(quota_i)``; ties go to the owner id that sorts first;
4. a negative net revenue (sellers paid more than buyers, possible with counterflow) is
   allocated as ``-allocate(|R|)``, so owners bear a shortfall in the same proportions.

Each owner's amount differs from its exact quota by less than one cent, the amounts sum to R
exactly, and the result does not depend on the order the owners are given in.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction


def allocate_revenue_cents(
    net_revenue_cents: int, requirements: Mapping[str, Decimal | int]
) -> dict[str, int]:
    """Split ``net_revenue_cents`` over owners in proportion to ``requirements``; sums exactly.

    Requirements must be finite and >= 0 with a positive total; an owner with 0 gets 0.
    Raises ``ValueError`` naming the owner whose requirement is bad.
    """
    if not isinstance(net_revenue_cents, int) or isinstance(net_revenue_cents, bool):
        raise TypeError(f"net revenue must be int cents, got {type(net_revenue_cents).__name__}")
    weights: dict[str, Fraction] = {}
    for owner, value in requirements.items():
        if isinstance(value, float | bool) or not isinstance(value, Decimal | int):
            raise TypeError(f"revenue requirement of {owner!r} must be Decimal or int, got {value!r}")
        if isinstance(value, Decimal) and not value.is_finite():
            raise ValueError(f"revenue requirement of {owner!r} is not finite: {value}")
        if value < 0:
            raise ValueError(f"revenue requirement of {owner!r} is negative: {value}")
        weights[owner] = Fraction(value)
    total = sum(weights.values(), Fraction(0))
    if total <= 0:
        raise ValueError("revenue requirements sum to 0: no basis to allocate auction revenue (OA 7.3.9)")
    magnitude = abs(net_revenue_cents)
    quotas = {owner: magnitude * w / total for owner, w in weights.items()}
    floors = {owner: q.numerator // q.denominator for owner, q in quotas.items()}
    left = magnitude - sum(floors.values())
    by_remainder = sorted(quotas, key=lambda o: (-(quotas[o] - floors[o]), o))
    for owner in by_remainder[:left]:
        floors[owner] += 1
    sign = -1 if net_revenue_cents < 0 else 1
    return {owner: sign * floors[owner] for owner in sorted(floors)}
