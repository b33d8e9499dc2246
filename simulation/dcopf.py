"""One hour of the day-ahead market: a lossless DC-OPF in PTDF form, solved with HiGHS.

Formulation (all MW, $/h)::

    min   sum_g (c2_g p_g^2 + c1_g p_g) + VOLL * sum_i s_i
    s.t.  sum_g p_g + sum_i s_i = sum_i d_i                                 (lambda)
          -F_k <= o_k + sum_i H_ki (P_i + s_i - d_i) <= F_k   for k in A    (mu_k)
          pmin_g <= p_g <= pmax_g,   0 <= s_i <= d_i

over the buses ``i`` of the priced island; ``P_i`` is the output of the generators at ``i``,
``s_i`` load shed at ``VOLL`` $/MWh (so every hour has a solution: shedding all load is feasible
without loop flow), ``H`` the constraint sensitivities relative to the reference bus, ``o`` loop
flow, ``F`` the limit. Line limits are added lazily (Egret's lazy PTDF loop): solve with the
constraints in ``A`` (initially the caller's guess), recompute every constraint's flow from the
injections, add the violated ones, re-solve, until none is violated (``OPTIMAL``) or the
iteration limit is reached (``ITERATION_LIMIT``, a value, not an exception). The constraint model
may hold post-contingency rows (the auction's contingency set, each at its emergency rating, see
:mod:`simulation.network_adapter`); they are checked and added by the same loop, so an hour solves
with the base rows it needs plus only the (constraint, contingency) rows its dispatch violates.

Prices (reference-bus convention). ``lambda`` is the marginal cost of serving 1 MW more at the
reference bus: the **energy component**, the same at every bus. With the signed shadow price
``mu_k`` ($/MWh per MW of flow; ``> 0`` when the positive-direction limit binds, ``< 0`` when the
negative-direction limit binds) the **congestion component** of bus ``i`` is
``-sum_k mu_k H_ki`` (zero at the reference bus), and ``LMP_i = lambda - sum_k mu_k H_ki``; the
loss component is zero (lossless). Changing the reference bus moves the split between the two
components but not any LMP or LMP difference.

Congestion rent. ``sum_k |mu_k| (F_k - sign(mu_k) o_k)`` = ``sum_k mu_k (f_k - o_k)`` (the value
of the binding limits, net of loop flow) equals ``sum_i LMP_i (d_i - s_i) - sum_g LMP_g p_g``
(what load pays minus what generators are paid): by complementary slackness,
``-sum_i LMP_i x_i = -lambda sum_i x_i + sum_k mu_k H_k x = sum_k mu_k (f_k - o_k)`` for the net
injection ``x``. Both numbers are returned; the tests assert they agree.

Uncongested hours. The exact merit-order dispatch of the balance alone is computed first; when
it violates no limit it is the OPF's solution (one price, no binding constraint) and HiGHS is not
called. Otherwise its violated constraints seed the lazy loop.

Robustness. HiGHS's active-set QP solver occasionally fails (a solve error at tight tolerances)
or cycles on degenerate hours (many identical units); its iteration count is capped. Such an
hour is solved again with looser tolerances, and if that fails too, as an LP with each quadratic
cost replaced by secant piecewise-linear segments (``formulation = "piecewise_linear"``; prices
then within ``c2 (pmax - pmin) / segments`` $/MWh of the quadratic ones; every identity above
still holds exactly for that LP).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType

import highspy
import numpy as np

from feasibility.highs_lp import quiet_highs
from market_terms import FloatArray, IntArray
from simulation.economic_dispatch import economic_dispatch
from simulation.offers import OfferStack
from simulation.topology import ConstraintModel

#: HiGHS options pinned for every solve and recorded with every result. The active-set QP
#: solver's Hessian regularisation (default 1e-7) biases duals by about 1e-7 * p; it is
#: lowered so that prices are accurate to well below 1e-4 $/MWh.
PINNED_SOLVER_OPTIONS: Mapping[str, bool | int | float | str] = MappingProxyType(
    {
        "output_flag": False,
        "threads": 1,
        "random_seed": 0,
        "primal_feasibility_tolerance": 1e-9,
        "dual_feasibility_tolerance": 1e-9,
        "qp_regularization_value": 1e-11,
    }
)
#: Options changed for a second attempt when HiGHS reports a solve error with the pinned ones
#: (its QP solver occasionally fails at 1e-9 tolerances after rows are added). Prices are then
#: biased by at most about 1e-9 * p $/MWh. The options used are recorded with the result.
FALLBACK_SOLVER_OPTIONS: Mapping[str, bool | int | float | str] = MappingProxyType(
    {
        "primal_feasibility_tolerance": 1e-7,
        "dual_feasibility_tolerance": 1e-7,
        "qp_regularization_value": 1e-9,
    }
)


class OpfStatus(StrEnum):
    """How an hour's OPF ended."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    ITERATION_LIMIT = "iteration_limit"
    SOLVER_ERROR = "solver_error"


