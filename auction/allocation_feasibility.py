"""Simultaneous feasibility of allocated and assigned FTRs with all outstanding FTRs (OA 7.3.3(b)).

"FTRs may be assigned ... only if such FTRs are simultaneously feasible with all outstanding
FTRs, including FTRs effective for the then-current auction period" (OA 7.3.3(b)); the test uses
contingency-constrained power flow models (OA 7.4).

For every monitored constraint ``k`` (branch or interface), in the base case and after every
contingency ``c``, and in each direction ``d = +1, -1``, the worst-case flow of a set of FTRs is

    F[k, c, d] = d x loop_k + d x sum_obligations flow_k(o) + sum_options max(0, d x flow_k(p))

in MW, where ``flow_k(f)`` is the flow the FTR's MW puts on ``k`` as a transfer from its source to
its sink (``MW x (PTDF[k, source] - PTDF[k, sink])``, post-contingency via LODFs) and ``loop_k``
is the period's loop flow (OA 7.3.6(a)), added to base and post-contingency flows alike. An
obligation counts in both directions (its credit can be negative, it must be honoured whichever
way the flow goes); an option only where it loads the constraint, since an option is never
exercised against the holder. The limit is the normal rating in the base case and the emergency
rating after a contingency.

A candidate set is refused when, for some ``(k, c, d)``, the outstanding FTRs plus the candidates
exceed the limit (by more than ``tolerance_mw``) *and* the candidates add to that flow: a
constraint that the outstanding FTRs alone already overload (after an outage, say) does not
block a candidate that relieves it or leaves it alone. The refusal names the constraint with the
largest overload: its id, the contingency (``None`` for the base case), the direction, the flow
and the limit.

The flows come from an evaluator with the interface of ``network.flows.FlowEvaluator``:
``transfer_flows(sources, sinks, mw) -> (base_mw (n_cons,), post_mw (n_cont, n_cons))`` for the
sum of the transfers, loop flow excluded, with ``monitored`` (ids, normal and emergency limits,
loop flow) and ``contingency_ids``. It is typed structurally (:class:`TransferFlowEvaluator`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np

from auction.ledger import FtrKey, Ledger, PeriodClass
from auction.ledger_queries import position_at
from auction.ledger_time import DeliveryMonth
from market_terms import Hedge
from market_terms.arrays import FloatArray
from market_terms.constraints import BindingConstraint
from market_terms.mw import TENTHS_PER_MW

DEFAULT_TOLERANCE_MW = 1e-6


class MonitoredLimits(Protocol):
    @property
    def ids(self) -> tuple[str, ...]: ...
    @property
    def limit_normal_mw(self) -> FloatArray: ...
    @property
    def limit_emergency_mw(self) -> FloatArray: ...
    @property
    def loop_flow_mw(self) -> FloatArray: ...


class ConstraintFlows(Protocol):
    @property
    def base_mw(self) -> FloatArray: ...
    @property
    def post_mw(self) -> FloatArray: ...


class TransferFlowEvaluator(Protocol):
    """What the feasibility test needs from ``network.flows.FlowEvaluator``."""

    @property
    def monitored(self) -> MonitoredLimits: ...
    @property
    def contingency_ids(self) -> tuple[str, ...]: ...
    def transfer_flows(
        self, sources: Sequence[str], sinks: Sequence[str], mw: FloatArray
    ) -> ConstraintFlows: ...


@dataclass(frozen=True, slots=True)
class FtrFlow:
    """An FTR as the power flow sees it: MW (tenths) from ``source`` to ``sink``, obligation or option."""

    source: str
    sink: str
    mw_tenths: int
    hedge: Hedge = Hedge.OBLIGATION


@dataclass(frozen=True, slots=True)
class FeasibilityVerdict:
    """``feasible``, or the binding constraint that refuses the candidates (OA 7.3.3(b))."""

    feasible: bool
    binding: BindingConstraint | None = None

    @property
    def reason(self) -> str:
        return "" if self.binding is None else f"not simultaneously feasible: {self.binding.describe()}"


def _worst_case(evaluator: TransferFlowEvaluator, ftrs: Sequence[FtrFlow]) -> FloatArray:
    """``F`` without loop flow, shape ``(2, 1 + n_cont, n_cons)``: direction, case (0 = base), constraint."""
    n_cons = len(evaluator.monitored.ids)
    n_cases = 1 + len(evaluator.contingency_ids)
    out = np.zeros((2, n_cases, n_cons))

    def flows(group: Sequence[FtrFlow]) -> FloatArray:
        mw = np.array([f.mw_tenths / TENTHS_PER_MW for f in group], dtype=np.float64)
        r = evaluator.transfer_flows([f.source for f in group], [f.sink for f in group], mw)
        return np.vstack(
            [np.asarray(r.base_mw, dtype=np.float64)[None, :], np.asarray(r.post_mw).reshape(-1, n_cons)]
        )

    obligations = [f for f in ftrs if f.hedge is Hedge.OBLIGATION]
    if obligations:
        both = flows(obligations)
        out[0] += both
        out[1] -= both
    for option in (f for f in ftrs if f.hedge is Hedge.OPTION):
        one = flows([option])
        out[0] += np.maximum(one, 0.0)
        out[1] += np.maximum(-one, 0.0)
    return out


def check_simultaneous_feasibility(
    evaluator: TransferFlowEvaluator,
    outstanding: Sequence[FtrFlow],
    candidates: Sequence[FtrFlow],
    *,
    tolerance_mw: float = DEFAULT_TOLERANCE_MW,
) -> FeasibilityVerdict:
    """Whether ``candidates`` may be added to ``outstanding`` (see the module docstring for the test)."""
    mon = evaluator.monitored
    n_cont = len(evaluator.contingency_ids)
    loop = np.asarray(mon.loop_flow_mw, dtype=np.float64)
    limits = np.vstack(
        [np.asarray(mon.limit_normal_mw, dtype=np.float64)[None, :]]
        + [np.asarray(mon.limit_emergency_mw, dtype=np.float64)[None, :]] * n_cont
    )
    base = _worst_case(evaluator, outstanding)
    added = _worst_case(evaluator, candidates)
    with_loop = base + added + np.stack([loop, -loop])[:, None, :]
    over = with_loop - limits[None, :, :]
    refusing = (over > tolerance_mw) & (added > tolerance_mw)
    if not refusing.any():
        return FeasibilityVerdict(True)
    worst = np.where(refusing, over, -np.inf)
    d, case, k = np.unravel_index(int(np.argmax(worst)), worst.shape)
    binding = BindingConstraint(
        constraint_id=mon.ids[k],
        contingency_id=None if case == 0 else evaluator.contingency_ids[case - 1],
        direction=1 if d == 0 else -1,
        flow_mw=float(with_loop[d, case, k]),
        limit_mw=float(limits[case, k]),
    )
    return FeasibilityVerdict(False, binding)


def outstanding_ftrs(ledger: Ledger, month: DeliveryMonth, period_class: PeriodClass) -> tuple[FtrFlow, ...]:
    """The FTRs outstanding in a month and class, one per path and hedge, at their largest total MW.

    Transfers move MW between holders without changing a path's total, so the total per path
    is constant over the month except for entries that create or cancel MW; taking its largest
    value over the month's hours keeps the test on the safe side.
    """
    instants: dict[FtrKey, set[datetime]] = {}
    holders: dict[FtrKey, list[str]] = {}
    for holder, key in ledger.by_month.get(month, ()):
        if key.period_class != period_class:
            continue
        holders.setdefault(key, []).append(holder)
        instants.setdefault(key, set()).update(e.effective_from for e in ledger.entries_of(holder, key))
    out: list[FtrFlow] = []
    for key in sorted(instants):
        best = max(sum(position_at(ledger, h, key, at) for h in holders[key]) for at in instants[key])
        if best > 0:
            out.append(FtrFlow(key.source, key.sink, best, key.hedge))
    return tuple(out)
