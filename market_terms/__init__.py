"""The market's shared vocabulary, below every domain package (pure; imports only numpy).

- :class:`Hedge` (obligation / option) and :class:`PeriodClass` (on- / off-peak), OA 7.1.1, with the
  names users write for them (:func:`parse_hedge`, :func:`parse_period_class`: ``OBL``, ``ONPEAK``, ...);
- :class:`BindingConstraint`, a constraint at its limit as clearing and allocation checks report it;
- :mod:`market_terms.arrays`: ``FloatArray``, ``IntArray``, ``BoolArray``, ``StrArray``;
- :mod:`market_terms.money`: dollars -> integer cents by one rule (half-even, see its docstring);
- :mod:`market_terms.mw`: MW <-> integer tenths (OA 7.3.5(d)).
"""

from market_terms.arrays import BoolArray, FloatArray, IntArray, StrArray
from market_terms.constraints import BindingConstraint
from market_terms.hedge import ACCEPTED_HEDGES, HEDGE_ALIASES, Hedge, parse_hedge
from market_terms.period_class import (
    ACCEPTED_PERIOD_CLASSES,
    PERIOD_CLASS_ALIASES,
    PeriodClass,
    parse_period_class,
)

__all__ = [
    "ACCEPTED_HEDGES",
    "ACCEPTED_PERIOD_CLASSES",
    "HEDGE_ALIASES",
    "PERIOD_CLASS_ALIASES",
    "BindingConstraint",
    "BoolArray",
    "FloatArray",
    "Hedge",
    "IntArray",
    "PeriodClass",
    "StrArray",
    "parse_hedge",
    "parse_period_class",
]
