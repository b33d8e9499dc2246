"""Revenue-adequacy forecast: will a cleared auction's FTRs be paid in full next month?

OA 7.4 asks that congestion revenue cover the FTRs "under expected conditions". The forecast
simulates the month's day-ahead market (:mod:`simulation.market`) under a **base** scenario (the
period's topology) and a set of **outage scenarios** (branches out for the whole month on top of
it), settles each simulated month with the OA 5.2.5 / 5.2.6(a) rules (:mod:`simulation.payout`)
and reports, per period class, the expected and worst payout ratio, the constraints that cause
the shortfalls and the FTRs most exposed. Every scenario uses the same seeded loads (common
random numbers), so differences between scenarios come from the outages alone.

Scenarios and weights. The OI's list gives each outage scenario a probability; the base case gets
the rest (``1 - sum``, which must be >= 0). Without a list, the ``n_auto`` constraints with the most
congestion rent in the base run (branches only) each give a single-outage scenario of probability
``auto_probability``. **Expected** ratio = ``sum_s p_s * ratio_s``; **worst** = the lowest over
scenarios with ``p_s > 0``. Ratios are reported before (hourly, OA 5.2.5) and after the month's
excess is distributed (OA 5.2.6(a)).

Shortfall causes. In an hour with target allocations ``T`` above the congestion rent ``C``, with
``y`` the FTRs' net injections (MW, sources minus sinks) and ``mu_k`` the signed shadow prices::

    T - C = sum_k mu_k * (H_k y - (f_k - o_k))

exactly (both sides from the same duals, see :mod:`simulation.dcopf`): constraint ``k``
contributes ``mu_k`` times the MW by which the FTRs use it beyond what the day-ahead flows paid
for. An outage not modelled in the auction typically shrinks a path's capacity, so the FTRs'
flow on a binding constraint exceeds the day-ahead flow: the shortfall lands on that constraint.
The causes are those contributions summed over the shortfall hours, per constraint.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from market_terms import FloatArray
from simulation.dcopf import OpfStatus
from simulation.market import DayAheadResult, MarketInputs, OutageSet, SimulationSettings, simulate_hours
from simulation.payout import month_payout, payout_ratio
from simulation.topology import ConstraintModel


@dataclass(frozen=True)
class FtrPosition:
    """An awarded (or held) FTR: ``mw`` from ``source`` to ``sink`` in the hours of ``period_class``."""

    id: str
    holder: str
    source: str
    sink: str
    mw: float
    period_class: str


@dataclass(frozen=True)
class OutageScenario:
    """Branches out for the whole month, with the probability the OI gives that scenario."""

    id: str
    branch_ids: tuple[str, ...]
    probability: float


@dataclass(frozen=True)
class ClassResult:
    """One period class in one scenario ($ over the month)."""

    period_class: str
    target_allocation: float
    hourly_credit: float
    month_end_credit: float
    hourly_ratio: float
    month_end_ratio: float
    shortfall_hours: int


@dataclass(frozen=True)
class ScenarioResult:
    """One simulated month: its outages, weight, congestion rent ($) and per-class payout."""

    scenario_id: str
    outages: tuple[str, ...]
    probability: float
    congestion_rent: float
    unsolved_hours: int
    classes: tuple[ClassResult, ...]


@dataclass(frozen=True)
class ClassForecast:
    """Expected (probability-weighted) and worst payout ratios of a period class."""

    period_class: str
    expected_hourly_ratio: float
    worst_hourly_ratio: float
    expected_month_end_ratio: float
    worst_month_end_ratio: float
    worst_scenario_id: str
    expected_target_allocation: float
    expected_shortfall: float


@dataclass(frozen=True)
class ShortfallCause:
    """A constraint's share of the shortfall ($): ``sum over shortfall hours of mu (H y - (f - o))``."""

    constraint_id: str
    contingency_id: str
    expected_contribution: float
    worst_contribution: float
    worst_scenario_id: str
    shortfall_hours: int


@dataclass(frozen=True)
class FtrExposure:
    """An FTR's month: expected target allocation and credit, expected and worst shortfall ($)."""

    ftr_id: str
    holder: str
    period_class: str
    expected_target_allocation: float
    expected_credit: float
    expected_shortfall: float
    worst_shortfall: float
    worst_scenario_id: str


