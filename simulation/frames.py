"""Tables of a simulated day-ahead market, in the settlement engine's input formats.

``hour_ending`` is a timezone-aware UTC ``pandas.Timestamp`` (written to CSV it is ISO 8601 with
its offset, e.g. ``2026-07-01T05:00:00+00:00``). Prices are $/MWh; ``da_congestion`` is the
hour's congestion rent in $ (load payments - generator revenue, OA 5.1; equal to
``sum_k mu_k * (flow_k - loop_k)`` over the binding constraints). Hours without a solution
(see the ``status`` column of :func:`hours_frame`) are left out of the price and charge tables.

- :func:`prices_frame`: ``hour_ending, node, price`` (PRICES input of the settlement).
- :func:`charges_frame`: ``hour_ending, da_congestion`` (CHARGES input).
- :func:`components_frame`: ``hour_ending, node, price, energy, congestion, loss``; ``loss`` is 0
  (lossless) and ``energy`` is the reference-bus price (see :mod:`simulation.dcopf`).
- :func:`binding_frame`: ``hour_ending, constraint_id, contingency_id, shadow_price, flow_mw,
  limit_mw, loop_flow_mw, rent``; ``shadow_price`` $/MWh per MW, positive when the limit binds in
  the constraint's positive direction; ``rent`` = ``shadow_price * (flow_mw - loop_flow_mw)`` $.
- :func:`hours_frame`: one row per hour: status, OPF rounds, cost formulation (``quadratic``, or
  ``piecewise_linear`` for an hour solved by the fallback LP, see :mod:`simulation.dcopf`), load,
  shed and cut-off MW, production cost and both forms of the congestion rent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.dcopf import OpfStatus
from simulation.market import DayAheadResult


def _solved(result: DayAheadResult) -> np.ndarray:
    return np.array([h.status is OpfStatus.OPTIMAL for h in result.hours], dtype=bool)


def _stamps(result: DayAheadResult) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(list(result.hour_endings), utc=True))


def components_frame(result: DayAheadResult) -> pd.DataFrame:
    """Long table of every pricing point's LMP and its components, hour by hour."""
    ok = _solved(result)
    points = result.inputs.point_ids
    n_points = len(points)
    stamps = _stamps(result)[ok]
    energy = result.energy()[ok]
    congestion = result.congestion()[ok]
    energy_long = np.repeat(energy, n_points)
    congestion_long = congestion.reshape(-1)
    return pd.DataFrame(
        {
            "hour_ending": np.repeat(stamps, n_points),
            "node": np.tile(np.array(points, dtype=object), len(stamps)),
            "price": energy_long + congestion_long,
            "energy": energy_long,
            "congestion": congestion_long,
            "loss": np.zeros(energy_long.size),
        }
    )


def prices_frame(result: DayAheadResult) -> pd.DataFrame:
    """``hour_ending, node, price``: the settlement's PRICES input."""
    return components_frame(result)[["hour_ending", "node", "price"]]


def charges_frame(result: DayAheadResult) -> pd.DataFrame:
    """``hour_ending, da_congestion``: the settlement's CHARGES input ($ per hour)."""
    ok = _solved(result)
    return pd.DataFrame({"hour_ending": _stamps(result)[ok], "da_congestion": result.congestion_rent()[ok]})


def binding_frame(result: DayAheadResult) -> pd.DataFrame:
    """One row per binding constraint per hour, with its shadow price and rent."""
    records: list[tuple[object, ...]] = []
    for hour, stamp in zip(result.hours, _stamps(result), strict=True):
        topology = result.inputs.topologies[hour.outages]
        for k, mu, flow in zip(hour.binding, hour.shadow_price, hour.flow_mw, strict=True):
            loop = float(topology.offset_mw[k])
            records.append(
                (
                    stamp,
                    topology.constraint_ids[k],
                    topology.contingency_ids[k],
                    float(mu),
                    float(flow),
                    float(topology.limit_mw[k]),
                    loop,
                    float(mu) * (float(flow) - loop),
                )
            )
    columns = [
        "hour_ending",
        "constraint_id",
        "contingency_id",
        "shadow_price",
        "flow_mw",
        "limit_mw",
        "loop_flow_mw",
        "rent",
    ]
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame["hour_ending"] = pd.to_datetime(frame["hour_ending"], utc=True)
    return frame


def hours_frame(result: DayAheadResult) -> pd.DataFrame:
    """One row per simulated hour: how the OPF ended and the hour's totals."""
    hours = result.hours
    return pd.DataFrame(
        {
            "hour_ending": _stamps(result),
            "status": [h.status.value for h in hours],
            "iterations": [h.iterations for h in hours],
            "formulation": [h.formulation for h in hours],
            "outages": [",".join(h.outages) for h in hours],
            "load_mw": [h.load_mw for h in hours],
            "shed_mw": [h.shed_mw for h in hours],
            "unserved_cut_off_mw": [h.unserved_cut_off_mw for h in hours],
            "production_cost": [h.production_cost for h in hours],
            "congestion_rent_constraints": [h.congestion_rent_constraints for h in hours],
            "congestion_rent_payments": [h.congestion_rent_payments for h in hours],
        }
    )
