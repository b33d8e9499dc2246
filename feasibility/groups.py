"""Identical products, merged into one LP column, in a canonical order.

Products with the same source, sink, hedge, side (an option sold or bought) and value are *identical*
(OA 7.3.6(b)): they have the same coefficients in every row and the same objective coefficient, so the
LP cannot tell them apart. One column per group, with the group's total MW as its bound, keeps the LP
smaller and makes the pro-rata split a deterministic step after the solve. Groups are sorted by
(source, sink, hedge, side, value) and products within a group by id, so the LP and every sum over it
is the same whatever the input order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from feasibility.problem import ProductTable
from market_terms import BoolArray, FloatArray, IntArray


@dataclass(frozen=True)
class ProductGroups:
    """``order``: products in canonical order; ``group_of_product``: each product's group (problem order)."""

    order: IntArray
    group_of_product: IntArray
    source: IntArray
    sink: IntArray
    is_option: BoolArray
    value: FloatArray
    mw_max: FloatArray
    is_sale: BoolArray
    """the group sells a held option (:class:`feasibility.problem.ProductTable`)"""

    def __len__(self) -> int:
        return len(self.value)

    def split_pro_rata(self, group_mw: FloatArray, products: ProductTable) -> FloatArray:
        """Each product's share of its group's MW, pro rata to the MW it asked (problem order).

        ``share_j = X_g * mw_j / sum_{i in g} mw_i``; unrounded (the 0.1 MW step is the auction's).
        """
        fill = np.divide(group_mw, self.mw_max, out=np.zeros_like(group_mw), where=self.mw_max > 0)
        out: FloatArray = np.minimum(products.mw_max * fill[self.group_of_product], products.mw_max)
        return out


def group_products(products: ProductTable) -> ProductGroups:
    """Merge identical products; see the module docstring for the canonical order."""
    n = len(products)
    if n == 0:
        empty_i = np.zeros(0, dtype=np.int64)
        empty_f = np.zeros(0, dtype=np.float64)
        no = np.zeros(0, dtype=bool)
        return ProductGroups(empty_i, empty_i, empty_i, empty_i, no, empty_f, empty_f, no)
    ids = np.array(products.ids, dtype=str)
    order = np.lexsort(
        (ids, products.value, products.is_sale, products.is_option, products.sink, products.source)
    ).astype(np.int64)
    src = products.source[order]
    snk = products.sink[order]
    opt = products.is_option[order]
    sale = products.is_sale[order]
    val = products.value[order]
    new = np.ones(n, dtype=bool)
    new[1:] = (
        (src[1:] != src[:-1])
        | (snk[1:] != snk[:-1])
        | (opt[1:] != opt[:-1])
        | (sale[1:] != sale[:-1])
        | (val[1:] != val[:-1])
    )
    group_sorted = np.cumsum(new) - 1
    group_of_product = np.empty(n, dtype=np.int64)
    group_of_product[order] = group_sorted
    starts = np.flatnonzero(new)
    # np.add.reduceat sums in canonical order: bit-identical totals whatever the input order.
    mw = np.add.reduceat(products.mw_max[order], starts)
    return ProductGroups(
        order=order,
        group_of_product=group_of_product,
        source=src[starts],
        sink=snk[starts],
        is_option=opt[starts],
        value=val[starts],
        mw_max=mw,
        is_sale=sale[starts],
    )
