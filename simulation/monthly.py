"""Entry points on a :class:`network.model.Network`: simulate hours or a month, forecast a month.

- :func:`simulate_day_ahead`: the day-ahead market for given hour-ending instants, with the
  period's scheduled outages and optional extra outages per hour.
- :func:`simulate_month`: the same for every hour of an EPT calendar month
  (``market_calendar.month_hour_index``: 743, 744 or 745 hours around DST changes).
- :func:`forecast_month`: the revenue-adequacy forecast (:mod:`simulation.forecast`) of FTR awards
  for a month, each hour classed on/off-peak by ``market_calendar`` (OA 7.3.4).

Weekend shapes of the load profile also apply on NERC holidays (``market_calendar.nerc_holidays``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from market_calendar import month_hour_index, nerc_holidays, period_class_of
from network.model import Network, PeriodConditions
from network.sensitivity import build_sensitivity_model
from simulation.forecast import FtrPosition, OutageScenario, RevenueAdequacyReport, forecast_revenue_adequacy
from simulation.market import DayAheadResult, OutageSet, SimulationSettings, simulate_hours
from simulation.network_adapter import Contingencies, constraint_model, market_inputs
from simulation.topology import ConstraintModel


def _holidays(hours: Sequence[datetime]) -> frozenset[date]:
    years = {h.year for h in hours} | {h.year - 1 for h in hours}
    return frozenset().union(*(nerc_holidays(y) for y in sorted(years))) if years else frozenset()


def month_hours(year: int, month: int) -> tuple[datetime, ...]:
    """Hour-ending UTC instants of the EPT month (``market_calendar``)."""
    return tuple(ts.to_pydatetime() for ts in month_hour_index(year, month))


def simulate_day_ahead(
    net: Network,
    conditions: PeriodConditions | None,
    hours: Sequence[datetime],
    *,
    extra_outages: Mapping[datetime, Sequence[str]] | None = None,
    settings: SimulationSettings | None = None,
    point_ids: Sequence[str] | None = None,
    enforce_pmin: bool = False,
    contingencies: Contingencies = (),
) -> DayAheadResult:
    """Simulate ``hours`` of the day-ahead market on ``net`` (see :mod:`simulation.market`).

    ``contingencies``: the auction's contingency set, imposed lazily with emergency ratings
    (:mod:`simulation.network_adapter`); ``()`` clears the base case only.
    """
    inputs = market_inputs(
        net,
        conditions,
        point_ids=point_ids,
        extra_outage_sets=(extra_outages or {}).values(),
        enforce_pmin=enforce_pmin,
        holidays=_holidays(hours),
        contingencies=contingencies,
    )
    return simulate_hours(inputs, hours, settings, extra_outages)


def simulate_month(
    net: Network,
    conditions: PeriodConditions | None,
    year: int,
    month: int,
    *,
    extra_outages: Mapping[datetime, Sequence[str]] | None = None,
    settings: SimulationSettings | None = None,
    point_ids: Sequence[str] | None = None,
    enforce_pmin: bool = False,
    contingencies: Contingencies = (),
) -> DayAheadResult:
    """Simulate every hour of an EPT calendar month."""
    return simulate_day_ahead(
        net,
        conditions,
        month_hours(year, month),
        extra_outages=extra_outages,
        settings=settings,
        point_ids=point_ids,
        enforce_pmin=enforce_pmin,
        contingencies=contingencies,
    )


def forecast_month(
    net: Network,
    conditions: PeriodConditions | None,
    ftrs: Sequence[FtrPosition],
    year: int,
    month: int,
    *,
    scenarios: Sequence[OutageScenario] | None = None,
    n_auto: int = 5,
    auto_probability: float = 0.05,
    top_n: int = 10,
    settings: SimulationSettings | None = None,
    enforce_pmin: bool = False,
    contingencies: Contingencies = (),
    base_result: DayAheadResult | None = None,
) -> RevenueAdequacyReport:
    """Revenue-adequacy forecast of ``ftrs`` for a month (``period_class`` ``on_peak``/``off_peak``).

    Without ``scenarios``, single outages of the ``n_auto`` branches whose constraints collect
    the most congestion rent in the base run, each with ``auto_probability``. Bridges (branches
    whose outage cuts buses off) are not candidates: cutting load off is a reliability event,
    not a congestion scenario (the OI can still list such an outage explicitly).

    ``contingencies`` is the auction's contingency set (the clearing's ``engine_contingencies``
    form): every run imposes its post-contingency rows, so a shortfall from N-1 congestion is
    attributed to its (constraint, contingency) pair. ``base_result`` is the base run when the caller
    has already simulated it (:func:`simulate_month` with the same network, conditions, contingencies
    and settings; it may price more points): the month is then simulated once less.
    """
    hours = month_hours(year, month)
    points = sorted({p for f in ftrs for p in (f.source, f.sink)})
    base = market_inputs(
        net,
        conditions,
        point_ids=points,
        enforce_pmin=enforce_pmin,
        holidays=_holidays(hours),
        contingencies=contingencies,
    )

    bridges = build_sensitivity_model(net, conditions).bridge_mask
    candidates = [b for b, bridge in zip(net.branch_ids, bridges, strict=True) if not bridge]

    def topology_for(outages: OutageSet) -> ConstraintModel:
        return constraint_model(net, conditions, outages, contingencies)

    return forecast_revenue_adequacy(
        base,
        topology_for,
        ftrs,
        hours,
        [period_class_of(h).value for h in hours],
        scenarios=scenarios,
        outageable_branches=candidates,
        n_auto=n_auto,
        auto_probability=auto_probability,
        top_n=top_n,
        settings=settings,
        base_result=base_result,
    )
