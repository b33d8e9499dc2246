"""Clear one FTR auction (one period class): bids, offers and the base model in, awards and prices out.

Steps (OA 7.3.6):

1. the base model (OA 7.3.6(a)): held FTRs not offered, offered FTRs at their full MW, loop flow and
   scheduled outages (the grid of the period);
2. the LP (OA 7.2.1, 7.3.6(b)): bids as products ``source -> sink`` valued at their price, offers as
   products ``sink -> source`` (an option's: the sale of ``source -> sink``, which releases its adverse
   flow) valued at minus their reservation price (:mod:`feasibility.problem`), solved by constraint
   generation (:func:`feasibility.solve.solve`);
3. identical bids share pro rata and awards are whole 0.1 MW steps (:mod:`auction.pro_rata`), kept
   feasible by :mod:`auction.award_feasibility`;
4. prices (OA 7.3.6(c), 7.3.8): every award on a path pays (or, for an offer, is paid) the path price
   ``price[sink] - price[source]`` in $/MW for the period; an option pays its option price (>= 0);
5. checks reported with the result: awards feasible on every row within the tolerance; auction revenue
   from the awards equals ``sum_r mu_r (limit_r - d_r fixed_r)`` (LP awards); every group priced
   below its bid is fully filled and every group priced above it is empty.

The result never carries bid or reservation prices (OA 7.3.7): only awards, MW and clearing prices.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from auction.award_feasibility import Repair, RepairStep, repair_awards, rounding_loss
from auction.bids import AWARD_STEP_MW, Bid, HeldFtr, Offer, validate
from auction.pro_rata import group_steps_down, to_steps
from feasibility.grid import BASE_CASE, Grid
from feasibility.network_grid import NetworkGrid
from feasibility.prices import bus_prices, nodal_prices
from feasibility.problem import ClearingProblem, build_problem
from feasibility.progress import Phase, ProgressCallback, ProgressEvent, peak_memory_mib
from feasibility.result import ClearingOptions, ClearingResult, Status
from feasibility.solve import solve
from market_terms import BindingConstraint, FloatArray, Hedge, IntArray
from network.model import Contingency, Network, PeriodConditions

PRICE_TOL = 1e-6
"""$/MW: slack allowed in the price/fill consistency check."""


@dataclass(frozen=True, slots=True)
class Award:
    """One bid's or offer's outcome. ``price`` is $/MW for the period of the path ``source -> sink``.

    A buyer pays ``price x mw_awarded`` (receives it when the price is negative); a seller
    (``kind == "offer"``) is paid ``price x mw_awarded`` for the MW sold.
    """

    id: str
    kind: str
    participant: str
    source: str
    sink: str
    hedge: Hedge
    mw_asked: float
    mw_awarded: float
    price: float


@dataclass(frozen=True)
class AuctionResult:
    """The outcome of :func:`clear_auction`.

    ``awards``: one per bid and offer, bids first, each in input order. ``nodal_prices``: $/MW per bus
    and pricing point (reference bus 0). ``binding_constraints``: rows with a positive shadow price.
    ``summary``: surplus, revenue, counts, iterations, timings, solver, checks and the input hash
    (see ``docs/ARCHITECTURE.md``). ``clearing``: the LP result behind it.
    """

    status: Status
    termination: str
    awards: tuple[Award, ...]
    nodal_prices: Mapping[str, float]
    binding_constraints: tuple[BindingConstraint, ...]
    summary: Mapping[str, Any]
    clearing: ClearingResult
    repairs: tuple[RepairStep, ...] = field(default=())


def _problem(bids: Sequence[Bid], offers: Sequence[Offer], held: Sequence[HeldFtr]) -> ClearingProblem:
    """Bids as products on their path; an obligation offer as the reversed path, an option offer as the
    sale of its held path (:mod:`feasibility.problem`); held FTRs and offered ones (full MW) fixed."""
    sold_option = [o.hedge is Hedge.OPTION for o in offers]
    return build_problem(
        [b.bid_id for b in bids] + [o.offer_id for o in offers],
        [b.source for b in bids]
        + [o.source if opt else o.sink for o, opt in zip(offers, sold_option, strict=True)],
        [b.sink for b in bids]
        + [o.sink if opt else o.source for o, opt in zip(offers, sold_option, strict=True)],
        [b.mw for b in bids] + [o.mw for o in offers],
        [b.price for b in bids] + [-o.price for o in offers],
        [b.hedge is Hedge.OPTION for b in bids] + sold_option,
        is_sale=[False] * len(bids) + sold_option,
        fixed_sources=[h.source for h in held] + [o.source for o in offers],
        fixed_sinks=[h.sink for h in held] + [o.sink for o in offers],
        fixed_mw=[h.mw for h in held] + [o.mw for o in offers],
        fixed_is_option=[h.hedge is Hedge.OPTION for h in held] + sold_option,
    )


def _option_mark(hedge: Hedge) -> list[str]:
    return [str(hedge)] if hedge is Hedge.OPTION else []


def input_hash(
    bids: Sequence[Bid],
    offers: Sequence[Offer],
    held: Sequence[HeldFtr],
    grid: Grid,
    options: ClearingOptions,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """SHA-256 of the auction inputs in a canonical order (independent of bid order)."""
    doc = {
        "bids": sorted(
            [b.bid_id, b.participant, b.source, b.sink, repr(b.mw), repr(b.price), str(b.hedge)] for b in bids
        ),
        # the hedge of offers and held FTRs enters only when it is an option (hashes of earlier,
        # obligation-only inputs are unchanged)
        "offers": sorted(
            [o.offer_id, o.participant, o.source, o.sink, repr(o.mw), repr(o.price), *_option_mark(o.hedge)]
            for o in offers
        ),
        "held": sorted([h.holder, h.source, h.sink, repr(h.mw), *_option_mark(h.hedge)] for h in held),
        "constraints": list(grid.constraint_ids),
        "limits_normal": [repr(float(x)) for x in grid.limit_normal_mw],
        "limits_emergency": [repr(float(x)) for x in grid.limit_emergency_mw],
        "loop_flow": [repr(float(x)) for x in grid.loop_flow_mw],
        "contingencies": list(grid.contingency_ids),
        "buses": list(grid.bus_ids),
        "options": options.as_dict(),
        "extra": dict(extra or {}),
    }
    blob = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    return "sha256:" + hashlib.sha256(blob).hexdigest()


def _price_fill_violations(problem: ClearingProblem, result: ClearingResult) -> int:
    """Groups filled although priced above their value, or not filled although priced below it."""
    g = result.group_of_product
    if g.size == 0:
        return 0
    n = int(g.max()) + 1
    asked = np.bincount(g, problem.products.mw_max, minlength=n)
    got = np.bincount(g, result.product_mw, minlength=n)
    value = np.zeros(n)
    price = np.zeros(n)
    value[g] = problem.products.value
    price[g] = result.product_prices
    tol_mw = 1e-6 * np.maximum(1.0, asked)
    underfilled = (value > price + PRICE_TOL) & (got < asked - tol_mw)
    overfilled = (value < price - PRICE_TOL) & (got > tol_mw)
    return int(np.sum(underfilled | overfilled))


def clear_on_grid(
    grid: Grid,
    bids: Sequence[Bid],
    offers: Sequence[Offer] = (),
    held: Sequence[HeldFtr] = (),
    *,
    options: ClearingOptions | None = None,
    price_points: Sequence[str] = (),
    hash_extra: Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    warm_start: Sequence[RowKey] = (),
) -> AuctionResult:
    """Clear on a prebuilt grid; ``price_points`` are pricing points priced besides every bus.

    ``warm_start``: rows known to bind, as (constraint id, contingency id or ``None`` for the base
    case, direction), e.g. the binding constraints of the other period class of the month or of an
    earlier clearing on the same network; they enter the LP before the first round (same optimum,
    fewer rounds). Rows naming a constraint or contingency the grid does not have are skipped; the
    summary counts both.

    ``progress`` receives the solve's events, then one after rounding and one after the prices
    (:mod:`feasibility.progress`).
    """
    t_start = time.perf_counter()
    opts = options or ClearingOptions()
    validate(bids, offers, held)
    problem = _problem(bids, offers, held)
    start = _row_indices(grid, warm_start)
    lp = solve(problem, grid, opts, progress=progress, t_start=t_start, start_rows=start)
    n_bids = len(bids)
    tail_s: dict[str, float] = {}

    def emit(phase: Phase, violations: int, awarded_mw: FloatArray) -> None:
        if progress is not None:
            progress(
                ProgressEvent(
                    phase=phase,
                    round=lp.iterations,
                    rows_in_lp=lp.active_rows,
                    rows_added=0,
                    bids_priced_in=int(lp.group_of_product.max()) + 1 if lp.group_of_product.size else 0,
                    violations=violations,
                    objective=float(problem.products.value @ awarded_mw),
                    elapsed_s=time.perf_counter() - t_start,
                    peak_memory_mib=peak_memory_mib(),
                )
            )

    repair: Repair | None = None
    repairs: tuple[RepairStep, ...] = ()
    if lp.status is Status.OPTIMAL:
        t0 = time.perf_counter()
        asked = to_steps(problem.products.mw_max)
        group_mw = np.bincount(lp.group_of_product, lp.product_mw).astype(np.float64)
        repair = repair_awards(problem, grid, lp, asked, group_steps_down(group_mw), opts.feasibility_tol_mw)
        repairs, max_violation = repair.changes, repair.max_violation_mw
        awarded = (repair.product_steps * AWARD_STEP_MW).astype(np.float64)
        t1 = time.perf_counter()
        emit(Phase.ROUNDING, int(max_violation > opts.feasibility_tol_mw), awarded)
        prices = {b: float(p) for b, p in zip(grid.bus_ids, bus_prices(grid, lp), strict=True)}
        extra = [p for p in price_points if p not in prices]
        if extra:
            prices.update({p: float(v) for p, v in zip(extra, nodal_prices(grid, lp, extra), strict=True)})
        # rounding, pro rata and repair include the final check of the awards on every row of every case
        tail_s = {"rounding_s": t1 - t0, "prices_s": time.perf_counter() - t1}
        emit(Phase.PRICES, 0, awarded)
    else:
        awarded = np.zeros(len(problem.products))
        max_violation, prices = lp.max_violation_mw, {}
    product_price = lp.product_prices
    awards = [
        Award(
            b.bid_id,
            "bid",
            b.participant,
            b.source,
            b.sink,
            b.hedge,
            b.mw,
            float(awarded[i]),
            float(product_price[i]) + 0.0,
        )
        for i, b in enumerate(bids)
    ]
    awards += [
        Award(
            o.offer_id,
            "offer",
            o.participant,
            o.source,
            o.sink,
            o.hedge,
            o.mw,
            float(awarded[n_bids + i]),
            -float(product_price[n_bids + i]) + 0.0,
        )
        for i, o in enumerate(offers)
    ]
    summary = _summary(
        problem, grid, lp, awarded, awards, repair, max_violation, opts, n_bids, len(offers), held
    )
    summary["times_s"].update(tail_s)
    summary["input_hash"] = input_hash(bids, offers, held, grid, opts, hash_extra)
    summary["warm_start"] = {"rows_given": len(warm_start), "rows_used": int(start[0].size)}
    return AuctionResult(
        status=lp.status,
        termination=lp.termination,
        awards=tuple(awards),
        nodal_prices=prices,
        binding_constraints=lp.binding,
        summary=summary,
        clearing=lp,
        repairs=repairs,
    )


RowKey = tuple[str, str | None, int]
"""A row of the feasibility test: (constraint id, contingency id or ``None`` for the base case, +1/-1)."""


def _row_indices(grid: Grid, rows: Sequence[RowKey]) -> tuple[IntArray, IntArray, IntArray]:
    """Index arrays of the rows the grid has (others skipped)."""
    cons = {c: i for i, c in enumerate(grid.constraint_ids)}
    conts = {c: i for i, c in enumerate(grid.contingency_ids)}
    keys = [
        (cons[c], BASE_CASE if k is None else conts[k], d)
        for c, k, d in rows
        if c in cons and (k is None or k in conts) and d in (1, -1)
    ]
    if not keys:
        e = np.zeros(0, dtype=np.int64)
        return e, e, e
    arr = np.array(keys, dtype=np.int64)
    return arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].copy()


def _summary(
    problem: ClearingProblem,
    grid: Grid,
    lp: ClearingResult,
    awarded: FloatArray,
    awards: Sequence[Award],
    repair: Repair | None,
    max_violation: float,
    opts: ClearingOptions,
    n_bids: int,
    n_offers: int,
    held: Sequence[HeldFtr],
) -> dict[str, Any]:
    paid_by_buyers = float(sum(a.price * a.mw_awarded for a in awards if a.kind == "bid"))
    paid_to_sellers = float(sum(a.price * a.mw_awarded for a in awards if a.kind == "offer"))
    surplus = float(problem.products.value @ awarded) if len(awarded) else 0.0
    identity_error = abs(lp.revenue - lp.revenue_from_constraints)
    return {
        "status": str(lp.status),
        "termination": lp.termination,
        "surplus": surplus,
        "surplus_lp": lp.surplus,
        "surplus_lost_to_rounding": lp.surplus - surplus,
        "auction_revenue": paid_by_buyers - paid_to_sellers,
        "paid_by_buyers": paid_by_buyers,
        "paid_to_sellers": paid_to_sellers,
        "revenue_lp": lp.revenue,
        "revenue_from_constraints": lp.revenue_from_constraints,
        "counts": {
            "bids": n_bids,
            "offers": n_offers,
            "held": len(held),
            "bids_awarded": int(np.sum(awarded[:n_bids] > 0)),
            "offers_sold": int(np.sum(awarded[n_bids:] > 0)),
            "binding_constraints": len(lp.binding),
            "monitored_constraints": len(grid.constraint_ids),
            "contingencies": len(grid.contingency_ids),
            "buses": len(grid.bus_ids),
        },
        "iterations": lp.iterations,
        "active_rows": lp.active_rows,
        "lp_columns": lp.lp_columns,
        "lp_nonzeros": lp.lp_nonzeros,
        "times_s": dict(lp.timings_s),
        "solver": lp.solver,
        "checks": {
            "awards_feasible": bool(max_violation <= opts.feasibility_tol_mw),
            "max_violation_mw": max_violation,
            "feasibility_tol_mw": opts.feasibility_tol_mw,
            "revenue_identity_error": identity_error,
            "revenue_identity_ok": bool(identity_error <= 1e-6 * max(1.0, abs(lp.revenue))),
            "price_fill_violations": _price_fill_violations(problem, lp),
        },
        "rounding": {
            "step_mw": AWARD_STEP_MW,
            "method": (
                "group totals rounded down to 0.1 MW, largest remainder within a group; every overloaded "
                "row mended at once, confirmed on the full network; steps added back by value; the "
                "rounded groups' last steps re-chosen by a small integer program where it is small enough"
            ),
            "repair_steps": len(repair.changes) if repair else 0,
            "steps_added_back": repair.steps_added_back if repair else 0,
            "full_checks": repair.full_checks if repair else 0,
            "mend_rounds": repair.mend_rounds if repair else 0,
            "polish_gain": repair.polish_gain if repair else 0.0,
            "polish_steps": repair.polish_steps if repair else 0,
            **rounding_loss(problem, lp.product_mw, awarded),
        },
    }


def clear_auction(
    network: Network,
    bids: Sequence[Bid],
    offers: Sequence[Offer] = (),
    held: Sequence[HeldFtr] = (),
    *,
    conditions: PeriodConditions | None = None,
    contingencies: Sequence[Contingency] | Literal["all"] | None = None,
    options: ClearingOptions | None = None,
    progress: ProgressCallback | None = None,
    warm_start: Sequence[RowKey] = (),
) -> AuctionResult:
    """Clear one auction on ``network`` in the period ``conditions`` (scheduled outages, loop flow).

    ``contingencies``: ``None`` for ``network.contingencies``, ``"all"`` for full N-1 on the period's
    topology (every energised non-radial branch), or a list. Every bus and pricing point is priced.
    Raises ``auction.bids.BidError`` or a ``network.errors.NetworkError`` on bad input; an infeasible
    base model or a solver limit is a ``status`` of the result, not an exception.
    """
    budget = (options or ClearingOptions()).sensitivity_cache_mib * 2**20
    grid = NetworkGrid.build(network, conditions, contingencies, cache_bytes=budget)
    points = [p.id for p in network.pricing_points]
    extra = {
        "network": network.name,
        "scheduled_outages": sorted(conditions.scheduled_outages) if conditions else [],
    }
    result = clear_on_grid(
        grid,
        bids,
        offers,
        held,
        options=options,
        price_points=points,
        hash_extra=extra,
        progress=progress,
        warm_start=warm_start,
    )
    return replace(result, summary={**result.summary, "islands": grid.island_report()})