@dataclass(frozen=True)
class DcOpfOptions:
    """Settings of the hourly DC-OPF.

    ``voll_per_mwh``: price of shed load ($/MWh), which caps the LMP; ``None`` forbids shedding
    (an hour that cannot be served is then ``INFEASIBLE``). ``violation_tolerance_mw``: a
    constraint counts as violated above its limit by more than this. ``max_rows_per_iteration``:
    how many of the most violated constraints are added per round. ``dual_tolerance``: shadow
    prices with smaller magnitude ($/MWh per MW) are reported as zero (not binding).
    ``fallback_segments``: segments per quadratic cost in the piecewise-linear fallback.
    """

    voll_per_mwh: float | None = 2000.0
    violation_tolerance_mw: float = 1e-5
    max_iterations: int = 50
    max_rows_per_iteration: int = 200
    dual_tolerance: float = 1e-7
    fallback_segments: int = 20
    solver_options: Mapping[str, bool | int | float | str] = field(
        default_factory=lambda: dict(PINNED_SOLVER_OPTIONS)
    )


@dataclass(frozen=True)
class DcOpfSolution:
    """Result of one hour's OPF. Arrays over buses are indexed like the network's buses.

    ``lmp``, ``congestion_component`` are $/MWh per bus (cut-off buses carry the price of their
    nearest priced bus); ``energy_component`` $/MWh; ``binding`` indexes the constraint model's
    constraints, with ``shadow_price`` signed ($/MWh per MW, see module doc) and ``flow_mw`` the
    constraint's flow; rents are $ for the hour. ``iterations`` counts HiGHS solves: 0 when
    the merit-order dispatch (:mod:`simulation.economic_dispatch`) already violates no limit.
    """

    status: OpfStatus
    iterations: int
    dispatch_mw: FloatArray
    shed_mw: FloatArray
    injection_mw: FloatArray
    unserved_cut_off_mw: float
    lmp: FloatArray
    energy_component: float
    congestion_component: FloatArray
    binding: IntArray
    shadow_price: FloatArray
    flow_mw: FloatArray
    congestion_rent_constraints: float
    congestion_rent_payments: float
    production_cost: float
    solver_options: Mapping[str, bool | int | float | str]
    formulation: str = "quadratic"