@dataclass(frozen=True)
class RevenueAdequacyReport:
    """The forecast (see module doc). ``exposed`` and ``causes`` are sorted, largest first."""

    hours: int
    scenarios: tuple[ScenarioResult, ...]
    classes: tuple[ClassForecast, ...]
    causes: tuple[ShortfallCause, ...]
    exposed: tuple[FtrExposure, ...]
    seed: int


TopologyFactory = Callable[[OutageSet], ConstraintModel]


def forecast_revenue_adequacy(
    base: MarketInputs,
    topology_for: TopologyFactory,
    ftrs: Sequence[FtrPosition],
    hours: Sequence[datetime],
    hour_classes: Sequence[str],
    *,
    scenarios: Sequence[OutageScenario] | None = None,
    outageable_branches: Collection[str] = (),
    n_auto: int = 5,
    auto_probability: float = 0.05,
    top_n: int = 10,
    settings: SimulationSettings | None = None,
    base_result: DayAheadResult | None = None,
) -> RevenueAdequacyReport:
    """Forecast the payout of ``ftrs`` over ``hours`` (see module doc).

    ``base`` must hold the period's topology under key ``()`` and price every FTR source and
    sink; ``topology_for(outages)`` builds the constraint model with extra ``outages``;
    ``hour_classes[h]`` is the period class of ``hours[h]``; ``outageable_branches`` are the
    constraint ids that name a branch (candidates for automatic scenarios). ``base_result``, when
    given, is the base run already simulated by the caller (``simulate_hours`` of ``base``, or of
    inputs differing only in pricing more points, over ``hours`` with ``settings``) and is used
    instead of simulating it again; its hours must be ``hours``.
    """
    run = settings or SimulationSettings()
    if len(hour_classes) != len(hours):
        raise ValueError(f"{len(hour_classes)} hour classes for {len(hours)} hours")
    if base_result is not None:
        if base_result.hour_endings != tuple(hours):
            raise ValueError("the given base run does not cover the forecast's hours")
        base = replace(
            base, point_ids=base_result.inputs.point_ids, point_weights=base_result.inputs.point_weights
        )
    point_index = {p: i for i, p in enumerate(base.point_ids)}
    for f in ftrs:
        for point in (f.source, f.sink):
            if point not in point_index:
                raise KeyError(f"FTR {f.id!r}: point {point!r} is not priced by the market inputs")
        if not np.isfinite(f.mw) or f.mw < 0.0:
            raise ValueError(f"FTR {f.id!r}: MW must be finite and >= 0, got {f.mw}")
    active = np.array([[c == f.period_class for f in ftrs] for c in hour_classes], dtype=bool).reshape(
        len(hours), len(ftrs)
    )
    if base_result is None:
        base_result = simulate_hours(base, hours, run)
    if scenarios is None:
        scenarios = _auto_scenarios(base_result, outageable_branches, n_auto, auto_probability)
    total_p = sum(s.probability for s in scenarios)
    if any(s.probability < 0.0 for s in scenarios) or total_p > 1.0 + 1e-9:
        raise ValueError(f"scenario probabilities must be >= 0 and sum to <= 1, got sum {total_p}")
    runs: list[tuple[str, tuple[str, ...], float, DayAheadResult]] = [
        ("base", (), max(0.0, 1.0 - total_p), base_result)
    ]
    for s in scenarios:
        outages = tuple(sorted(s.branch_ids))
        inputs = replace(base, topologies={(): topology_for(outages)})
        runs.append((s.id, outages, s.probability, simulate_hours(inputs, hours, run)))

    classes = sorted({f.period_class for f in ftrs})
    holders = [f.holder for f in ftrs]
    scenario_results: list[ScenarioResult] = []
    per_ftr: list[tuple[float, FloatArray, FloatArray]] = []
    cause_table: dict[tuple[str, str], dict[str, tuple[float, int]]] = {}
    for sid, outages, prob, result in runs:
        target, charges, ok = _target_allocations(result, ftrs, point_index, active)
        pay = month_payout(target, charges, holders)
        per_ftr.append((prob, pay.target_allocation, pay.month_end_credit))
        class_results = []
        for cls in classes:
            mask = np.array([f.period_class == cls for f in ftrs])
            ta = float(pay.target_allocation[mask].sum())
            hourly = float(pay.hourly_credit[mask].sum())
            month_end = float(pay.month_end_credit[mask].sum())
            in_class = active[:, mask].any(axis=1)
            class_results.append(
                ClassResult(
                    period_class=cls,
                    target_allocation=ta,
                    hourly_credit=hourly,
                    month_end_credit=month_end,
                    hourly_ratio=payout_ratio(hourly, ta),
                    month_end_ratio=payout_ratio(month_end, ta),
                    shortfall_hours=int(np.sum((pay.shortfall_by_hour > 1e-6) & in_class)),
                )
            )
        scenario_results.append(
            ScenarioResult(
                scenario_id=sid,
                outages=outages,
                probability=prob,
                congestion_rent=float(charges.sum()),
                unsolved_hours=int(np.sum(~ok)),
                classes=tuple(class_results),
            )
        )
        for key, (value, n_hours) in _shortfall_causes(result, ftrs, active, pay.shortfall_by_hour).items():
            cause_table.setdefault(key, {})[sid] = (value, n_hours)

    probability = {sid: prob for sid, _, prob, _ in runs}
    return RevenueAdequacyReport(
        hours=len(hours),
        scenarios=tuple(scenario_results),
        classes=tuple(_class_forecasts(scenario_results, classes)),
        causes=tuple(_rank_causes(cause_table, probability, top_n)),
        exposed=tuple(_rank_exposure(ftrs, per_ftr, [sid for sid, *_ in runs], top_n)),
        seed=run.seed,
    )


