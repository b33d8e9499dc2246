"""The day-ahead market over many hours: loads, topology per hour, one DC-OPF per hour.

Hours are independent (no inter-temporal constraint: no ramping, no unit commitment), so they
are solved in any order and, with ``workers > 1``, in a process pool. An hour's result depends
only on its inputs (its loads are seeded by ``(seed, hour)``, see
:mod:`simulation.load_profile`, and every hour of a topology starts from the same initial
constraint set), so the output does not depend on the number of workers.

Each hour runs on the period's topology (scheduled outages, OA 7.3.6(a)) minus the hour's
extra outages; the :class:`ConstraintModel` of each distinct outage set is built once.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import scipy.sparse as sp

from market_terms import FloatArray, IntArray
from simulation.dcopf import DcOpfOptions, OpfStatus, solve_dcopf
from simulation.load_profile import DEFAULT_PROFILE, LoadProfile, hourly_demand, shape_factor
from simulation.offers import OfferStack
from simulation.topology import ConstraintModel

OutageSet = tuple[str, ...]


@dataclass(frozen=True)
class MarketInputs:
    """What the hourly OPF needs that does not change from hour to hour.

    ``topologies`` maps a sorted tuple of extra outaged branch ids (``()`` = the period's own
    topology) to its constraint model; ``point_weights`` is ``(n_points, n_buses)``.
    """

    bus_ids: tuple[str, ...]
    peak_demand_mw: FloatArray
    offers: OfferStack
    point_ids: tuple[str, ...]
    point_weights: sp.csr_matrix
    topologies: Mapping[OutageSet, ConstraintModel]
    holidays: frozenset[date] = frozenset()


@dataclass(frozen=True)
class SimulationSettings:
    """Seed, load profile, OPF options and parallelism of a simulation run.

    ``workers`` processes solve chunks of ``chunk_hours`` hours; ``start_method`` is the
    ``multiprocessing`` start method (``None``: the platform's default, ``fork`` on Linux; a
    multi-threaded caller such as a web server should pass ``"spawn"`` or ``"forkserver"``).
    """

    seed: int = 0
    profile: LoadProfile = DEFAULT_PROFILE
    opf: DcOpfOptions = field(default_factory=DcOpfOptions)
    workers: int = 1
    chunk_hours: int = 24
    start_method: str | None = None


@dataclass(frozen=True)
class HourOutcome:
    """One hour's market result, compact (per pricing point, not per bus).

    ``energy`` $/MWh; ``congestion`` $/MWh per pricing point; ``binding`` indexes the hour's
    topology constraints with signed ``shadow_price`` ($/MWh per MW) and ``flow_mw``; rents in $.
    """

    hour_ending: datetime
    outages: OutageSet
    status: OpfStatus
    iterations: int
    load_mw: float
    shed_mw: float
    unserved_cut_off_mw: float
    production_cost: float
    energy: float
    congestion: FloatArray
    binding: IntArray
    shadow_price: FloatArray
    flow_mw: FloatArray
    congestion_rent_constraints: float
    congestion_rent_payments: float
    formulation: str = "quadratic"


@dataclass(frozen=True)
class DayAheadResult:
    """The simulated hours, in the order given, with the inputs needed to read them.

    Tables in the settlement engine's formats are built by :mod:`simulation.frames`.
    """

    inputs: MarketInputs
    settings: SimulationSettings
    hours: tuple[HourOutcome, ...]

    @property
    def hour_endings(self) -> tuple[datetime, ...]:
        return tuple(h.hour_ending for h in self.hours)

    def energy(self) -> FloatArray:
        """``(n_hours,)`` energy component, $/MWh (NaN for an hour without a solution)."""
        return np.array([h.energy for h in self.hours])

    def congestion(self) -> FloatArray:
        """``(n_hours, n_points)`` congestion component, $/MWh."""
        if not self.hours:
            return np.zeros((0, len(self.inputs.point_ids)))
        return np.vstack([h.congestion for h in self.hours])

    def congestion_rent(self) -> FloatArray:
        """``(n_hours,)`` congestion rent collected ($, load payments - generator revenue)."""
        return np.array([h.congestion_rent_payments for h in self.hours])


def simulate_hours(
    inputs: MarketInputs,
    hours: Sequence[datetime],
    settings: SimulationSettings | None = None,
    extra_outages: Mapping[datetime, Sequence[str]] | None = None,
) -> DayAheadResult:
    """Simulate the day-ahead market for ``hours`` (hour-ending, timezone-aware instants).

    ``extra_outages`` maps an hour to branch ids out in that hour on top of the period's
    scheduled outages; every such set must be a key of ``inputs.topologies`` once sorted.
    """
    run = settings or SimulationSettings()
    outages = {h: tuple(sorted(v)) for h, v in (extra_outages or {}).items()}
    plan = [(h, outages.get(h, ())) for h in hours]
    for h, out in plan:
        if out not in inputs.topologies:
            raise KeyError(f"hour {h.isoformat()}: no topology for extra outages {out}")
    initial = _initial_constraints(inputs, run, plan)
    context = _Context(inputs=inputs, settings=run, initial=initial)
    chunks = [plan[i : i + max(1, run.chunk_hours)] for i in range(0, len(plan), max(1, run.chunk_hours))]
    if run.workers <= 1 or len(chunks) <= 1:
        results = [_solve_chunk(context, chunk) for chunk in chunks]
    else:
        with ProcessPoolExecutor(
            max_workers=run.workers,
            mp_context=multiprocessing.get_context(run.start_method),
            initializer=_init_worker,
            initargs=(context,),
        ) as pool:
            results = list(pool.map(_solve_chunk_in_worker, chunks))
    return DayAheadResult(inputs=inputs, settings=run, hours=tuple(o for chunk in results for o in chunk))


@dataclass(frozen=True)
class _Context:
    inputs: MarketInputs
    settings: SimulationSettings
    initial: Mapping[OutageSet, IntArray]


_WORKER_CONTEXT: list[_Context] = []


def _init_worker(context: _Context) -> None:
    _WORKER_CONTEXT.clear()
    _WORKER_CONTEXT.append(context)


def _solve_chunk_in_worker(chunk: list[tuple[datetime, OutageSet]]) -> list[HourOutcome]:
    return _solve_chunk(_WORKER_CONTEXT[0], chunk)


def _solve_chunk(context: _Context, chunk: list[tuple[datetime, OutageSet]]) -> list[HourOutcome]:
    return [_solve_hour(context, hour, out, context.initial.get(out)) for hour, out in chunk]


def _initial_constraints(
    inputs: MarketInputs, settings: SimulationSettings, plan: list[tuple[datetime, OutageSet]]
) -> dict[OutageSet, IntArray]:
    """Per topology, the binding set of its highest-load hour: every hour of it starts there.

    A fixed starting set (not the previous hour's) keeps each hour's result independent of the
    order and the process the hours are solved in.
    """
    initial: dict[OutageSet, IntArray] = {}
    for out in sorted({o for _, o in plan}):
        hours = [h for h, o in plan if o == out]
        peak = max(hours, key=lambda h: shape_factor(settings.profile, h, inputs.holidays))
        pilot = _solve_hour(_Context(inputs, settings, {}), peak, out, None)
        initial[out] = pilot.binding
    return initial


def _solve_hour(
    context: _Context, hour: datetime, outages: OutageSet, initial: IntArray | None
) -> HourOutcome:
    inputs, settings = context.inputs, context.settings
    topology = inputs.topologies[outages]
    demand = hourly_demand(inputs.peak_demand_mw, hour, settings.profile, settings.seed, inputs.holidays)
    sol = solve_dcopf(demand, inputs.offers, topology, settings.opf, initial)
    congestion = inputs.point_weights @ sol.congestion_component
    return HourOutcome(
        hour_ending=hour,
        outages=outages,
        status=sol.status,
        iterations=sol.iterations,
        load_mw=float(np.sum(demand)),
        shed_mw=float(np.nansum(sol.shed_mw)),
        unserved_cut_off_mw=sol.unserved_cut_off_mw,
        production_cost=sol.production_cost,
        energy=sol.energy_component,
        congestion=np.asarray(congestion, dtype=np.float64),
        binding=sol.binding,
        shadow_price=sol.shadow_price,
        flow_mw=sol.flow_mw,
        congestion_rent_constraints=sol.congestion_rent_constraints,
        congestion_rent_payments=sol.congestion_rent_payments,
        formulation=sol.formulation,
    )