def solve_dcopf(
    demand_mw: FloatArray,
    offers: OfferStack,
    constraints: ConstraintModel,
    options: DcOpfOptions | None = None,
    initial_constraints: IntArray | None = None,
) -> DcOpfSolution:
    """Clear one hour: dispatch, LMPs with components, binding constraints (see module doc).

    ``demand_mw`` is the load per bus (MW, length ``constraints.n_buses``); ``offers`` may
    include generators on cut-off buses (they are left out); ``initial_constraints`` indexes
    constraints to include from the start (a good guess saves re-solves, the result is the same).
    """
    opts = options or DcOpfOptions()
    demand = np.asarray(demand_mw, dtype=np.float64)
    if demand.shape != (constraints.n_buses,):
        raise ValueError(f"demand has shape {demand.shape}; expected ({constraints.n_buses},)")
    if not np.all(np.isfinite(demand)):
        raise ValueError("demand contains a non-finite value")
    priced = constraints.priced
    market_demand = np.where(priced, demand, 0.0)
    unserved_cut_off = float(np.sum(np.where(priced, 0.0, np.maximum(demand, 0.0))))
    gens = offers.restricted_to(priced)
    start = np.zeros(0, dtype=np.int64) if initial_constraints is None else np.unique(initial_constraints)

    merit = economic_dispatch(gens, float(market_demand.sum()))
    if merit is not None and (opts.voll_per_mwh is None or merit.price <= opts.voll_per_mwh):
        merit_injection: FloatArray = (
            np.bincount(gens.bus, weights=merit.output_mw, minlength=constraints.n_buses).astype(np.float64)
            - market_demand
        )
        merit_flows = constraints.flows(merit_injection)
        violated = np.flatnonzero(np.abs(merit_flows) - constraints.limit_mw > opts.violation_tolerance_mw)
        if violated.size == 0:
            return _uncongested(
                merit.price,
                merit.output_mw,
                merit_injection,
                unserved_cut_off,
                offers,
                gens,
                constraints,
                opts,
            )
        start = np.union1d(
            start, violated[np.argsort(-np.abs(merit_flows[violated]))][: opts.max_rows_per_iteration]
        )

    run, iterations = _solve_in_stages(gens, market_demand, constraints, opts, start)
    if run.status is OpfStatus.SOLVER_ERROR:
        opts = replace(opts, solver_options={**opts.solver_options, **FALLBACK_SOLVER_OPTIONS})
        run, more = _solve_in_stages(gens, market_demand, constraints, opts, start)
        iterations += more
    formulation, solved, owner = "quadratic", gens, np.arange(gens.n, dtype=np.int64)
    if run.status is OpfStatus.SOLVER_ERROR and np.any(gens.c2 > 0.0):
        # HiGHS's active-set QP can cycle on degenerate hours (many identical units); the LP of
        # secant piecewise-linear costs is solved by the simplex method, which does not.
        formulation = "piecewise_linear"
        solved, owner = _piecewise_linear(gens, opts.fallback_segments)
        run, more = _solve_in_stages(solved, market_demand, constraints, opts, start)
        iterations += more
    if run.status is not OpfStatus.OPTIMAL:
        return _failed(run.status, iterations, constraints, offers.n, unserved_cut_off, opts)
    highs, x, injection, active_order, flows = run.highs, run.x, run.injection, run.active, run.flows
    shed_bus = run.shed_bus
    n_gen = solved.n

    row_dual = np.asarray(highs.getSolution().row_dual, dtype=np.float64)
    balance_dual = float(row_dual[0])
    mu_all = -row_dual[1:]
    is_binding = np.abs(mu_all) > opts.dual_tolerance
    binding = np.asarray(active_order, dtype=np.int64)[is_binding]
    mu = mu_all[is_binding]
    order = np.argsort(binding, kind="stable")
    binding, mu = binding[order], mu[order]

    rows = constraints.sensitivity[binding]
    congestion = -(mu @ rows) if binding.size else np.zeros(constraints.n_buses)
    congestion = congestion[constraints.nearest_priced_bus]
    lmp = balance_dual + congestion
    rent_constraints = float(np.sum(mu * (flows[binding] - constraints.offset_mw[binding])))
    rent_payments = float(-np.sum(lmp[priced] * injection[priced]))
    dispatch = np.bincount(owner, weights=x[:n_gen], minlength=gens.n).astype(np.float64)
    shed = np.zeros(constraints.n_buses)
    shed[shed_bus] = x[n_gen:]
    cost = float(np.sum(gens.c2 * dispatch**2 + gens.c1 * dispatch + gens.c0))
    return DcOpfSolution(
        status=OpfStatus.OPTIMAL,
        iterations=iterations,
        dispatch_mw=_full_dispatch(offers, gens, dispatch),
        shed_mw=shed,
        injection_mw=injection,
        unserved_cut_off_mw=unserved_cut_off,
        lmp=lmp,
        energy_component=balance_dual,
        congestion_component=congestion,
        binding=binding,
        shadow_price=mu,
        flow_mw=flows[binding],
        congestion_rent_constraints=rent_constraints,
        congestion_rent_payments=rent_payments,
        production_cost=cost,
        solver_options=dict(opts.solver_options),
        formulation=formulation,
    )


