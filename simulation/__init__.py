"""Day-ahead market simulator and revenue-adequacy forecast (pure; DC-OPF with HiGHS).

Public API
- :func:`simulation.monthly.simulate_day_ahead` / :func:`simulation.monthly.simulate_month`
  ``(net, conditions, hours | year, month, ...) -> DayAheadResult``: one DC-OPF per hour
  (:mod:`simulation.dcopf`), loads shaped by :mod:`simulation.load_profile`, the period's
  scheduled outages plus optional extra outages per hour, hours solved in a process pool.
- :mod:`simulation.frames`: ``prices_frame`` (``hour_ending, node, price``) and
  ``charges_frame`` (``hour_ending, da_congestion``), the settlement's inputs; ``components_frame``
  (energy / congestion / loss), ``binding_frame`` (constraints with shadow prices) and
  ``hours_frame`` (status and totals per hour).
- :func:`simulation.monthly.forecast_month` ``(net, conditions, ftrs, year, month, ...) ->
  RevenueAdequacyReport`` (:mod:`simulation.forecast`): expected and worst payout ratio per
  class over outage scenarios, the constraints causing shortfalls, the FTRs most exposed.
- Lower level, on prepared inputs: :func:`simulation.dcopf.solve_dcopf`,
  :func:`simulation.market.simulate_hours`, :func:`simulation.forecast.forecast_revenue_adequacy`,
  :func:`simulation.network_adapter.market_inputs`, :mod:`simulation.payout` (OA 5.2.5, 5.2.6(a)).
"""
