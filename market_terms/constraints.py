"""A transmission constraint at its limit, as the clearing and the allocation checks report it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BindingConstraint:
    """A constraint that binds (the clearing LP: a positive shadow price) or would be overloaded (a refused
    allocation: ``flow_mw > limit_mw``).

    ``direction`` +1 means the limit on flow in the constraint's own direction, -1 the reverse.
    ``flow_mw`` is the flow in the constraint's own direction (at the awards, with fixed transfers and loop
    flow); ``fixed_flow_mw`` the part of it from the base model (fixed transfers + loop flow).
    ``shadow_price`` is $/MW of flow for the period (>= 0): the surplus one more MW of limit would add
    (0 where no LP priced the row, e.g. an allocation check).
    """

    constraint_id: str
    contingency_id: str | None
    direction: int
    flow_mw: float
    limit_mw: float
    fixed_flow_mw: float = 0.0
    shadow_price: float = 0.0

    def describe(self) -> str:
        """One line for an error message: which constraint, which case, which way, flow against limit."""
        case = "base case" if self.contingency_id is None else f"contingency {self.contingency_id}"
        sense = "forward" if self.direction > 0 else "reverse"
        return (
            f"constraint {self.constraint_id} ({case}, {sense}) would carry {self.flow_mw:.1f} MW "
            f"against a limit of {self.limit_mw:.1f} MW"
        )