def _uncongested(
    price: float,
    output: FloatArray,
    injection: FloatArray,
    unserved_cut_off: float,
    offers: OfferStack,
    gens: OfferStack,
    constraints: ConstraintModel,
    opts: DcOpfOptions,
) -> DcOpfSolution:
    """The OPF's solution when the merit-order dispatch violates no limit: one price everywhere."""
    priced = constraints.priced
    lmp = np.full(constraints.n_buses, price)
    none = np.zeros(0, dtype=np.int64)
    return DcOpfSolution(
        status=OpfStatus.OPTIMAL,
        iterations=0,
        dispatch_mw=_full_dispatch(offers, gens, output),
        shed_mw=np.zeros(constraints.n_buses),
        injection_mw=injection,
        unserved_cut_off_mw=unserved_cut_off,
        lmp=lmp,
        energy_component=price,
        congestion_component=np.zeros(constraints.n_buses),
        binding=none,
        shadow_price=np.zeros(0),
        flow_mw=np.zeros(0),
        congestion_rent_constraints=0.0,
        congestion_rent_payments=float(-np.sum(lmp[priced] * injection[priced])),
        production_cost=float(np.sum(gens.c2 * output**2 + gens.c1 * output + gens.c0)),
        solver_options=dict(opts.solver_options),
    )


def _piecewise_linear(gens: OfferStack, segments: int) -> tuple[OfferStack, IntArray]:
    """Offers with each quadratic cost replaced by ``segments`` equal-width secant segments.

    Segment ``[b_k, b_k+1]`` of a unit with ``pmin < pmax`` is offered at the secant slope
    ``c1 + c2 (b_k + b_k+1)`` $/MWh; ``pmin`` itself is a fixed block. LMPs are then within
    ``c2 (pmax - pmin) / segments`` $/MWh of the quadratic ones. Returns the expanded offers
    and, per expanded offer, the index of its generator.
    """
    rows: list[tuple[int, float, float, float]] = []
    owner: list[int] = []
    for g in range(gens.n):
        bus, lo, hi = int(gens.bus[g]), float(gens.pmin_mw[g]), float(gens.pmax_mw[g])
        c1, c2 = float(gens.c1[g]), float(gens.c2[g])
        if c2 == 0.0 or hi <= lo:
            rows.append((bus, lo, hi, c1 + c2 * (lo + hi)))
            owner.append(g)
            continue
        if lo > 0.0:
            rows.append((bus, lo, lo, c1 + 2.0 * c2 * lo))
            owner.append(g)
        edges = np.linspace(lo, hi, segments + 1)
        for a, b in itertools.pairwise(edges):
            rows.append((bus, 0.0, float(b - a), c1 + c2 * float(a + b)))
            owner.append(g)
    table = np.array(rows, dtype=np.float64).reshape(-1, 4)
    n = table.shape[0]
    expanded = OfferStack(
        generator_ids=tuple(gens.generator_ids[g] for g in owner),
        bus=table[:, 0].astype(np.int64),
        pmin_mw=table[:, 1].copy(),
        pmax_mw=table[:, 2].copy(),
        c2=np.zeros(n),
        c1=table[:, 3].copy(),
        c0=np.zeros(n),
    )
    return expanded, np.asarray(owner, dtype=np.int64)


def _solve_in_stages(
    gens: OfferStack,
    demand: FloatArray,
    constraints: ConstraintModel,
    opts: DcOpfOptions,
    start: IntArray,
) -> tuple[_LazyRun, int]:
    """Without shed-load columns first, then with them if needed; returns the run and total rounds.

    Shed-load columns make HiGHS's QP many times slower and are rarely used. A solution without
    them is also optimal with them iff no LMP exceeds VOLL (then every shed column has a
    non-negative reduced cost, VOLL - LMP_i); otherwise, or when the hour is infeasible without
    shedding, it is solved again with them, starting from the constraints found so far.
    """
    run = _lazy_solve(gens, np.zeros(0, dtype=np.int64), demand, constraints, opts, start)
    iterations = run.iterations
    if opts.voll_per_mwh is not None and (
        run.status is OpfStatus.INFEASIBLE
        or (run.status is OpfStatus.OPTIMAL and float(np.max(run.lmp(constraints))) > opts.voll_per_mwh)
    ):
        shed_bus = np.flatnonzero(demand > 0.0).astype(np.int64)
        run = _lazy_solve(gens, shed_bus, demand, constraints, opts, np.asarray(run.active, dtype=np.int64))
        iterations += run.iterations
    return run, iterations


