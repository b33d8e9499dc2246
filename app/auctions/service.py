"""Rules for monthly auctions: creation by the OI, the window (OA 7.1.2) and the state machine."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session

from app.auctions.contab_upload import ContabFile, read_contab_upload
from app.auctions.lifecycle import (
    ALLOWED_TRANSITIONS,
    AuctionAction,
    AuctionStatus,
    PostingState,
    allowed_actions,
    bid_refusal,
    close_refusal,
    effective_status,
    next_change_at,
    posting_state,
    transition_refusal,
    window_is_open,
)
from app.auctions.repository import AuctionRepository
from app.auctions.tables import Auction, ClassAuction
from app.audit.service import record_audit
from app.errors import (
    AlreadyExists,
    BidWindowClosed,
    FieldError,
    InvalidStateTransition,
    NotFound,
    ValidationFailed,
)
from app.networks.outages import check_contingencies, check_period_conditions
from app.networks.repository import NetworkRepository
from app.paging import Pagination, check_one_way, decode_cursor, encode_cursor
from app.participants.service import Caller
from market_calendar import PeriodClass, bid_window, hour_count, posting_deadline

logger = logging.getLogger(__name__)


def warn_posting_due(auction_id: int, state: PostingState, deadline: datetime, now: datetime) -> None:
    """Log that results are due soon or overdue (each time such an auction is read)."""
    left = (deadline - now).total_seconds() / 3600
    logger.warning(
        "auction %s: results %s; the OA 7.3.7 posting deadline is %s (%+.1f h at market time %s)",
        auction_id,
        "are overdue" if state is PostingState.OVERDUE else "are due soon",
        deadline.isoformat(),
        left,
        now.isoformat(),
    )


@dataclass(frozen=True, slots=True)
class AuctionView:
    auction: Auction
    status: AuctionStatus
    classes: tuple[ClassAuction, ...]
    market_time: datetime
    allowed: tuple[AuctionAction, ...]
    next_change_at: datetime | None
    posting_deadline: datetime
    posting_state: PostingState


@dataclass(frozen=True, slots=True)
class BiddingAuction:
    """An auction whose bid window is open: the row, its class auctions by class, its network's hash."""

    auction: Auction
    classes: dict[str, ClassAuction]
    network_hash: str


