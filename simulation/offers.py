"""Generator offers of the day-ahead market, read from the network's generator table.

Each in-service generator offers its whole range ``[pmin, pmax]`` MW at its MATPOWER polynomial
cost ``C(p) = c2 * p**2 + c1 * p + c0`` ($/h, ``p`` in MW). The offer curve is therefore the
marginal cost ``C'(p) = 2 * c2 * p + c1`` in $/MWh: a quadratic objective, solved exactly by
HiGHS's QP solver (no piecewise-linear approximation, so LMPs are unique wherever a generator
with ``c2 > 0`` is marginal). ``c0`` is a constant that moves no price; it is kept only for the
reported production cost.

Unit commitment is not modelled. With ``enforce_pmin=False`` (the default) every generator may be
dispatched anywhere in ``[0, pmax]``, i.e. it is treated as committed but able to turn off; with
``enforce_pmin=True`` it must run at least ``pmin`` (this is what a plain DC-OPF such as
MATPOWER's or pandapower's does, and what the cross-check tests use). Forcing every unit on at
``pmin`` makes low-load hours infeasible on cases like ``case_ACTIVSg2000``, where the committed
units' minimum output is of the order of the off-peak load.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from market_terms import FloatArray, IntArray
from network.model import Network


@dataclass(frozen=True)
class OfferStack:
    """The generators that offer in the market, column-wise (one row per offering generator).

    ``bus``: internal bus position of each generator; ``pmin_mw``/``pmax_mw``: MW bounds;
    ``c2`` ($/MW^2h), ``c1`` ($/MWh), ``c0`` ($/h): polynomial cost coefficients.
    """

    generator_ids: tuple[str, ...]
    bus: IntArray
    pmin_mw: FloatArray
    pmax_mw: FloatArray
    c2: FloatArray
    c1: FloatArray
    c0: FloatArray

    @property
    def n(self) -> int:
        return len(self.generator_ids)

    def restricted_to(self, bus_mask: np.ndarray) -> OfferStack:
        """The offers of generators whose bus is ``True`` in ``bus_mask`` (e.g. the priced island)."""
        keep = np.asarray(bus_mask, dtype=bool)[self.bus]
        return OfferStack(
            generator_ids=tuple(g for g, k in zip(self.generator_ids, keep, strict=True) if k),
            bus=self.bus[keep],
            pmin_mw=self.pmin_mw[keep],
            pmax_mw=self.pmax_mw[keep],
            c2=self.c2[keep],
            c1=self.c1[keep],
            c0=self.c0[keep],
        )


def offer_stack(net: Network, *, enforce_pmin: bool = False) -> OfferStack:
    """Offers of the in-service generators of ``net`` with ``pmax > 0``.

    Raises ``ValueError`` naming the generator when its data cannot form an offer
    (``pmax < pmin``, a negative quadratic coefficient, or a non-finite number).
    """
    ids: list[str] = []
    rows: list[tuple[int, float, float, float, float, float]] = []
    for gen in net.generators:
        if not gen.in_service or gen.pmax_mw <= 0.0:
            continue
        values = (gen.pmin_mw, gen.pmax_mw, gen.cost_c2, gen.cost_c1, gen.cost_c0)
        if not all(np.isfinite(v) for v in values):
            raise ValueError(f"generator {gen.id!r}: non-finite limit or cost coefficient {values}")
        if gen.cost_c2 < 0.0:
            raise ValueError(f"generator {gen.id!r}: negative quadratic cost c2={gen.cost_c2} (not convex)")
        pmin = max(gen.pmin_mw, 0.0) if enforce_pmin else 0.0
        if gen.pmax_mw < pmin:
            raise ValueError(f"generator {gen.id!r}: pmax {gen.pmax_mw} MW below pmin {pmin} MW")
        ids.append(gen.id)
        rows.append((net.bus_index(gen.bus_id), pmin, gen.pmax_mw, gen.cost_c2, gen.cost_c1, gen.cost_c0))
    table = np.array(rows, dtype=np.float64).reshape(-1, 6)
    return OfferStack(
        generator_ids=tuple(ids),
        bus=table[:, 0].astype(np.int64),
        pmin_mw=table[:, 1].copy(),
        pmax_mw=table[:, 2].copy(),
        c2=table[:, 3].copy(),
        c1=table[:, 4].copy(),
        c0=table[:, 5].copy(),
    )