@dataclass
class _LazyRun:
    """State of one lazy constraint-generation solve (internal)."""

    status: OpfStatus
    iterations: int
    highs: highspy.Highs
    x: FloatArray
    injection: FloatArray
    active: list[int]
    shed_bus: IntArray
    flows: FloatArray

    def lmp(self, constraints: ConstraintModel) -> FloatArray:
        """Bus LMPs of the priced island from the current duals (see module doc)."""
        row_dual = np.asarray(self.highs.getSolution().row_dual, dtype=np.float64)
        mu = -row_dual[1:]
        congestion = -(mu @ constraints.sensitivity[np.asarray(self.active, dtype=np.int64)])
        return (float(row_dual[0]) + congestion)[constraints.priced]


def _lazy_solve(
    gens: OfferStack,
    shed_bus: IntArray,
    demand: FloatArray,
    constraints: ConstraintModel,
    opts: DcOpfOptions,
    initial: IntArray,
) -> _LazyRun:
    """Solve, add the violated constraints, re-solve, until none is violated (module doc)."""
    column_bus = np.concatenate([gens.bus, shed_bus])
    highs = _build_model(gens, shed_bus, demand, opts)
    active = np.zeros(constraints.n_constraints, dtype=bool)
    active_order: list[int] = [int(k) for k in initial]
    if initial.size:
        _add_constraint_rows(highs, constraints, initial, column_bus, demand)
        active[initial] = True
    injection = np.zeros(constraints.n_buses)
    flows = constraints.offset_mw.copy()
    x = np.zeros(column_bus.size)
    iterations = 0
    while iterations < opts.max_iterations:
        iterations += 1
        highs.run()
        model_status = highs.getModelStatus()
        if model_status != highspy.HighsModelStatus.kOptimal:
            infeasible = model_status in (
                highspy.HighsModelStatus.kInfeasible,
                highspy.HighsModelStatus.kUnboundedOrInfeasible,
            )
            status = OpfStatus.INFEASIBLE if infeasible else OpfStatus.SOLVER_ERROR
            return _LazyRun(status, iterations, highs, x, injection, active_order, shed_bus, flows)
        x = np.asarray(highs.getSolution().col_value, dtype=np.float64)
        injection = (
            np.bincount(column_bus, weights=x, minlength=constraints.n_buses).astype(np.float64) - demand
        )
        flows = constraints.flows(injection)
        violation = np.abs(flows) - constraints.limit_mw
        violation[active] = -np.inf
        new = np.flatnonzero(violation > opts.violation_tolerance_mw)
        if new.size == 0:
            return _LazyRun(OpfStatus.OPTIMAL, iterations, highs, x, injection, active_order, shed_bus, flows)
        new = np.sort(new[np.argsort(-violation[new], kind="stable")][: opts.max_rows_per_iteration])
        _add_constraint_rows(highs, constraints, new, column_bus, demand)
        active[new] = True
        active_order.extend(int(k) for k in new)
    return _LazyRun(OpfStatus.ITERATION_LIMIT, iterations, highs, x, injection, active_order, shed_bus, flows)


