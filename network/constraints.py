"""The monitored constraint set of a period: branches with a rating, and interfaces.

A constraint ``k`` is ``-limit_k <= sum_j c_kj * flow_j + loop_k <= limit_k`` (CAISO App. C "constraint
coefficient"; flowgates and nomograms are interfaces). ``flow_j`` is the MW on branch ``j`` caused by the
transfers being tested; ``loop_k`` is the loop flow of OA 7.3.6(a) ("estimated uncompensated parallel
flows"), MW already on the constraint in its positive direction before any FTR. The base case is
checked against ``limit_normal_mw``, post-contingency flows against ``limit_emergency_mw``.

Choices
- A branch is monitored when it is closed in the period (in service, not on a scheduled outage), lies in
  the energised island, and has a finite positive normal rating (MATPOWER's ``RATE_A = 0`` means
  "unlimited": not monitored).
- Its emergency limit is ``rate_emergency_mw`` where positive and finite, else the normal rating.
- An interface is always monitored; branches of it that are open in the period simply carry no flow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import scipy.sparse as sp

from market_terms import FloatArray
from network.errors import InvalidElementError, UnknownElementError
from network.model import Network, PeriodConditions
from network.sensitivity import branch_position, closed_branches, energised_island


class ConstraintKind(StrEnum):
    """What a monitored constraint is."""

    BRANCH = "branch"
    INTERFACE = "interface"


@dataclass(frozen=True)
class MonitoredSet:
    """Monitored constraints of one period, as aligned arrays (constraint ``k`` is row ``k``).

    ``branch_coefficients`` is ``n_constraints x n_branches`` (MW of constraint flow per MW of branch
    flow); limits and loop flow are MW.
    """

    ids: tuple[str, ...]
    kinds: tuple[ConstraintKind, ...]
    branch_coefficients: sp.csr_matrix
    limit_normal_mw: FloatArray
    limit_emergency_mw: FloatArray
    loop_flow_mw: FloatArray

    def __post_init__(self) -> None:
        for name in ("limit_normal_mw", "limit_emergency_mw", "loop_flow_mw"):
            arr = np.array(getattr(self, name), dtype=np.float64, copy=True)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def n_constraints(self) -> int:
        return len(self.ids)

    def index(self, constraint_id: str) -> int:
        """Row of a constraint; error naming it when unknown."""
        try:
            return self.ids.index(constraint_id)
        except ValueError:
            raise UnknownElementError(f"unknown monitored constraint {constraint_id!r}") from None


def _energised_branches(net: Network, conditions: PeriodConditions | None) -> np.ndarray:
    closed = closed_branches(net, conditions)
    island, _, _ = energised_island(net, closed)
    return closed & island[np.asarray(net.branch_from, dtype=np.int64)]


def monitored_constraints(net: Network, conditions: PeriodConditions | None = None) -> MonitoredSet:
    """Build the monitored set of a period (branches first, in branch order, then interfaces)."""
    live = _energised_branches(net, conditions)
    normal = np.asarray(net.rate_normal_mw, dtype=np.float64)
    emergency = np.asarray(net.rate_emergency_mw, dtype=np.float64)
    rated = live & np.isfinite(normal) & (normal > 0.0)
    branches = np.flatnonzero(rated)
    emerg = np.where(np.isfinite(emergency) & (emergency > 0.0), emergency, normal)

    ids: list[str] = [net.branch_ids[i] for i in branches]
    kinds: list[ConstraintKind] = [ConstraintKind.BRANCH] * len(branches)
    rows: list[int] = list(range(len(branches)))
    cols: list[int] = branches.tolist()
    vals: list[float] = [1.0] * len(branches)
    lim_n: list[float] = normal[branches].tolist()
    lim_e: list[float] = emerg[branches].tolist()
    taken = set(ids)
    for iface in net.interfaces:
        if iface.id in taken:
            raise InvalidElementError(
                f"interface {iface.id!r}: id already used by a monitored branch or interface"
            )
        if len(iface.branch_ids) != len(iface.coefficients):
            raise InvalidElementError(
                f"interface {iface.id!r}: {len(iface.branch_ids)} branches but "
                f"{len(iface.coefficients)} coefficients"
            )
        if not (np.isfinite(iface.limit_mw) and iface.limit_mw > 0.0):
            raise InvalidElementError(f"interface {iface.id!r}: limit {iface.limit_mw!r} MW is not positive")
        k = len(ids)
        for bid, c in zip(iface.branch_ids, iface.coefficients, strict=True):
            rows.append(k)
            cols.append(branch_position(net, bid, f"interface {iface.id!r}"))
            vals.append(float(c))
        ids.append(iface.id)
        taken.add(iface.id)
        kinds.append(ConstraintKind.INTERFACE)
        lim_n.append(float(iface.limit_mw))
        em = iface.emergency_limit_mw
        lim_e.append(float(iface.limit_mw) if em is None or not em > 0.0 else float(em))

    coeffs = sp.csr_matrix((vals, (rows, cols)), shape=(len(ids), net.n_branches))
    loop = _loop_flow(ids, {} if conditions is None else conditions.loop_flow_mw)
    return MonitoredSet(
        ids=tuple(ids),
        kinds=tuple(kinds),
        branch_coefficients=coeffs,
        limit_normal_mw=np.array(lim_n, dtype=np.float64),
        limit_emergency_mw=np.array(lim_e, dtype=np.float64),
        loop_flow_mw=loop,
    )


def _loop_flow(ids: list[str], loop_flow: Mapping[str, float]) -> FloatArray:
    pos = {cid: k for k, cid in enumerate(ids)}
    out = np.zeros(len(ids))
    for cid, mw in loop_flow.items():
        if cid not in pos:
            raise UnknownElementError(f"loop flow given for {cid!r}, which is not a monitored constraint")
        if not np.isfinite(mw):
            raise InvalidElementError(f"loop flow on {cid!r}: {mw!r} MW is not a number")
        out[pos[cid]] = float(mw)
    return out