def _target_allocations(
    result: DayAheadResult,
    ftrs: Sequence[FtrPosition],
    point_index: dict[str, int],
    active: np.ndarray,
) -> tuple[FloatArray, FloatArray, np.ndarray]:
    """``(n_hours, n_ftrs)`` target allocations, ``(n_hours,)`` charges and the solved-hour mask.

    An hour without a solution has no prices: it counts with zero target allocation and charges.
    """
    ok = np.array([h.status is OpfStatus.OPTIMAL for h in result.hours], dtype=bool)
    congestion = np.nan_to_num(result.congestion())
    src = np.array([point_index[f.source] for f in ftrs], dtype=np.int64)
    snk = np.array([point_index[f.sink] for f in ftrs], dtype=np.int64)
    mw = np.array([f.mw for f in ftrs], dtype=np.float64)
    target = mw[None, :] * (congestion[:, snk] - congestion[:, src]) * active
    target[~ok] = 0.0
    charges = np.where(ok, np.nan_to_num(result.congestion_rent()), 0.0)
    return target, charges, ok


def _ftr_injection(result: DayAheadResult, ftrs: Sequence[FtrPosition], active_row: np.ndarray) -> FloatArray:
    """Bus injections ``sum_j MW_j (w_source - w_sink)`` of the hour's active FTRs (MW)."""
    index = {p: i for i, p in enumerate(result.inputs.point_ids)}
    weights = result.inputs.point_weights
    coeff = np.zeros(len(result.inputs.point_ids))
    for f, on in zip(ftrs, active_row, strict=True):
        if on:
            coeff[index[f.source]] += f.mw
            coeff[index[f.sink]] -= f.mw
    return np.asarray(weights.T @ coeff, dtype=np.float64)


def _shortfall_causes(
    result: DayAheadResult,
    ftrs: Sequence[FtrPosition],
    active: np.ndarray,
    shortfall_by_hour: FloatArray,
) -> dict[tuple[str, str], tuple[float, int]]:
    """Per ``(constraint, contingency)``: summed ``mu (H y - (f - o))`` over shortfall hours, hour count."""
    out: dict[tuple[str, str], tuple[float, int]] = {}
    for h, hour in enumerate(result.hours):
        if shortfall_by_hour[h] <= 1e-6 or hour.status is not OpfStatus.OPTIMAL or not hour.binding.size:
            continue
        topology = result.inputs.topologies[hour.outages]
        # weight on a cut-off bus is priced at its substitute, so its flow is counted there too
        y = np.bincount(
            topology.nearest_priced_bus,
            weights=_ftr_injection(result, ftrs, active[h]),
            minlength=topology.n_buses,
        ).astype(np.float64)
        ftr_flow = topology.sensitivity[hour.binding] @ y
        market_flow = hour.flow_mw - topology.offset_mw[hour.binding]
        for k, mu, fy, fm in zip(hour.binding, hour.shadow_price, ftr_flow, market_flow, strict=True):
            key = (topology.constraint_ids[k], topology.contingency_ids[k])
            value, count = out.get(key, (0.0, 0))
            out[key] = (value + float(mu) * float(fy - fm), count + 1)
    return out


