"""The columns and rows of the clearing LP (OA 7.2.1, OA 7.3.6(b)), written for HiGHS.

Variables: ``x_g in [0, MW_g]`` MW cleared of product group ``g`` (identical products merged).
Objective: maximise ``sum_g v_g x_g`` ($; bids ``v = price``, offers ``v = -reservation`` on the reversed
path), i.e. minimise ``-sum_g v_g x_g``.

A row is (constraint ``c``, case ``k``, direction ``d``) with sensitivities ``S_rp`` (MW on the row per
MW injected at point ``p`` and withdrawn at the reference bus). A group's flow on the row is
``s_rg = S_r,src(g) - S_r,snk(g)`` per MW. The row is

    sum_{g obligation} d s_rg x_g + sum_{g option} max(0, d s_rg) x_g <= L_r - d (F_r + loop_c)

with ``F_r = sum_p S_rp u_p`` the flow of the fixed base-model injections ``u`` and ``L_r`` the normal
(base case) or emergency (contingency) limit. An option only enters with its *adverse* part
``max(0, d s_rg)``: it never relieves a constraint, so its price ``sum_r mu_r max(0, d_r s_rg)`` is never
negative; an obligation's enters with its sign in both directions.

``Formulation.NODAL`` (default) writes the obligation part through point variables
``z_p = sum_g a_pg x_g`` (``a = +1`` at the group's source, ``-1`` at its sink; one equality row per point)
and the option part through option-path variables ``w_q = sum_{g bought on q} x_g - sum_{g sold on q} x_g``
(free when path ``q`` has a sale):

    sum_p d S_rp z_p + sum_q max(0, d s_rq) w_q <= L_r - d (F_r + loop_c)

so a constraint row has one nonzero per point (and option path) in use, not one per bid: with 100k bids
on ~3k points the rows are ~30x sparser. ``Formulation.DENSE`` writes the textbook row (one nonzero per
group) and is kept to measure the difference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from feasibility.groups import ProductGroups
from feasibility.problem import path_coefficients
from feasibility.result import Formulation
from market_terms import FloatArray, IntArray


@dataclass(frozen=True)
class Layout:
    """Column positions: groups first, then point variables, then option-path variables."""

    formulation: Formulation
    n_groups: int
    z_points: IntArray
    """problem point index of each point variable (NODAL)"""
    option_path_src: IntArray
    option_path_snk: IntArray
    option_path_of_group: IntArray
    """option-path index of each group, -1 for obligations (NODAL)"""
    n_theta: int = 0
    """bus angle variables (ANGLE), last"""

    @property
    def theta_start(self) -> int:
        return self.n_groups + len(self.z_points) + len(self.option_path_src)

    @property
    def n_columns(self) -> int:
        if self.formulation is Formulation.DENSE:
            return self.n_groups
        return self.theta_start + self.n_theta


def build_layout(groups: ProductGroups, formulation: Formulation, n_theta: int = 0) -> Layout:
    """Point variables for every point an obligation group touches; a path variable per option path."""
    obligation = ~groups.is_option
    z_points = np.unique(np.concatenate([groups.source[obligation], groups.sink[obligation]]))
    opt = np.flatnonzero(groups.is_option)
    path_of_group = np.full(len(groups), -1, dtype=np.int64)
    if opt.size:
        pairs = np.stack([groups.source[opt], groups.sink[opt]], axis=1)
        uniq, inverse = np.unique(pairs, axis=0, return_inverse=True)
        path_of_group[opt] = inverse.reshape(-1)
        src, snk = uniq[:, 0], uniq[:, 1]
    else:
        src = snk = np.zeros(0, dtype=np.int64)
    return Layout(
        formulation=formulation,
        n_groups=len(groups),
        z_points=z_points.astype(np.int64),
        option_path_src=src.astype(np.int64),
        option_path_snk=snk.astype(np.int64),
        option_path_of_group=path_of_group,
        n_theta=n_theta if formulation is Formulation.ANGLE else 0,
    )


def linking_rows(
    layout: Layout,
    groups: ProductGroups,
    balance: tuple[sp.csr_matrix, sp.csr_matrix] | None = None,
) -> sp.csr_matrix:
    """The equality rows (rhs 0): ``z_p - sum_g a_pg x_g``, ``w_q - sum_{g on q} (+-1) x_g`` (-1 for a
    bought option, +1 for a sold one) and, for ANGLE,
    the bus balance ``B_r theta - M_r z`` with ``balance = (B_r, M_r)`` (``M_r``: reduced bus rows of the
    point injection matrix, columns of all problem points)."""
    if layout.formulation is Formulation.DENSE:
        return sp.csr_matrix((0, layout.n_columns))
    n_z = len(layout.z_points)
    z_row = {int(p): i for i, p in enumerate(layout.z_points)}
    obligation = np.flatnonzero(~groups.is_option)
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    vals: list[FloatArray] = []
    # z_p
    rows.append(np.arange(n_z))
    cols.append(layout.n_groups + np.arange(n_z))
    vals.append(np.ones(n_z))
    # - x_g at its source, + x_g at its sink
    src_rows = np.array([z_row[int(p)] for p in groups.source[obligation]], dtype=np.int64)
    snk_rows = np.array([z_row[int(p)] for p in groups.sink[obligation]], dtype=np.int64)
    rows += [src_rows, snk_rows]
    cols += [obligation, obligation]
    vals += [-np.ones(obligation.size), np.ones(obligation.size)]
    # w_q - sum x_g
    n_q = len(layout.option_path_src)
    opt = np.flatnonzero(groups.is_option)
    rows += [n_z + np.arange(n_q), n_z + layout.option_path_of_group[opt]]
    cols += [layout.n_groups + n_z + np.arange(n_q), opt]
    vals += [np.ones(n_q), np.where(groups.is_sale[opt], 1.0, -1.0)]
    nodal = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_z + n_q, layout.n_columns),
    )
    if layout.formulation is not Formulation.ANGLE or balance is None:
        return nodal
    b_r, m_r = balance
    n_red = b_r.shape[0]
    bal = sp.hstack(
        [
            sp.csr_matrix((n_red, layout.n_groups)),
            -sp.csr_matrix(m_r)[:, layout.z_points],
            sp.csr_matrix((n_red, n_q)),
            b_r,
        ],
        format="csr",
    )
    return sp.vstack([nodal, bal], format="csr")


def constraint_rows(
    layout: Layout,
    groups: ProductGroups,
    sens: FloatArray,
    direction: IntArray,
    drop_tol: float,
    theta: sp.csr_matrix | None = None,
    use_theta: NDArray[np.bool_] | None = None,
) -> sp.csr_matrix:
    """LP coefficients of rows with point sensitivities ``sens`` (n_rows x n_points) and directions ``d``.

    ANGLE: rows with ``use_theta`` are written on the angles, ``d * theta[r]`` (``theta``: row flow per
    reduced bus angle, ``W Bf_r``), instead of on the point variables.
    """
    d = direction.astype(np.float64)[:, None]
    if layout.formulation is Formulation.DENSE:
        s = sens[:, groups.source] - sens[:, groups.sink]
        block = path_coefficients(d * s, groups.is_option[None, :], groups.is_sale[None, :])
    else:
        z_part = d * sens[:, layout.z_points]
        s_q = sens[:, layout.option_path_src] - sens[:, layout.option_path_snk]
        w_part = np.maximum(d * s_q, 0.0)
        if use_theta is not None:
            z_part[use_theta] = 0.0
        right = np.hstack([z_part, w_part])
        right[np.abs(right) < drop_tol] = 0.0
        blocks = [sp.csr_matrix((sens.shape[0], layout.n_groups)), sp.csr_matrix(right)]
        if layout.formulation is Formulation.ANGLE:
            if theta is None or use_theta is None:
                raise ValueError("the ANGLE formulation needs the rows' angle coefficients")
            t = sp.diags(np.where(use_theta, direction, 0).astype(np.float64)) @ theta
            t = sp.csr_matrix(t)
            t.data[np.abs(t.data) < drop_tol] = 0.0
            t.eliminate_zeros()
            blocks.append(t)
        return sp.hstack(blocks, format="csr")
    block[np.abs(block) < drop_tol] = 0.0
    return sp.csr_matrix(block)


def group_row_coefficients(
    groups: ProductGroups, sens: FloatArray, direction: IntArray, which: IntArray | None = None
) -> FloatArray:
    """Groups' MW-per-MW coefficients per row (options adverse only, sales negative):
    (n_rows x len(which or all groups))."""
    g = np.arange(len(groups)) if which is None else which
    d = direction.astype(np.float64)[:, None]
    s = d * (sens[:, groups.source[g]] - sens[:, groups.sink[g]])
    out: FloatArray = path_coefficients(s, groups.is_option[g][None, :], groups.is_sale[g][None, :])
    return out
