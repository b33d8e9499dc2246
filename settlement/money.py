"""Money conventions of the settlement.

Amounts are computed in float64 dollars (a target allocation is MW x $/MWh for one hour, so $), and
rounded to cents only when reported (by the service's one rule, :mod:`market_terms.money`), so that
rounding never feeds back into the pro-rata shares.
Conservation (credits + excess = charges, hour by hour and month by month) is checked
on the unrounded figures with :func:`conservation_tolerance`: an absolute floor of 1e-6 $ plus a
relative 1e-9 of the gross money moved, which bounds float64 summation error for the sizes we handle
(10^5 FTRs x 745 hours, amounts up to 10^9 $) while catching any real leak of a cent.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

ABSOLUTE_TOLERANCE = 1e-6
"""$: smallest tolerance for a conservation check."""
RELATIVE_TOLERANCE = 1e-9
"""Fraction of the gross money moved allowed as float64 rounding error."""


def conservation_tolerance(gross: ArrayLike) -> NDArray[np.float64]:
    """Allowed |imbalance| in $ for checks whose gross money moved (sum of absolute terms) is ``gross``."""
    return ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * np.abs(np.asarray(gross, dtype=np.float64))
