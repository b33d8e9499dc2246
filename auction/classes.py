"""Clear the period classes of one auction (on-peak, off-peak, ...) side by side, one process each.

The classes of an auction share the network and nothing else: each is its own LP
(:func:`auction.clearing.clear_auction`), so on a machine with two cores the two classes of a month
clear in about the time of the slower one. Each class runs in a worker process started with
``spawn`` (no state inherited from the caller: the solver's threads and caches are the worker's own),
builds its own grid and returns its :class:`~auction.clearing.AuctionResult` (without the final LP's
row sensitivities, :attr:`feasibility.result.ClearingResult.lp_rows`, which only the rounding uses and
which would cost hundreds of MB to send back). ``processes=1`` clears the classes one after the other
in the calling process, with the same results.

Progress events of every worker reach the caller's callback as ``(label, event)``, on a thread of the
calling process, in the order each worker emits them.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Literal

from auction.bids import Bid, HeldFtr, Offer
from auction.clearing import AuctionResult, RowKey, clear_auction
from feasibility.progress import ProgressEvent
from feasibility.result import ClearingOptions
from network.model import Contingency, Network, PeriodConditions

ClassProgress = Callable[[str, ProgressEvent], None]
"""Receives ``(class label, event)`` for every progress event of every class."""


@dataclass(frozen=True)
class ClassBook:
    """One period class of an auction: its label (``"onpeak"``), book, base model and period."""

    label: str
    bids: Sequence[Bid]
    offers: Sequence[Offer] = ()
    held: Sequence[HeldFtr] = ()
    conditions: PeriodConditions | None = None
    warm_start: Sequence[RowKey] = ()


def clear_classes(
    network: Network,
    books: Sequence[ClassBook],
    *,
    contingencies: Sequence[Contingency] | Literal["all"] | None = None,
    options: ClearingOptions | None = None,
    processes: int | None = None,
    progress: ClassProgress | None = None,
) -> dict[str, AuctionResult]:
    """Clear every class of ``books`` on ``network``; results by label, in the order of ``books``.

    ``processes``: worker processes (default: one per class, at most the machine's cores); 1 clears
    in this process. Errors of a class (bad bids, a bad network) are raised here as they would be by
    :func:`~auction.clearing.clear_auction`.
    """
    labels = [b.label for b in books]
    if len(set(labels)) != len(labels):
        raise ValueError(f"class labels must be unique, got {labels}")
    n = processes if processes is not None else min(len(books), os.cpu_count() or 1)
    if n < 1:
        raise ValueError(f"processes must be >= 1, got {n}")
    if n == 1 or len(books) <= 1:
        return {
            b.label: _clear_one(network, b, contingencies, options, _bind(progress, b.label)) for b in books
        }
    ctx = multiprocessing.get_context("spawn")
    events: multiprocessing.Queue[tuple[str, ProgressEvent] | None] = ctx.Queue()
    relay = threading.Thread(target=_relay, args=(events, progress), daemon=True)
    relay.start()
    try:
        with ProcessPoolExecutor(
            max_workers=min(n, len(books)),
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(events if progress is not None else None,),
        ) as pool:
            futures = {b.label: pool.submit(_worker, network, b, contingencies, options) for b in books}
            return {label: f.result() for label, f in futures.items()}
    finally:
        events.put(None)
        relay.join()


def _bind(progress: ClassProgress | None, label: str) -> Callable[[ProgressEvent], None] | None:
    if progress is None:
        return None

    def emit(event: ProgressEvent) -> None:
        progress(label, event)

    return emit


def _clear_one(
    network: Network,
    book: ClassBook,
    contingencies: Sequence[Contingency] | Literal["all"] | None,
    options: ClearingOptions | None,
    progress: Callable[[ProgressEvent], None] | None,
) -> AuctionResult:
    return clear_auction(
        network,
        book.bids,
        book.offers,
        book.held,
        conditions=book.conditions,
        contingencies=contingencies,
        options=options,
        progress=progress,
        warm_start=book.warm_start,
    )


def _relay(
    events: multiprocessing.Queue[tuple[str, ProgressEvent] | None], progress: ClassProgress | None
) -> None:
    while True:
        try:
            item = events.get()
        except (EOFError, OSError, queue.Empty):  # the queue was torn down
            return
        if item is None:
            return
        if progress is not None:
            progress(*item)


_worker_events: multiprocessing.Queue[tuple[str, ProgressEvent] | None] | None = None


def _init_worker(events: multiprocessing.Queue[tuple[str, ProgressEvent] | None] | None) -> None:
    global _worker_events
    _worker_events = events


def _worker(
    network: Network,
    book: ClassBook,
    contingencies: Sequence[Contingency] | Literal["all"] | None,
    options: ClearingOptions | None,
) -> AuctionResult:
    events = _worker_events
    emit = None
    if events is not None:
        label = book.label

        def emit(event: ProgressEvent) -> None:
            events.put((label, event))

    result = _clear_one(network, book, contingencies, options, emit)
    return dataclasses.replace(result, clearing=dataclasses.replace(result.clearing, lp_rows=None))


__all__: Sequence[str] = ("ClassBook", "ClassProgress", "clear_classes")
