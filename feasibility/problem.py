"""The clearing problem as data: priced transfers between pricing points and the fixed base model.

A *product* is a transfer of up to ``mw_max`` MW from a source pricing point to a sink pricing point
whose clearing adds ``value`` $/MW (for the auction period) to the objective (OA 7.2.1, OA 7.3.6(b)):

- a bid to buy an FTR s -> t at ``p`` $/MW is the product ``(s -> t, value = p)``;
- an offer to sell a held FTR s -> t with reservation price ``r`` is the product ``(t -> s, value = -r)``:
  the held FTR is in the fixed base model at its full MW and selling ``y`` MW of it is the same as adding
  ``y`` MW of the reversed path. Its clearing price is then ``price(t -> s) = -price(s -> t)``, i.e. the
  seller is paid ``price(s -> t)`` per MW sold.

``hedge`` is ``obligation`` (the flow counts in both directions, and relieves) or ``option`` (only the
adverse flow counts: an option never relieves a constraint and its price is never negative).

An offer to sell a held *option* s -> t cannot be written as the reversed path: the reversed option would
add adverse flow where the held one had none. It is the product ``(s -> t, option, sale, value = -r)``
whose MW on a row is ``-max(0, d s_r)``: selling ``y`` MW takes ``y`` MW of the held option's adverse
flow off every row, and adds none anywhere. Its clearing price is ``-price_option(s -> t) <= 0``, so the
seller is paid the option's price, which is never negative.

The *fixed* transfers are the base model (OA 7.3.6(a)): outstanding FTRs not offered, FTRs offered for
sale at their full MW, assigned FTRs (OA 7.3.3), each an obligation or an option (an option's adverse
flow only, per direction). Loop flow and scheduled outages belong to the grid (:mod:`feasibility.grid`).

Identical products (same source, sink, hedge and value) are one LP column (their MW add up); the pro-rata
split among them is an auction rule (:mod:`auction.pro_rata`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from market_terms.arrays import BoolArray, FloatArray, IntArray


def path_coefficients(flow: FloatArray, is_option: BoolArray, is_sale: BoolArray) -> FloatArray:
    """MW a product puts on a row per MW cleared, from ``flow = d (S_src - S_snk)`` (its path's flow in
    the row's direction): obligations ``flow``, options bought ``max(0, flow)`` (adverse part only),
    options sold ``-max(0, flow)`` (the held option's adverse part released). ``is_option`` and
    ``is_sale`` broadcast against ``flow`` (products on the last axis, or shaped by the caller)."""
    adverse = np.maximum(flow, 0.0)
    out: FloatArray = np.where(is_option, np.where(is_sale, -adverse, adverse), flow)
    return out


def merge_paths(source: IntArray, sink: IntArray, mw: FloatArray) -> tuple[IntArray, IntArray, FloatArray]:
    """MW summed per (source, sink) path: (source, sink, MW), paths in sorted order."""
    if mw.size == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e, np.zeros(0)
    uniq, inverse = np.unique(np.stack([source, sink], axis=1), axis=0, return_inverse=True)
    total = np.bincount(inverse.reshape(-1), mw, minlength=len(uniq)).astype(np.float64)
    return uniq[:, 0].astype(np.int64), uniq[:, 1].astype(np.int64), total


def _frozen(array: np.ndarray, dtype: type) -> np.ndarray:
    out: np.ndarray = np.array(array, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True)
class ProductTable:
    """Priced products, column-wise; row ``j`` is one bid or offer.

    ``source`` and ``sink`` index :attr:`ClearingProblem.points`; ``mw_max`` > 0 (MW);
    ``value`` in $/MW for the period; ``is_option`` marks option hedges; ``is_sale`` marks the sale of
    a held option (``source -> sink`` is the held path; see the module doc). Empty ``is_sale``: none.
    """

    ids: tuple[str, ...]
    source: IntArray
    sink: IntArray
    mw_max: FloatArray
    value: FloatArray
    is_option: BoolArray
    is_sale: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", _frozen(self.source, np.int64))
        object.__setattr__(self, "sink", _frozen(self.sink, np.int64))
        object.__setattr__(self, "mw_max", _frozen(self.mw_max, np.float64))
        object.__setattr__(self, "value", _frozen(self.value, np.float64))
        object.__setattr__(self, "is_option", _frozen(self.is_option, np.bool_))
        n = len(self.ids)
        sale = self.is_sale if np.size(self.is_sale) else np.zeros(n, dtype=np.bool_)
        object.__setattr__(self, "is_sale", _frozen(sale, np.bool_))
        for name in ("source", "sink", "mw_max", "value", "is_option", "is_sale"):
            if getattr(self, name).shape != (n,):
                raise ValueError(
                    f"product column {name!r} has shape {getattr(self, name).shape}, expected ({n},)"
                )
        if n and not np.all(self.mw_max > 0):
            bad = int(np.flatnonzero(~(self.mw_max > 0))[0])
            raise ValueError(f"product {self.ids[bad]!r}: MW must be > 0, got {self.mw_max[bad]}")
        if n and not np.all(np.isfinite(self.value)):
            bad = int(np.flatnonzero(~np.isfinite(self.value))[0])
            raise ValueError(f"product {self.ids[bad]!r}: value must be finite, got {self.value[bad]}")
        same = self.source == self.sink
        if np.any(same):
            bad = int(np.flatnonzero(same)[0])
            raise ValueError(f"product {self.ids[bad]!r}: source and sink are the same point")
        odd = self.is_sale & ~self.is_option
        if np.any(odd):
            bad = int(np.flatnonzero(odd)[0])
            raise ValueError(
                f"product {self.ids[bad]!r}: only an option is sold as a sale product "
                "(an obligation offer is the reversed path)"
            )

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class FixedTransfers:
    """Base-model FTRs (MW from ``source`` to ``sink`` point indices), always in the flows;
    ``is_option`` marks options (adverse flow only). Empty ``is_option``: all obligations."""

    source: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sink: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    mw: FloatArray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    is_option: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", _frozen(self.source, np.int64))
        object.__setattr__(self, "sink", _frozen(self.sink, np.int64))
        object.__setattr__(self, "mw", _frozen(self.mw, np.float64))
        opt = self.is_option if np.size(self.is_option) else np.zeros(self.mw.shape, dtype=np.bool_)
        object.__setattr__(self, "is_option", _frozen(opt, np.bool_))
        if not (self.source.shape == self.sink.shape == self.mw.shape == self.is_option.shape):
            raise ValueError("fixed transfers: source, sink, mw and is_option must have the same length")

    def option_paths(self) -> tuple[IntArray, IntArray, FloatArray]:
        """The base-model options merged by path: (source, sink, MW), paths in sorted order."""
        opt = np.flatnonzero(self.is_option)
        return merge_paths(self.source[opt], self.sink[opt], self.mw[opt])

    def option_adverse_mw(self, sens: FloatArray, direction: IntArray) -> FloatArray:
        """MW the base-model options put on rows with point sensitivities ``sens`` (rows x points) in
        directions ``direction``: ``sum_h max(0, d (S_src - S_snk)) MW_h`` (never negative)."""
        src, snk, mw = self.option_paths()
        if mw.size == 0 or sens.shape[0] == 0:
            return np.zeros(sens.shape[0])
        flow = direction.astype(np.float64)[:, None] * (sens[:, src] - sens[:, snk])
        out: FloatArray = np.maximum(flow, 0.0) @ mw
        return out


@dataclass(frozen=True)
class ClearingProblem:
    """Everything the LP needs besides the grid: the points, the products and the base model."""

    points: tuple[str, ...]
    products: ProductTable
    fixed: FixedTransfers = field(default_factory=FixedTransfers)

    def __post_init__(self) -> None:
        k = len(self.points)
        if len(set(self.points)) != k:
            raise ValueError("pricing point ids must be unique")
        for label, arr in (
            ("product source", self.products.source),
            ("product sink", self.products.sink),
            ("fixed source", self.fixed.source),
            ("fixed sink", self.fixed.sink),
        ):
            if arr.size and (arr.min() < 0 or arr.max() >= k):
                raise ValueError(f"{label} index out of range 0..{k - 1}")

    def point_injection(self, product_mw: FloatArray, *, include_fixed: bool = True) -> FloatArray:
        """Net MW injected at each point by obligation awards ``product_mw`` (+ the fixed transfers).

        A transfer of ``q`` MW from s to t injects ``+q`` at s and ``-q`` at t. Options are excluded:
        their flows are not a net injection (only adverse parts count).
        """
        k = len(self.points)
        obligation = ~self.products.is_option
        inj: FloatArray = np.bincount(
            self.products.source[obligation], product_mw[obligation], minlength=k
        ).astype(np.float64)
        inj -= np.bincount(self.products.sink[obligation], product_mw[obligation], minlength=k)
        if include_fixed:
            inj += self.fixed_point_injection()
        return inj

    def fixed_point_injection(self) -> FloatArray:
        """Net MW injected at each point by the fixed base-model obligations (options are not a net
        injection: :meth:`FixedTransfers.option_adverse_mw` gives their flows)."""
        k = len(self.points)
        mw = np.where(self.fixed.is_option, 0.0, self.fixed.mw)
        inj: FloatArray = np.bincount(self.fixed.source, mw, minlength=k).astype(np.float64)
        inj -= np.bincount(self.fixed.sink, mw, minlength=k)
        return inj


def build_problem(
    product_ids: Sequence[str],
    sources: Sequence[str],
    sinks: Sequence[str],
    mw_max: Sequence[float] | FloatArray,
    values: Sequence[float] | FloatArray,
    is_option: Sequence[bool] | BoolArray | None = None,
    *,
    is_sale: Sequence[bool] | BoolArray | None = None,
    fixed_sources: Sequence[str] = (),
    fixed_sinks: Sequence[str] = (),
    fixed_mw: Sequence[float] | FloatArray = (),
    fixed_is_option: Sequence[bool] | BoolArray | None = None,
) -> ClearingProblem:
    """Build a :class:`ClearingProblem` from point ids; the point list is sorted (determinism)."""
    points = tuple(sorted(set(sources) | set(sinks) | set(fixed_sources) | set(fixed_sinks)))
    index = {p: i for i, p in enumerate(points)}
    n = len(product_ids)
    option = np.zeros(n, dtype=bool) if is_option is None else np.asarray(is_option, dtype=bool)
    products = ProductTable(
        ids=tuple(product_ids),
        source=np.array([index[s] for s in sources], dtype=np.int64),
        sink=np.array([index[s] for s in sinks], dtype=np.int64),
        mw_max=np.asarray(mw_max, dtype=np.float64),
        value=np.asarray(values, dtype=np.float64),
        is_option=option,
        is_sale=np.zeros(n, dtype=bool) if is_sale is None else np.asarray(is_sale, dtype=bool),
    )
    n_fixed = len(fixed_sources)
    fixed = FixedTransfers(
        source=np.array([index[s] for s in fixed_sources], dtype=np.int64),
        sink=np.array([index[s] for s in fixed_sinks], dtype=np.int64),
        mw=np.asarray(fixed_mw, dtype=np.float64),
        is_option=(
            np.zeros(n_fixed, dtype=bool)
            if fixed_is_option is None
            else np.asarray(fixed_is_option, dtype=bool)
        ),
    )
    return ClearingProblem(points=points, products=products, fixed=fixed)
