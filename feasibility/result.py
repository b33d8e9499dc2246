"""The outcome of a clearing LP: a status value, the cleared MW, the prices and the evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from market_terms.arrays import FloatArray, IntArray
from market_terms.constraints import BindingConstraint


class Status(StrEnum):
    """How the solve ended. Anything but ``OPTIMAL`` carries no prices."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    """The base model alone (fixed transfers, loop flow) violates a limit: no award set is feasible."""
    ITERATION_LIMIT = "iteration_limit"
    TIME_LIMIT = "time_limit"
    SOLVER_ERROR = "solver_error"


class Termination(StrEnum):
    """Why the row-generation loop stopped (the reason behind :class:`Status`).

    ``NO_VIOLATION``: every monitored row in every case is within the tolerance (optimal).
    ``ACTIVE_ROWS_ONLY``: the only rows over the tolerance are already in the LP (solver precision;
    optimal within it). ``ITERATION_LIMIT`` / ``TIME_LIMIT``: a limit of :class:`ClearingOptions` was hit
    with rows still violated. ``SOLVER``: the LP solver itself did not end optimal (see the text).
    """

    NO_VIOLATION = "no_violation"
    ACTIVE_ROWS_ONLY = "active_rows_only"
    ITERATION_LIMIT = "iteration_limit"
    TIME_LIMIT = "time_limit"
    SOLVER = "solver"


class Formulation(StrEnum):
    """How a constraint row is written in the LP.

    ``NODAL``: one free variable per pricing point for its net obligation injection
    ``z_p = sum_j a_pj x_j`` (``a = +1`` at the source, ``-1`` at the sink) and one variable per distinct
    option path; a row has one nonzero per point and option path used, however many bids there are.
    ``DENSE``: the textbook row ``sum_j s_rj x_j``, one nonzero per bid group; kept to measure.
    ``ANGLE``: ``NODAL`` plus bus angle variables ``theta`` tied to the point injections by the bus
    balance ``B theta = M z``; a branch row is then ``d b_l (theta_from - theta_to)`` and a contingency
    row (LODF compensation) ``d sum_m w_m b_m (theta_from(m) - theta_to(m))``: a handful of nonzeros
    instead of one per point. Needs a grid with :class:`feasibility.grid.AngleGrid`; rows of
    contingencies that island buses stay in ``NODAL`` form.
    """

    NODAL = "nodal"
    DENSE = "dense"
    ANGLE = "angle"


class Strategy(StrEnum):
    """``GENERATION``: active-set constraint generation; ``FULL``: every row in the LP from the start."""

    GENERATION = "generation"
    FULL = "full"


@dataclass(frozen=True, slots=True)
class ClearingOptions:
    """Solver settings, recorded with every result.

    ``feasibility_tol_mw``: a row is violated when ``d * flow - limit > feasibility_tol_mw`` (MW); the
    result's awards are feasible on every row within it. ``max_rows_per_iteration`` caps how many
    violated rows are added per round (the worst case per constraint and direction first, then by
    violation). ``drop_tol`` drops row coefficients below it (MW per MW; exact flows are always
    re-checked on the full network so a dropped coefficient can only cost an extra round).
    ``interior_rounds``: let rounds that add many rows to a large LP be solved by interior point and
    crossover instead of the warm dual simplex (``feasibility.solve.INTERIOR_ROW_SHARE``); off, every
    round is a dual simplex re-solve. Both give an optimal vertex of the same LP.
    ``price_columns``: column generation on bid groups (``feasibility.solve``, "Bid pricing"): the LP
    holds the groups in the money at the last prices; every other group is priced against them each
    round and enters when it is in the money. Off (the default), every group is free in every round.
    Same optimum; measured slower on the benchmark books (more rounds and pivots, see
    docs/benchmarks/clearing.md), so it is an option.
    ``sensitivity_cache_mib``: memory budget (MiB) for the cached post-contingency sensitivities of
    the N-1 check (``network.flows``: the columns of ``Wc`` that fit are kept, the others are solved
    again in blocks on each check). Same results at any budget; a larger one is faster.
    """

    formulation: Formulation = Formulation.ANGLE
    strategy: Strategy = Strategy.GENERATION
    feasibility_tol_mw: float = 1e-5
    max_rows_per_iteration: int = 2000
    max_iterations: int = 200
    time_limit_s: float = 3600.0
    drop_tol: float = 1e-10
    highs_tol: float = 1e-9
    interior_rounds: bool = True
    price_columns: bool = False
    sensitivity_cache_mib: int = 2048

    def as_dict(self) -> dict[str, Any]:
        return {
            "formulation": str(self.formulation),
            "strategy": str(self.strategy),
            "feasibility_tol_mw": self.feasibility_tol_mw,
            "max_rows_per_iteration": self.max_rows_per_iteration,
            "max_iterations": self.max_iterations,
            "time_limit_s": self.time_limit_s,
            "drop_tol": self.drop_tol,
            "highs_tol": self.highs_tol,
            "interior_rounds": self.interior_rounds,
            "price_columns": self.price_columns,
            "sensitivity_cache_mib": self.sensitivity_cache_mib,
        }


@dataclass(frozen=True)
class LpRows:
    """The constraint rows of the final LP: ``d_r * (S_r . u + loop) <= limit_r``, i.e. ``coeffs x <= rhs``.

    ``sens`` are the point sensitivities (rows x problem points, MW per MW), ``rhs`` the limit minus the
    base model's flow in the row's direction (MW). Used to keep rounded awards feasible cheaply.
    """

    constraint_idx: IntArray
    case_idx: IntArray
    direction: IntArray
    sens: FloatArray
    rhs: FloatArray


@dataclass(frozen=True)
class ClearingResult:
    """Result of :func:`feasibility.solve.solve`.

    ``product_mw``: cleared MW per product in problem order, identical products sharing their group's
    MW pro rata to ``mw_max`` (unrounded). ``point_prices``: $/MW per problem point, path price
    = ``price[sink] - price[source]``, reference bus 0 (OA 7.3.6(c)). ``product_prices``: $/MW of each
    product's own path (for an option, its option price, >= 0). ``surplus``: sum of value x MW ($).
    ``revenue``: sum of price x MW over products ($); ``revenue_from_constraints``:
    sum over binding rows of shadow price x (limit - d * fixed flow) ($): equal at an optimum.
    """

    status: Status
    termination: str
    """The reason in words, with the numbers behind it (``termination_reason`` is the value)."""
    product_mw: FloatArray
    group_of_product: IntArray
    point_prices: FloatArray
    product_prices: FloatArray
    binding: tuple[BindingConstraint, ...]
    surplus: float
    revenue: float
    revenue_from_constraints: float
    max_violation_mw: float
    iterations: int
    active_rows: int
    lp_columns: int
    lp_nonzeros: int
    timings_s: dict[str, float] = field(default_factory=dict)
    solver: dict[str, Any] = field(default_factory=dict)
    binding_rows: tuple[tuple[int, int, int], ...] = ()
    """(constraint index, case index (-1 base), direction) of each entry of :attr:`binding`."""
    lp_rows: LpRows | None = None
    """Every constraint row of the final LP (binding or not)."""
    termination_reason: Termination = Termination.NO_VIOLATION
