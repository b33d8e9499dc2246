"""A seeded generator of realistic FTR bid sets for the clearing benchmark.

Points: generator buses, load buses and a few hubs (load-weighted sets of ~20 load buses each).
Sources are drawn mostly from generator buses and hubs, sinks mostly from load buses and hubs; MW
are log-uniform in 0.1-200 MW (to 0.1 MW). Prices follow a *path value model* so that constraints
bind: a hidden set of congested branches with shadow values ``m_k`` ($/MW) gives expected nodal values
``pi = - sum_k m_k PTDF_k``; a bid on ``s -> t`` is priced ``(pi_t - pi_s) x U(0.5, 1.5) + N(0, 0.5)``.

The *hard* book (:func:`generate_hard_bids`, ``clearing_bench --book hard``) is what a user tried as a
stress test: 400 hidden congested branches with larger shadow values (so hundreds of base-case rows
bind), a third of the bids drawn on reversed paths (load or hub to generator) whose value is negative,
priced as the counterflow they offer (a negative price: paid to take the path), and larger MW.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from auction.bids import Bid
from feasibility.network_grid import NetworkGrid
from network.model import Network, PointKind, PricingPoint


@dataclass(frozen=True)
class BidSet:
    network: Network
    bids: tuple[Bid, ...]


def with_hubs(net: Network, n_hubs: int, seed: int) -> Network:
    """``net`` plus ``n_hubs`` hubs ``HUB1..`` of ~20 load buses each, weighted by demand."""
    rng = np.random.default_rng(seed)
    loads = np.flatnonzero(net.bus_demand_mw > 0)
    hubs = []
    for h in range(n_hubs):
        members = np.sort(rng.choice(loads, size=min(20, len(loads)), replace=False))
        w = net.bus_demand_mw[members] / net.bus_demand_mw[members].sum()
        w = np.round(w, 12)
        w[-1] = 1.0 - w[:-1].sum()
        hubs.append(
            PricingPoint(
                f"HUB{h + 1}",
                tuple(net.bus_ids[i] for i in members),
                tuple(float(x) for x in w),
                PointKind.HUB,
            )
        )
    return dataclasses.replace(net, pricing_points=tuple(net.pricing_points) + tuple(hubs))


BOOKS = ("standard", "hard")
"""Bid books of the benchmark: :func:`generate_bids` and :func:`generate_hard_bids`."""


def generate_book(net: Network, n_bids: int, seed: int, book: str = "standard") -> BidSet:
    """The named book (:data:`BOOKS`)."""
    if book == "standard":
        return generate_bids(net, n_bids, seed)
    if book == "hard":
        return generate_hard_bids(net, n_bids, seed)
    raise ValueError(f"unknown bid book {book!r}: expected one of {', '.join(BOOKS)}")


def generate_hard_bids(net: Network, n_bids: int, seed: int = 0) -> BidSet:
    """The hard book (module doc): congested base case, a third of the bids negative-priced counterflow."""
    return generate_bids(
        net,
        n_bids,
        seed,
        n_congested=400,
        shadow_range=(1.0, 10.0),
        counterflow_share=1.0 / 3.0,
        mw_range=(0.1, 400.0),
    )


def generate_bids(
    net: Network,
    n_bids: int,
    seed: int = 0,
    *,
    n_hubs: int = 8,
    n_congested: int = 40,
    shadow_range: tuple[float, float] = (0.5, 5.0),
    counterflow_share: float = 0.0,
    mw_range: tuple[float, float] = (0.1, 200.0),
) -> BidSet:
    """``n_bids`` bids on ``net`` (with hubs added); same seed, same bids.

    ``counterflow_share``: share of bids drawn on reversed paths (sources mostly load buses and hubs,
    sinks mostly generator buses and hubs), whose expected value is mostly negative: their prices follow
    the same path value model, so they are mostly negative (paid to take the counterflow)."""
    rng = np.random.default_rng(seed)
    net = with_hubs(net, n_hubs, seed)
    grid = NetworkGrid.build(net, None, ())
    gen_buses = sorted({g.bus_id for g in net.generators if g.in_service})
    load_buses = [net.bus_ids[i] for i in np.flatnonzero(net.bus_demand_mw > 0)]
    hubs = [p.id for p in net.pricing_points if p.kind is PointKind.HUB]
    points = sorted(set(gen_buses) | set(load_buses) | set(hubs))
    index = {p: i for i, p in enumerate(points)}
    # hidden congestion: shadow values on random monitored branches, base case
    n_cons = len(grid.constraint_ids)
    congested = rng.choice(n_cons, size=min(n_congested, n_cons), replace=False)
    m = rng.uniform(*shadow_range, size=len(congested)) * rng.choice([-1.0, 1.0], size=len(congested))
    sens = grid.sensitivities(congested, np.full(len(congested), -1), grid.injection_matrix(points))
    pi = -(m @ sens)

    def draw(pool_a: list[str], pool_b: list[str], p_a: float, size: int) -> np.ndarray:
        pick_a = rng.random(size) < p_a
        a = rng.choice(len(pool_a), size=size)
        b = rng.choice(len(pool_b), size=size)
        return np.where(
            pick_a, np.array([index[pool_a[i]] for i in a]), np.array([index[pool_b[i]] for i in b])
        )

    src = draw(gen_buses, hubs, 0.8, n_bids)
    snk = draw(load_buses, hubs, 0.8, n_bids)
    if counterflow_share > 0.0:
        rev = rng.random(n_bids) < counterflow_share
        n_rev = int(rev.sum())
        src[rev] = draw(load_buses, hubs, 0.8, n_rev)
        snk[rev] = draw(gen_buses, hubs, 0.8, n_rev)
    same = src == snk
    snk[same] = (snk[same] + 1) % len(points)
    lo, hi = mw_range
    mw = np.round(np.exp(rng.uniform(np.log(lo), np.log(hi), size=n_bids)), 1)
    mw = np.maximum(mw, 0.1)
    price = (pi[snk] - pi[src]) * rng.uniform(0.5, 1.5, size=n_bids) + rng.normal(0.0, 0.5, size=n_bids)
    price = np.round(price, 2)
    bids = tuple(
        Bid(f"B{j:06d}", f"P{j % 97:02d}", points[src[j]], points[snk[j]], float(mw[j]), float(price[j]))
        for j in range(n_bids)
    )
    return BidSet(net, bids)


def bid_injection_density(bids: BidSet) -> float:
    """Share of distinct points among bid endpoints (how much the nodal formulation compresses rows)."""
    pts = {b.source for b in bids.bids} | {b.sink for b in bids.bids}
    return len(pts) / max(1, len(bids.bids))
