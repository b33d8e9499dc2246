"""The transmission constraints the day-ahead market dispatches against, for one topology.

A :class:`ConstraintModel` is what the DC-OPF needs from the network layer, and nothing more:

- ``sensitivity[k, i]``: MW on constraint ``k`` (in its positive direction) per MW injected at
  bus ``i`` and withdrawn at the reference bus (the PTDF, or ``c^T PTDF`` for an interface; for a
  post-contingency constraint, the post-contingency PTDF). Column ``reference_bus`` is zero.
- ``limit_mw[k]``: the limit in both directions (normal rating in the base case, emergency
  rating after a contingency); ``offset_mw[k]``: flow already on ``k`` before the market's own
  injections (loop flow, OA 7.3.6(a)), signed in ``k``'s positive direction.
- ``priced``: buses in the island that holds the reference bus. Only these take part in the
  market; a bus cut off by an outage has its load unserved and its generators unavailable,
  and its price is that of the nearest connected bus (CAISO App. A).

``contingency_ids[k]`` is ``""`` for a base-case row and the contingency's id for a
post-contingency row (several rows may share a ``constraint_ids`` entry, one per contingency).

The constraint on ``k`` is ``-limit_k <= offset_k + sensitivity[k] @ injection <= limit_k``.
The matrices come from ``network`` (see :func:`simulation.network_adapter.constraint_model`);
this module holds no PTDF code of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from market_terms import BoolArray, FloatArray, IntArray


@dataclass(frozen=True)
class ConstraintModel:
    """Monitored constraints of one topology as dense sensitivities over buses (see module doc)."""

    constraint_ids: tuple[str, ...]
    contingency_ids: tuple[str, ...]
    sensitivity: FloatArray
    limit_mw: FloatArray
    offset_mw: FloatArray
    priced: BoolArray
    reference_bus: int
    nearest_priced_bus: IntArray

    def __post_init__(self) -> None:
        n_k = len(self.constraint_ids)
        if self.sensitivity.ndim != 2 or self.sensitivity.shape[0] != n_k:
            raise ValueError(
                f"sensitivity has shape {self.sensitivity.shape}; expected ({n_k}, n_buses) "
                "(one row per constraint id)"
            )
        for name in ("limit_mw", "offset_mw"):
            if getattr(self, name).shape != (n_k,):
                raise ValueError(f"{name} has shape {getattr(self, name).shape}; expected ({n_k},)")
        if len(self.contingency_ids) != n_k:
            raise ValueError(f"{len(self.contingency_ids)} contingency ids for {n_k} constraints")
        n_bus = self.sensitivity.shape[1]
        if self.priced.shape != (n_bus,) or self.nearest_priced_bus.shape != (n_bus,):
            raise ValueError("priced and nearest_priced_bus must have one entry per bus")
        if not self.priced[self.reference_bus]:
            raise ValueError("the reference bus must be in the priced island")
        for name in ("sensitivity", "limit_mw", "offset_mw", "priced", "nearest_priced_bus"):
            array = np.array(getattr(self, name), copy=True)
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    @property
    def n_constraints(self) -> int:
        return len(self.constraint_ids)

    @property
    def n_buses(self) -> int:
        return int(self.sensitivity.shape[1])

    def flows(self, injection_mw: FloatArray) -> FloatArray:
        """Flows (MW) on every constraint from a bus injection vector, loop flow included."""
        return self.sensitivity @ injection_mw + self.offset_mw
