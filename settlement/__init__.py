"""Congestion settlement: target allocations, hourly credits, forfeiture, excess distribution (pure).

Entry point: :func:`settlement.month.settle_month` (one EPT month, in order through the calendar
year via :class:`settlement.year_state.YearState`), then :mod:`settlement.statements` for tables and
:func:`settlement.excess.distribute_year_end` after December. Rules and their OA sections are in each
module's docstring: :mod:`~settlement.target_allocation` (OA 5.2.3, 5.2.4), :mod:`~settlement.credits`
(OA 5.2.5), :mod:`~settlement.forfeiture` (OA 5.2.1(b),(c)), :mod:`~settlement.excess` (OA 5.2.6),
:mod:`~settlement.charges` (OA 5.1.7, 5.3(a), Order 825).
"""
