"""The kinds of settlement input the OI uploads, and the columns of each.

Times are ISO 8601 with a UTC offset; an hour is named by its hour-ending instant and a real-time
interval by its interval-ending instant (Order 825: twelve 5-minute intervals per hour). Money is $,
prices $/MWh, MW > 0. Holders and customers are participants, named by ``participant_id``.

- ``da_prices``: hour_ending, node, price, [congestion] (OA 5.2.4: the congestion component
  is used when given);
- ``da_congestion``: hour_ending, da_congestion (OA 5.1.7, 5.2.5);
- ``rt_congestion``: interval_ending, rt_congestion (Order 825, summed to the hour);
- ``loop_flow``: hour_ending, loop_flow_compensation (OA 5.3(a));
- ``rt_prices``: hour_ending, node, price, [congestion] (OA 5.2.1(b) forfeiture);
- ``virtual_bids``: participant_id, node, hour_ending, mw (OA 5.2.1(b) accepted INC/DEC bids);
- ``binding_constraints``: hour_ending, constraint_id, [contingency_id], [shadow_price]
  (OA 5.2.1(c) distribution factors of the constraints binding in each hour);
- ``year_end_charges`` (per year): participant_id, network_demand_charges,
  reserved_capacity_charges (OA 5.2.6(c)).

``holdings`` is not uploaded: it is the snapshot of the FTRs held that a run reads from the ledger,
stored like an upload so that every run names all of its inputs. A row is a run of constant MW of one
holding from ``first_hour_ending`` to ``last_hour_ending`` (both included); a snapshot stored without
those columns holds every row for the whole month.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ColumnType(StrEnum):
    HOUR = "hour"  # hour-ending instant of the month
    INTERVAL = "interval"  # 5-minute interval-ending instant of the month
    TEXT = "text"  # an id (pricing point, constraint, holding)
    NUMBER = "number"  # a finite decimal ($, $/MWh)
    NONNEGATIVE = "nonnegative"  # a finite decimal >= 0 ($ charges)
    POSITIVE = "positive"  # a finite decimal > 0 (MW)
    PARTICIPANT = "participant"  # a participant id
    PERIOD_CLASS = "period_class"
    HEDGE = "hedge"
    ACQUISITION = "acquisition"


class InputKind(StrEnum):
    DA_PRICES = "da_prices"
    DA_CONGESTION = "da_congestion"
    RT_CONGESTION = "rt_congestion"
    LOOP_FLOW = "loop_flow"
    RT_PRICES = "rt_prices"
    VIRTUAL_BIDS = "virtual_bids"
    BINDING_CONSTRAINTS = "binding_constraints"
    YEAR_END_CHARGES = "year_end_charges"
    HOLDINGS = "holdings"


class MonthInputKind(StrEnum):
    """Kinds uploaded per month (the path parameter of the upload route)."""

    DA_PRICES = "da_prices"
    DA_CONGESTION = "da_congestion"
    RT_CONGESTION = "rt_congestion"
    LOOP_FLOW = "loop_flow"
    RT_PRICES = "rt_prices"
    VIRTUAL_BIDS = "virtual_bids"
    BINDING_CONSTRAINTS = "binding_constraints"


@dataclass(frozen=True, slots=True)
class KindSpec:
    required: tuple[tuple[str, ColumnType], ...]
    optional: tuple[tuple[str, ColumnType], ...] = ()
    yearly: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.required + self.optional)

    def column_type(self, name: str) -> ColumnType:
        return dict(self.required + self.optional)[name]


_T = ColumnType
SPECS: dict[InputKind, KindSpec] = {
    InputKind.DA_PRICES: KindSpec(
        (("hour_ending", _T.HOUR), ("node", _T.TEXT), ("price", _T.NUMBER)), (("congestion", _T.NUMBER),)
    ),
    InputKind.DA_CONGESTION: KindSpec((("hour_ending", _T.HOUR), ("da_congestion", _T.NUMBER))),
    InputKind.RT_CONGESTION: KindSpec((("interval_ending", _T.INTERVAL), ("rt_congestion", _T.NUMBER))),
    InputKind.LOOP_FLOW: KindSpec((("hour_ending", _T.HOUR), ("loop_flow_compensation", _T.NUMBER))),
    InputKind.RT_PRICES: KindSpec(
        (("hour_ending", _T.HOUR), ("node", _T.TEXT), ("price", _T.NUMBER)), (("congestion", _T.NUMBER),)
    ),
    InputKind.VIRTUAL_BIDS: KindSpec(
        (
            ("participant_id", _T.PARTICIPANT),
            ("node", _T.TEXT),
            ("hour_ending", _T.HOUR),
            ("mw", _T.POSITIVE),
        )
    ),
    InputKind.BINDING_CONSTRAINTS: KindSpec(
        (("hour_ending", _T.HOUR), ("constraint_id", _T.TEXT)),
        (("contingency_id", _T.TEXT), ("shadow_price", _T.NUMBER)),
    ),
    InputKind.YEAR_END_CHARGES: KindSpec(
        (
            ("participant_id", _T.PARTICIPANT),
            ("network_demand_charges", _T.NONNEGATIVE),
            ("reserved_capacity_charges", _T.NONNEGATIVE),
        ),
        yearly=True,
    ),
    InputKind.HOLDINGS: KindSpec(
        (
            ("holding_id", _T.TEXT),
            ("participant_id", _T.PARTICIPANT),
            ("source", _T.TEXT),
            ("sink", _T.TEXT),
            ("period_class", _T.PERIOD_CLASS),
            ("hedge", _T.HEDGE),
            ("acquisition", _T.ACQUISITION),
            ("mw", _T.POSITIVE),
        ),
        (
            ("auction_price_per_mw", _T.NUMBER),
            ("first_hour_ending", _T.HOUR),
            ("last_hour_ending", _T.HOUR),
        ),
    ),
}

PRICE_KINDS = (InputKind.DA_PRICES, InputKind.RT_PRICES)
"""Hourly prices: checked by column and stored as one Parquet file each (app.settlement.price_file)."""
REQUIRED_FOR_A_RUN = (InputKind.DA_PRICES, InputKind.DA_CONGESTION)
FORFEITURE_KINDS = (InputKind.RT_PRICES, InputKind.VIRTUAL_BIDS, InputKind.BINDING_CONSTRAINTS)
"""Forfeiture (OA 5.2.1(b)) is applied when all three are given for the month, and never otherwise."""