def _auto_scenarios(
    base: DayAheadResult, outageable: Collection[str], n_auto: int, probability: float
) -> list[OutageScenario]:
    """Single outages of the ``n_auto`` branch constraints with the most base-case congestion rent."""
    rent: dict[str, float] = {}
    allowed = set(outageable)
    for hour in base.hours:
        topology = base.inputs.topologies[hour.outages]
        for k, mu, flow in zip(hour.binding, hour.shadow_price, hour.flow_mw, strict=True):
            cid = topology.constraint_ids[k]
            if cid in allowed:
                rent[cid] = rent.get(cid, 0.0) + abs(float(mu) * (float(flow) - float(topology.offset_mw[k])))
    ranked = sorted(rent, key=lambda c: (-rent[c], c))[:n_auto]
    return [OutageScenario(id=f"outage {c}", branch_ids=(c,), probability=probability) for c in ranked]


def _class_forecasts(results: list[ScenarioResult], classes: list[str]) -> list[ClassForecast]:
    out = []
    for i, cls in enumerate(classes):
        rows = [(s.probability, s.scenario_id, s.classes[i]) for s in results]
        weighted = [(p, sid, c) for p, sid, c in rows if p > 0.0]
        worst = min(weighted, key=lambda r: (r[2].month_end_ratio, r[2].hourly_ratio, r[1]))
        out.append(
            ClassForecast(
                period_class=cls,
                expected_hourly_ratio=sum(p * c.hourly_ratio for p, _, c in rows),
                worst_hourly_ratio=min(c.hourly_ratio for _, _, c in weighted),
                expected_month_end_ratio=sum(p * c.month_end_ratio for p, _, c in rows),
                worst_month_end_ratio=worst[2].month_end_ratio,
                worst_scenario_id=worst[1],
                expected_target_allocation=sum(p * c.target_allocation for p, _, c in rows),
                expected_shortfall=sum(p * (c.target_allocation - c.month_end_credit) for p, _, c in rows),
            )
        )
    return out


def _rank_causes(
    table: dict[tuple[str, str], dict[str, tuple[float, int]]], probability: dict[str, float], top_n: int
) -> list[ShortfallCause]:
    causes = []
    for (cid, cont), by_scenario in table.items():
        expected = sum(probability[s] * v for s, (v, _) in by_scenario.items())
        worst_sid = max(by_scenario, key=lambda s: (by_scenario[s][0], s))
        causes.append(
            ShortfallCause(
                constraint_id=cid,
                contingency_id=cont,
                expected_contribution=expected,
                worst_contribution=by_scenario[worst_sid][0],
                worst_scenario_id=worst_sid,
                shortfall_hours=max(n for _, n in by_scenario.values()),
            )
        )
    causes = [c for c in causes if c.worst_contribution > 0.0]
    causes.sort(key=lambda c: (-c.expected_contribution, -c.worst_contribution, c.constraint_id))
    return causes[:top_n]


def _rank_exposure(
    ftrs: Sequence[FtrPosition],
    per_scenario: list[tuple[float, FloatArray, FloatArray]],
    scenario_ids: list[str],
    top_n: int,
) -> list[FtrExposure]:
    probs = np.array([p for p, _, _ in per_scenario])
    ta = np.vstack([t for _, t, _ in per_scenario])
    credit = np.vstack([c for _, _, c in per_scenario])
    short = ta - credit
    out = []
    for j, f in enumerate(ftrs):
        worst = int(np.argmax(short[:, j]))
        out.append(
            FtrExposure(
                ftr_id=f.id,
                holder=f.holder,
                period_class=f.period_class,
                expected_target_allocation=float(probs @ ta[:, j]),
                expected_credit=float(probs @ credit[:, j]),
                expected_shortfall=float(probs @ short[:, j]),
                worst_shortfall=float(short[worst, j]),
                worst_scenario_id=scenario_ids[worst],
            )
        )
    out.sort(key=lambda e: (-e.expected_shortfall, -e.worst_shortfall, e.ftr_id))
    return out[:top_n]
