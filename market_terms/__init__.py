"""The market's shared vocabulary, below every domain package (pure; imports only numpy).

- :class:`Hedge` (obligation / option) and :class:`PeriodClass` (on- / off-peak), OA 7.1.1;
- :class:`BindingConstraint`, a constraint at its limit as clearing and allocation checks report it;
- :mod:`market_terms.arrays`: ``FloatArray``, ``IntArray``, ``BoolArray``, ``StrArray``;
- :mod:`market_terms.money`: dollars -> integer cents by one rule (half-even, see its docstring);
- :mod:`market_terms.mw`: MW <-> integer tenths (OA 7.3.5(d)).
"""

from market_terms.arrays import BoolArray, FloatArray, IntArray, StrArray
from market_terms.constraints import BindingConstraint
from market_terms.hedge import Hedge
from market_terms.period_class import PeriodClass

__all__ = [
    "BindingConstraint",
    "BoolArray",
    "FloatArray",
    "Hedge",
    "IntArray",
    "PeriodClass",
    "StrArray",
]
