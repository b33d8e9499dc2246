"""Summing positions to holders: a sparse 0/1 matrix ``S[i, p] = 1`` if holder ``i`` holds position ``p``.

Holders are sorted by name so that every per-holder result is independent of the input row order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from market_terms.arrays import FloatArray, IntArray


@dataclass(frozen=True, slots=True, eq=False)
class HolderIndex:
    """``names[i]`` is holder ``i``; ``of_position[p]`` the holder of position ``p``."""

    names: tuple[str, ...]
    of_position: IntArray
    indicator: sp.csr_matrix

    def sum_rows(self, matrix: NDArray[np.generic]) -> FloatArray:
        """``S @ matrix``: per-holder sums of a per-position array (1-D or positions x hours)."""
        summed = np.asarray(self.indicator @ np.asarray(matrix, dtype=np.float64), dtype=np.float64)
        return summed

    def position(self, name: str) -> int:
        """Index of holder ``name``; ``KeyError`` if it holds nothing this month."""
        return self.names.index(name)


def index_holders(holder_of_position: NDArray[np.object_]) -> HolderIndex:
    """Build the holder index of the positions' holder column."""
    names, codes = np.unique(np.asarray(holder_of_position, dtype=str), return_inverse=True)
    n = len(codes)
    indicator = sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(len(names), n), dtype=np.float64)
    return HolderIndex(
        names=tuple(str(x) for x in names), of_position=codes.astype(np.int64), indicator=indicator
    )