class AuctionService:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.repo = AuctionRepository(session)

    def get_view(self, auction: Auction, now: datetime) -> AuctionView:
        return self._view(auction, now)

    def _view(self, auction: Auction, now: datetime) -> AuctionView:
        assert auction.id is not None
        stored = AuctionStatus(auction.status)
        status = effective_status(stored, auction.closes_at, now)
        deadline = posting_deadline(auction.closes_at)
        state = posting_state(status, auction.closes_at, deadline, auction.posted_at, now)
        if state in (PostingState.DUE_SOON, PostingState.OVERDUE):
            warn_posting_due(auction.id, state, deadline, now)
        return AuctionView(
            auction,
            status,
            tuple(self.repo.classes(auction.id)),
            now,
            allowed_actions(stored, auction.opens_at, auction.closes_at, now),
            next_change_at(stored, auction.opens_at, auction.closes_at, now),
            deadline,
            state,
        )

    def create(
        self,
        *,
        year: int,
        month: int,
        network_version_id: int,
        scheduled_outages: Sequence[str],
        loop_flow_mw: Mapping[str, Decimal],
        now: datetime,
        contingency_set: str = "network",
        contingencies: Sequence[tuple[str, Sequence[str]]] = (),
        contab: ContabFile | None = None,
    ) -> AuctionView:
        """Create the month's auction (draft) with its on-peak and off-peak class auctions (OA 7.3.4).

        ``contingency_set`` (``network``, ``none``, ``all_n_1``, ``list``) chooses what the clearing checks;
        ``contingencies`` are the ``(id, branch ids)`` of a ``list``; ``contab``, a change table read
        for the version, gives the ``list`` instead (and its name and digest are kept)."""
        if contab is not None:
            contingency_set, contingencies = "list", contab.contingencies
        version = NetworkRepository(self.session).get(network_version_id)
        if version is None:
            raise ValidationFailed(
                f"network version {network_version_id} does not exist",
                errors=[FieldError("body.network_version_id", "unknown network version")],
            )
        if self.repo.by_month(year, month) is not None:
            raise AlreadyExists(f"the auction for {year}-{month:02d} already exists")
        opens_at, closes_at = bid_window(year, month)
        if now >= closes_at:
            raise BidWindowClosed(
                f"the OA 7.1.2 window for {year}-{month:02d} closed at {closes_at.isoformat()}; "
                "an auction can no longer be held for that month"
            )
        check_period_conditions(version.document, scheduled_outages, loop_flow_mw)
        check_contingencies(version.document, contingency_set, contingencies)
        auction = Auction(
            year=year,
            month=month,
            network_version_id=network_version_id,
            status=AuctionStatus.DRAFT.value,
            opens_at=opens_at,
            closes_at=closes_at,
            scheduled_outages=json.dumps(list(scheduled_outages)),
            loop_flow=json.dumps({k: str(v) for k, v in loop_flow_mw.items()}, sort_keys=True),
            contingency_set=contingency_set,
            contingencies=json.dumps([[cid, list(branches)] for cid, branches in contingencies]),
            created_at=now,
        )
        _keep_contab(auction, contab)
        classes = [
            ClassAuction(auction_id=0, period_class=cls.value, hours=hour_count(year, month, cls))
            for cls in (PeriodClass.ON_PEAK, PeriodClass.OFF_PEAK)
        ]
        created = self.repo.add(auction, classes)
        if contab is not None:
            self._audit_contingencies(created, now, contab, "system")
        return self._view(created, now)

    def set_contingencies(
        self,
        auction_id: int,
        now: datetime,
        *,
        contingency_set: str,
        contingencies: Sequence[tuple[str, Sequence[str]]] = (),
        actor: str = "system",
    ) -> AuctionView:
        """Replace a draft auction's contingency set with a named set or a list."""
        auction, document = self._editable(auction_id, now)
        check_contingencies(document, contingency_set, contingencies)
        return self._store_contingencies(auction, now, contingency_set, contingencies, None, actor)

    def set_contab(
        self, auction_id: int, now: datetime, *, name: str | None, data: bytes, media_type: str, actor: str
    ) -> AuctionView:
        """Replace a draft auction's contingency set with a MATPOWER change table's branch outages."""
        auction, document = self._editable(auction_id, now)
        contab = read_contab_upload(document, name, data, media_type)
        check_contingencies(document, "list", contab.contingencies)
        return self._store_contingencies(auction, now, "list", contab.contingencies, contab, actor)

    def _editable(self, auction_id: int, now: datetime) -> tuple[Auction, str]:
        """The locked draft auction and its network document. Only a draft may change its contingency
        set: from opening on, participants bid against the model the auction announced (409 naming the
        status otherwise)."""
        auction = self.repo.lock(auction_id)
        if auction is None:
            raise NotFound(f"auction {auction_id} not found")
        stored = AuctionStatus(auction.status)
        if stored is not AuctionStatus.DRAFT:
            shown = effective_status(stored, auction.closes_at, now)
            raise InvalidStateTransition(
                f"auction {auction_id} is {shown.value}: its contingency set can be changed only while it "
                "is a draft (before it is opened)",
                extensions={"current_status": shown.value},
            )
        version = NetworkRepository(self.session).get(auction.network_version_id)
        assert version is not None  # a foreign key
        return auction, version.document

    def _store_contingencies(
        self,
        auction: Auction,
        now: datetime,
        contingency_set: str,
        contingencies: Sequence[tuple[str, Sequence[str]]],
        contab: ContabFile | None,
        actor: str,
    ) -> AuctionView:
        auction.contingency_set = contingency_set
        auction.contingencies = json.dumps([[cid, list(branches)] for cid, branches in contingencies])
        _keep_contab(auction, contab)
        saved = self.repo.save(auction)
        self._audit_contingencies(saved, now, contab, actor)
        return self._view(saved, now)

    def _audit_contingencies(
        self, auction: Auction, now: datetime, contab: ContabFile | None, actor: str
    ) -> None:
        record_audit(
            self.session,
            actor,
            "auction.contingencies_set",
            {
                "auction_id": auction.id,
                "contingency_set": auction.contingency_set,
                "contingencies": len(json.loads(auction.contingencies)),
                "contab_file": None if contab is None else contab.name,
                "contab_sha256": None if contab is None else contab.sha256,
                "contab_generator_outages": 0 if contab is None else contab.generator_outages,
            },
            at=now,
        )

    def get_readable(self, caller: Caller, auction_id: int, now: datetime) -> AuctionView:
        auction = self.repo.readable(caller, auction_id)
        if auction is None:
            raise NotFound(f"auction {auction_id} not found")
        return self._view(auction, now)

    def list_readable(
        self,
        caller: Caller,
        *,
        limit: int,
        offset: int,
        now: datetime,
        year: int | None = None,
        status: AuctionStatus | None = None,
    ) -> tuple[list[AuctionView], int]:
        """The auctions the caller may read, by month; ``status`` filters on the effective status at
        ``now`` (the status the API shows: an open auction whose window has passed is closed)."""
        if status is None:
            rows, total = self.repo.list_readable(caller, limit=limit, offset=offset, year=year)
            return [self._view(a, now) for a in rows], total
        # The effective status depends on the clock, so it is filtered on the views; a market holds
        # one auction a month, so reading the readable ones whole stays small.
        every, _ = self.repo.list_readable(caller, limit=1_000_000, offset=0, year=year)
        views = [v for v in (self._view(a, now) for a in every) if v.status is status]
        return views[offset : offset + limit], len(views)

    def page_readable(
        self,
        caller: Caller,
        page: Pagination,
        *,
        now: datetime,
        year: int | None = None,
        status: AuctionStatus | None = None,
    ) -> tuple[list[AuctionView], int, str | None]:
        """A page of the auctions the caller may read by month (views, total, next cursor); ``status``
        filters on the effective status at ``now``, as :meth:`list_readable`."""
        if status is None:
            found = self.repo.page_readable(caller, page, year=year)
            return [self._view(a, now) for (a,) in found.rows], found.total, found.next_cursor
        # The effective status depends on the clock: filtered on the views, then paged by the same key.
        every, _ = self.repo.list_readable(caller, limit=1_000_000, offset=0, year=year)
        pairs = [(a.year * 100 + a.month, v) for a in every if (v := self._view(a, now)).status is status]
        keys = [k for k, _ in pairs]
        views = [v for _, v in pairs]
        start = page.offset
        if page.cursor is not None:
            check_one_way(page)
            after = decode_cursor("auctions", page.cursor)
            start = next((i for i, k in enumerate(keys) if k > after), len(keys))
        end = start + page.limit
        next_cursor = encode_cursor("auctions", keys[end - 1]) if end < len(keys) else None
        return views[start:end], len(views), next_cursor

    def _transition(self, auction_id: int, target: AuctionStatus, now: datetime) -> Auction:
        auction = self.repo.lock(auction_id)
        if auction is None:
            raise NotFound(f"auction {auction_id} not found")
        current = AuctionStatus(auction.status)
        if target not in ALLOWED_TRANSITIONS[current]:
            raise InvalidStateTransition(
                transition_refusal(auction_id, current, target, auction.closes_at, now),
                extensions={
                    "current_status": effective_status(current, auction.closes_at, now).value,
                    "requested_status": target.value,
                },
            )
        return auction

    def open(self, auction_id: int, now: datetime, *, actor: str = "system") -> AuctionView:
        """draft -> open. Allowed until the window closes; bids count only from ``opens_at``."""
        auction = self._transition(auction_id, AuctionStatus.OPEN, now)
        if now >= auction.closes_at:
            raise BidWindowClosed(
                f"the window of auction {auction_id} closed at {auction.closes_at.isoformat()}"
            )
        auction.status = AuctionStatus.OPEN.value
        auction.opened_at = now
        saved = self.repo.save(auction)
        record_audit(
            self.session,
            actor,
            "window.opened",
            {"auction_id": auction_id, "opens_at": auction.opens_at, "closes_at": auction.closes_at},
            at=now,
        )
        return self._view(saved, now)

    def begin_close(self, auction_id: int, now: datetime) -> Auction:
        """open -> closed on the locked row, not yet saved; the clock decides: not before ``closes_at``
        (OA 7.1.2). :func:`app.bid_book.close_window` seals the book and saves."""
        auction = self._transition(auction_id, AuctionStatus.CLOSED, now)
        if now < auction.closes_at:
            raise InvalidStateTransition(
                close_refusal(auction_id, auction.opens_at, auction.closes_at, now),
                extensions={
                    "opens_at": auction.opens_at.isoformat(),
                    "closes_at": auction.closes_at.isoformat(),
                    "market_time": now.isoformat(),
                },
            )
        auction.status = AuctionStatus.CLOSED.value
        auction.closed_at = now
        return auction

    def save_view(self, auction: Auction, now: datetime) -> AuctionView:
        """Save the auction and return its view at ``now``."""
        return self._view(self.repo.save(auction), now)

    def mark(self, auction: Auction, target: AuctionStatus, now: datetime) -> Auction:
        """Move a locked auction to ``target`` (used by the clearing and posting flows)."""
        current = AuctionStatus(auction.status)
        if target not in ALLOWED_TRANSITIONS[current]:
            assert auction.id is not None
            raise InvalidStateTransition(
                transition_refusal(auction.id, current, target, auction.closes_at, now),
                extensions={
                    "current_status": effective_status(current, auction.closes_at, now).value,
                    "requested_status": target.value,
                },
            )
        auction.status = target.value
        if target is AuctionStatus.CLEARED:
            auction.cleared_at = now
        elif target is AuctionStatus.POSTED:
            auction.posted_at = now
        elif target is AuctionStatus.CLOSED:
            auction.closed_at = now
        return self.repo.save(auction)

    def for_bidding(self, caller: Caller, auction_id: int, now: datetime) -> BiddingAuction:
        """The auction, its class auctions and network hash, if its window is open at ``now`` (read inside
        the bid's transaction, the auction row share-locked against a concurrent close)."""
        found = self.repo.for_bidding(caller, auction_id)
        if found is None:
            raise NotFound(f"auction {auction_id} not found")
        auction, classes, network_hash = found
        if not window_is_open(AuctionStatus(auction.status), auction.opens_at, auction.closes_at, now):
            stored = AuctionStatus(auction.status)
            raise BidWindowClosed(
                bid_refusal(auction_id, stored, auction.opens_at, auction.closes_at, now),
                extensions={
                    "opens_at": auction.opens_at.isoformat(),
                    "closes_at": auction.closes_at.isoformat(),
                    "market_time": now.isoformat(),
                },
            )
        return BiddingAuction(auction, {c.period_class: c for c in classes}, network_hash)


def _keep_contab(auction: Auction, contab: ContabFile | None) -> None:
    """Record (or clear) the change table file a ``list`` set was read from."""
    auction.contab_name = None if contab is None else contab.name
    auction.contab_sha256 = None if contab is None else contab.sha256
    auction.contab_generator_outages = 0 if contab is None else contab.generator_outages