def _build_model(
    gens: OfferStack, shed_bus: IntArray, demand: FloatArray, opts: DcOpfOptions
) -> highspy.Highs:
    highs = quiet_highs()
    for name, value in opts.solver_options.items():
        if not isinstance(value, bool | int | float | str):
            raise TypeError(f"HiGHS option {name!r}: unsupported value {value!r}")
        highs.setOptionValue(name, value)
    n_gen, n_shed = gens.n, shed_bus.size
    n_col = n_gen + n_shed
    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = 1
    voll = opts.voll_per_mwh if opts.voll_per_mwh is not None else 0.0
    lp.col_cost_ = np.concatenate([gens.c1, np.full(n_shed, voll)])
    lp.col_lower_ = np.concatenate([gens.pmin_mw, np.zeros(n_shed)])
    lp.col_upper_ = np.concatenate([gens.pmax_mw, demand[shed_bus]])
    total = float(np.sum(demand))
    lp.row_lower_ = np.array([total])
    lp.row_upper_ = np.array([total])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array([0, n_col], dtype=np.int32)
    lp.a_matrix_.index_ = np.arange(n_col, dtype=np.int32)
    lp.a_matrix_.value_ = np.ones(n_col)
    model = highspy.HighsModel()
    model.lp_ = lp
    quadratic = np.flatnonzero(gens.c2 > 0.0)
    if quadratic.size:
        # HiGHS minimises 0.5 x'Qx + c'x: Q_gg = 2 c2_g. Columns without a quadratic term get
        # an explicit zero so the triangular Hessian has one (possibly empty) column per variable.
        hessian = highspy.HighsHessian()
        hessian.dim_ = n_col
        hessian.format_ = highspy.HessianFormat.kTriangular
        diag = np.zeros(n_col)
        diag[:n_gen] = 2.0 * gens.c2
        nz = np.flatnonzero(diag > 0.0)
        counts = np.zeros(n_col, dtype=np.int32)
        counts[nz] = 1
        hessian.start_ = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        hessian.index_ = nz.astype(np.int32)
        hessian.value_ = diag[nz]
        model.hessian_ = hessian
        if "qp_iteration_limit" not in opts.solver_options:
            # a cycling active-set QP is stopped deterministically (a normal hour needs about
            # one iteration per generator) and handled as a solver error
            highs.setOptionValue("qp_iteration_limit", 50 * n_col + 10_000)
    highs.passModel(model)
    return highs


def _add_constraint_rows(
    highs: highspy.Highs,
    constraints: ConstraintModel,
    index: IntArray,
    column_bus: IntArray,
    demand: FloatArray,
) -> None:
    """Add ``-F - o + H d <= H_cols x <= F - o + H d`` for each constraint in ``index``."""
    rows = constraints.sensitivity[index]
    coef = rows[:, column_bus]
    shift = rows @ demand - constraints.offset_mw[index]
    limit = constraints.limit_mw[index]
    nonzero = np.abs(coef) > 1e-12
    counts = nonzero.sum(axis=1)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32)
    cols = np.nonzero(nonzero)[1].astype(np.int32)
    values = coef[nonzero]
    highs.addRows(index.size, shift - limit, shift + limit, int(values.size), starts, cols, values)


def _full_dispatch(offers: OfferStack, gens: OfferStack, dispatch: FloatArray) -> FloatArray:
    """Dispatch per generator of ``offers`` (zero for generators on cut-off buses)."""
    position = {g: i for i, g in enumerate(gens.generator_ids)}
    full = np.zeros(offers.n)
    for i, gid in enumerate(offers.generator_ids):
        j = position.get(gid)
        if j is not None:
            full[i] = dispatch[j]
    return full


def _failed(
    status: OpfStatus,
    iterations: int,
    constraints: ConstraintModel,
    n_offers: int,
    unserved_cut_off: float,
    opts: DcOpfOptions,
) -> DcOpfSolution:
    nan_bus = np.full(constraints.n_buses, np.nan)
    return DcOpfSolution(
        status=status,
        iterations=iterations,
        dispatch_mw=np.full(n_offers, np.nan),
        shed_mw=nan_bus,
        injection_mw=nan_bus,
        unserved_cut_off_mw=unserved_cut_off,
        lmp=nan_bus,
        energy_component=float("nan"),
        congestion_component=nan_bus,
        binding=np.zeros(0, dtype=np.int64),
        shadow_price=np.zeros(0),
        flow_mw=np.zeros(0),
        congestion_rent_constraints=float("nan"),
        congestion_rent_payments=float("nan"),
        production_cost=float("nan"),
        solver_options=dict(opts.solver_options),
    )
