"""Rules for bids and offers (OA 7.3.5): window, validation, holdings, credit, idempotency.

Every change to a participant's book runs under the participant's lock (see
:meth:`app.participants.repository.ParticipantRepository.lock`) and reads the server clock *after*
taking it: the instant that decides whether the window is open is the instant the book is
changed, so concurrent submissions can neither overspend the credit limit jointly nor slip in
after the close. The same idempotency key with the same body returns the first bid; with a
different body it is refused. A key belongs to its route: a key used for a single bid is refused
for a bulk upload and the other way round (the keys cannot contain ``#``, which separates an
upload's key from its row number, so the two never overlap in the table).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlmodel import Session

from app.auctions.lifecycle import AuctionStatus
from app.auctions.repository import AuctionRepository
from app.auctions.service import AuctionService, BiddingAuction
from app.auctions.tables import ClassAuction
from app.audit.service import actor_of, append_to_locked_sub_chain, record_audit
from app.bid_fills import BidFill
from app.bids.credit import Side, order_credit_cents, orders_credit_cents
from app.bids.errors import BidNotActive
from app.bids.orders import OrderSpec
from app.bids.repository import ACTIVE, WITHDRAWN, BidFilter, BidRepository
from app.bids.tables import Bid
from app.bids.upload import CSV_COLUMNS, Batch, SpooledUpload, read_batches
from app.clock import Clock
from app.db import is_postgresql
from app.errors import (
    FieldError,
    IdempotencyKeyConflict,
    IdempotencyKeyReused,
    InsufficientCredit,
    InsufficientHolding,
    NotFound,
    ServiceError,
    ValidationFailed,
)
from app.holdings.ledger_mapping import holder_name, key_of
from app.holdings.service import HoldingService
from app.networks.point_sets import POINT_SETS
from app.paging import Pagination
from app.participants.repository import ParticipantRepository
from app.participants.roles import READ_ALL_ROLES
from app.participants.service import Caller
from app.units import from_cents
from auction.holdings import OfferCheckStatus, OfferClaim, check_offer
from auction.ledger_time import DeliveryMonth

_OTHER_ROUTE = (
    "idempotency key {key!r} was already used for {route}; a key is scoped to the route it was first used on"
)


@dataclass(frozen=True, slots=True)
class BidPage:
    rows: list[tuple[Bid, BidFill | None]]
    total: int
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class CreatedBid:
    bid: Bid
    replayed: bool


def fills_visible(caller: Caller, auction_status: str) -> bool:
    """OA 7.3.7: nothing of a clearing reaches participants before posting (the OI and auditors see it)."""
    return caller.role in READ_ALL_ROLES or auction_status == AuctionStatus.POSTED.value


class BidService:
    def __init__(self, session: Session, *, credit_floor_cents_per_mwh: int) -> None:
        self.session = session
        self.repo = BidRepository(session)
        self.floor = credit_floor_cents_per_mwh

    # -- reads -------------------------------------------------------------------------------

    def get(self, caller: Caller, bid_id: int) -> tuple[Bid, BidFill | None]:
        """A readable bid and its fill; a participant sees the fill only once the results are posted."""
        bid = self.repo.readable(caller, bid_id)
        if bid is None:
            raise NotFound(f"bid {bid_id} not found")
        assert bid.id is not None
        auction = AuctionRepository(self.session).get(bid.auction_id)
        assert auction is not None
        fill = self.repo.fill(bid.id) if fills_visible(caller, auction.status) else None
        return bid, fill

    def list_for_auction(
        self,
        caller: Caller,
        auction_id: int,
        *,
        page: Pagination,
        now: datetime,
        filters: BidFilter | None = None,
    ) -> BidPage:
        """The readable bids of an auction with their fills (a participant's only once posted)."""
        view = AuctionService(self.session).get_readable(caller, auction_id, now)
        found = self.repo.list_readable(caller, auction_id, filters or BidFilter(), page)
        visible = fills_visible(caller, view.status.value)
        rows = [(bid, fill if visible else None) for bid, fill in found.rows]
        return BidPage(rows, found.total, found.next_cursor)

    def all_for_auction(
        self, caller: Caller, auction_id: int, *, now: datetime
    ) -> list[tuple[Bid, BidFill | None]]:
        """Every bid the caller may read in an auction (for the CSV export), in pages of 1000."""
        rows: list[tuple[Bid, BidFill | None]] = []
        cursor: str | None = None
        while True:
            found = self.list_for_auction(caller, auction_id, page=Pagination(1000, cursor=cursor), now=now)
            rows.extend(found.rows)
            cursor = found.next_cursor
            if cursor is None:
                return rows

    # -- writes ------------------------------------------------------------------------------

    def create(
        self,
        caller: Caller,
        auction_id: int,
        spec: OrderSpec,
        *,
        idempotency_key: str | None,
        request_hash: str,
        clock: Clock,
    ) -> CreatedBid:
        now = clock.now()
        # The auction first (share-locked: a close waits for this bid), outside the participant's lock,
        # so that the lock is held for as few statements as possible. A refusal waits for the
        # idempotency check when a key is given: a retry of a stored bid is answered as before.
        refused: ServiceError | None = None
        try:
            bidding: BiddingAuction | None = AuctionService(self.session).for_bidding(caller, auction_id, now)
        except ServiceError as exc:
            if idempotency_key is None:
                raise
            bidding, refused = None, exc
        chain = actor_of(caller.participant_id)
        limit, head = self._lock_participant_and_chain(caller, chain)
        if idempotency_key is not None:
            existing = self.repo.by_idempotency_key(caller.participant_id, idempotency_key)
            if existing is not None:
                if existing.request_hash != request_hash or existing.auction_id != auction_id:
                    raise IdempotencyKeyReused(
                        f"idempotency key {idempotency_key!r} was used for bid {existing.id} "
                        "with a different request"
                    )
                return CreatedBid(existing, replayed=True)
            if self.repo.by_idempotency_key(caller.participant_id, f"{idempotency_key}#1") is not None:
                raise IdempotencyKeyReused(_OTHER_ROUTE.format(key=idempotency_key, route="a bulk upload"))
        if refused is not None:
            raise refused
        assert bidding is not None
        credit = self._validate(caller, bidding, [(None, spec)])[0]
        values = self._bid_values(caller, bidding, spec, credit, now)
        if idempotency_key is not None:
            values["idempotency_key"] = idempotency_key
            values["request_hash"] = request_hash
        bid_id = self.repo.reserve_and_insert(values, limit) if head is not None else None
        if bid_id is None:  # SQLite, a first order, or a refusal (raised here with the totals)
            self._reserve_credit(caller, limit, credit)
            bid_id = self.repo.insert_one(values)
        stored = Bid(id=bid_id, **values)
        record = _audit_record(stored)
        if head is not None:
            append_to_locked_sub_chain(self.session, chain, head, chain, "bid.created", record, at=now)
        else:
            record_audit(self.session, chain, "bid.created", record, at=now)
        return CreatedBid(stored, replayed=False)

    def bulk_create(
        self,
        caller: Caller,
        auction_id: int,
        upload: SpooledUpload,
        clock: Clock,
        *,
        max_rows: int,
        idempotency_key: str | None = None,
    ) -> tuple[list[int], bool]:
        """All rows or none; every bad row is reported (row, field, reason), unknown points included.

        The upload is read in batches (:func:`app.bids.upload.read_batches`); each clean batch is
        inserted at once (COPY on PostgreSQL) inside the request's transaction, and the first
        problem stops the inserts while the remaining batches are still checked, so the report
        lists every bad row and the transaction is rolled back. The credit check runs once, on
        the whole upload, before the transaction commits.

        With an idempotency key, row ``n`` is stored under ``<key>#<n>``: a retry of the same upload
        returns the same bids (``True``: replayed); another upload under the key is refused (422);
        a key whose ``<key>#<n>`` names are taken by other bids is a conflict (409).
        """
        limit = self._lock_participant(caller)
        if idempotency_key is not None:
            first = self.repo.by_idempotency_key(caller.participant_id, f"{idempotency_key}#1")
            if first is not None:
                if first.request_hash != upload.request_hash or first.auction_id != auction_id:
                    raise IdempotencyKeyReused(
                        f"idempotency key {idempotency_key!r} was used for another upload"
                    )
                return self.repo.ids_with_key_prefix(caller.participant_id, f"{idempotency_key}#"), True
            if self.repo.by_idempotency_key(caller.participant_id, idempotency_key) is not None:
                raise IdempotencyKeyReused(_OTHER_ROUTE.format(key=idempotency_key, route="a single bid"))
            if self.repo.key_prefix_taken(caller.participant_id, f"{idempotency_key}#"):
                raise IdempotencyKeyConflict(
                    f"idempotency key {idempotency_key!r} clashes with the keys of earlier bids "
                    f"(named {idempotency_key!r}#<n>); choose another key"
                )
        now = clock.now()
        bidding = AuctionService(self.session).for_bidding(caller, auction_id, now)
        intake = _BulkIntake(self, caller, bidding, now, idempotency_key, upload.request_hash)
        for batch in read_batches(upload, max_rows):
            intake.take(batch)
        intake.raise_problems()
        self._reserve_credit(caller, limit, intake.credit_cents)
        record_audit(
            self.session,
            actor_of(caller.participant_id),
            "bid.created",
            {
                "auction_id": auction_id,
                "bulk": True,
                "count": len(intake.ids),
                "first_bid_id": intake.ids[0] if intake.ids else None,
                "last_bid_id": intake.ids[-1] if intake.ids else None,
                "rows_hash": intake.rows_digest.hexdigest(),
            },
            at=now,
        )
        return intake.ids, False

    def update(
        self, caller: Caller, bid_id: int, *, mw_tenths: int | None, price_cents: int | None, clock: Clock
    ) -> tuple[Bid, BidFill | None]:
        limit = self._lock_participant(caller)
        bid = self._owned_active(caller, bid_id)
        now = clock.now()
        bidding = AuctionService(self.session).for_bidding(caller, bid.auction_id, now)
        spec = OrderSpec(
            side=Side(bid.side),
            period_class=bid.period_class,
            source=bid.source,
            sink=bid.sink,
            hedge=bid.hedge,
            mw_tenths=mw_tenths if mw_tenths is not None else bid.mw_tenths,
            price_cents=price_cents if price_cents is not None else bid.price_cents,
        )
        if spec.hedge == "option" and spec.price_cents < 0:
            raise ValidationFailed(
                "an option's price must be >= 0", errors=[FieldError("body.price", "must be >= 0")]
            )
        credits = self._validate(caller, bidding, [(None, spec)], excluding_bid=bid.id)
        self._reserve_credit(caller, limit, credits[0], released_cents=bid.credit_cents)
        before = _audit_record(bid)
        bid.mw_tenths = spec.mw_tenths
        bid.price_cents = spec.price_cents
        bid.credit_cents = credits[0]
        bid.updated_at = now
        saved = self.repo.save(bid)
        record_audit(
            self.session,
            actor_of(caller.participant_id),
            "bid.modified",
            {"before": before, "after": _audit_record(saved)},
            at=now,
        )
        return saved, None

    def withdraw(self, caller: Caller, bid_id: int, clock: Clock) -> tuple[Bid, BidFill | None]:
        self._lock_participant(caller)
        bid = self._owned_active(caller, bid_id)
        now = clock.now()
        AuctionService(self.session).for_bidding(caller, bid.auction_id, now)
        bid.status = WITHDRAWN
        bid.updated_at = now
        saved = self.repo.save(bid)
        self.repo.add_credit(caller.participant_id, -bid.credit_cents)
        record_audit(
            self.session,
            actor_of(caller.participant_id),
            "bid.withdrawn",
            {"bid_id": saved.id, "auction_id": saved.auction_id},
            at=now,
        )
        return saved, None

    # -- steps -------------------------------------------------------------------------------

    def _lock_participant_and_chain(self, caller: Caller, chain: str) -> tuple[int, tuple[int, str] | None]:
        """:meth:`_lock_participant`, on PostgreSQL with the head of the participant's audit sub-chain
        locked and read in the same statement (``None``: on SQLite, or the chain's first link; then
        :func:`record_audit` locks the head itself)."""
        if is_postgresql(self.session):
            found = self.repo.lock_with_sub_head(caller.participant_id, chain)
            if found is not None:
                return found[0], (found[1], found[2])
        return self._lock_participant(caller), None

    def _lock_participant(self, caller: Caller) -> int:
        """Take the participant's lock (the first statement of every change to its book); its credit limit."""
        limit = ParticipantRepository(self.session).lock_credit_limit(caller.participant_id)
        if limit is None:
            raise NotFound(f"participant {caller.participant_id} not found")
        return limit

    def _owned_active(self, caller: Caller, bid_id: int) -> Bid:
        bid = self.repo.owned(caller, bid_id)
        if bid is None:
            raise NotFound(f"bid {bid_id} not found")
        if bid.status != ACTIVE:
            raise BidNotActive(
                f"bid {bid_id} is {bid.status}: only an active bid can be changed or withdrawn",
                extensions={"bid_status": bid.status},
            )
        return bid

    @staticmethod
    def _bid_values(
        caller: Caller, bidding: BiddingAuction, spec: OrderSpec, credit: int, now: datetime
    ) -> dict[str, Any]:
        """The column values of a new bid (a plain dict: inserts skip the ORM's unit of work)."""
        assert bidding.auction.id is not None
        class_id = bidding.classes[spec.period_class].id
        assert class_id is not None
        return {
            "participant_id": caller.participant_id,
            "auction_id": bidding.auction.id,
            "class_auction_id": class_id,
            "period_class": spec.period_class,
            "side": spec.side.value,
            "source": spec.source,
            "sink": spec.sink,
            "hedge": spec.hedge,
            "mw_tenths": spec.mw_tenths,
            "price_cents": spec.price_cents,
            "status": ACTIVE,
            "credit_cents": credit,
            "idempotency_key": None,
            "request_hash": None,
            "created_at": now,
            "updated_at": now,
        }

    def _validate(
        self,
        caller: Caller,
        bidding: BiddingAuction,
        rows: Sequence[tuple[int | None, OrderSpec]],
        *,
        excluding_bid: int | None = None,
    ) -> list[int]:
        """Check points and holdings for every row; return each order's credit in cents."""
        auction, classes = bidding.auction, bidding.classes
        points: list[tuple[int | None, str, str]] = [
            (row, name, getattr(spec, name)) for row, spec in rows for name in ("source", "sink")
        ]
        known = POINT_SETS.known(
            self.session, auction.network_version_id, bidding.network_hash, {point for _, _, point in points}
        )
        errors: list[FieldError] = []
        for row, name, point in points:
            if point not in known:
                errors.append(
                    FieldError(
                        _field(row, name),
                        f"unknown pricing point {point!r} in network version {auction.network_version_id}",
                        row,
                    )
                )
        if errors:
            raise ValidationFailed(f"{len(errors)} problem(s) in the bids and offers", errors=errors)
        self._check_holdings(caller, bidding, rows, excluding_bid)
        return [
            order_credit_cents(
                side=spec.side,
                price_cents=spec.price_cents,
                mw_tenths=spec.mw_tenths,
                class_hours=classes[spec.period_class].hours,
                floor_cents_per_mwh=self.floor,
            )
            for _, spec in rows
        ]

    def _check_holdings(
        self,
        caller: Caller,
        bidding: BiddingAuction,
        rows: Sequence[tuple[int | None, OrderSpec]],
        excluding_bid: int | None,
    ) -> None:
        """OA 7.3.5(b): an offer sells at most what the offeror holds in every hour of the month, once.

        The rule is :func:`auction.holdings.check_offer` on the offeror's ledger for the month;
        the offeror's open offers (and the rows of this request accepted before) count against
        it. The caller holds the participant lock, so concurrent offers are judged one by one.
        """
        offers = [(row, spec) for row, spec in rows if spec.side is Side.SELL]
        if not offers:
            return
        auction, classes = bidding.auction, bidding.classes
        month = DeliveryMonth(auction.year, auction.month)
        holder = holder_name(caller.participant_id)
        ledger = HoldingService(self.session).ledger([month], holder_id=caller.participant_id)
        open_offers: list[OfferClaim] = []
        for cls in classes.values():
            assert cls.id is not None
            for b in self.repo.open_offers(caller.participant_id, cls.id):
                open_offers.append(
                    OfferClaim(
                        str(b.id),
                        holder,
                        key_of(auction.year, auction.month, b.period_class, b.source, b.sink, b.hedge),
                        b.mw_tenths,
                    )
                )
        errors: list[FieldError] = []
        for i, (row, spec) in enumerate(offers):
            key = key_of(auction.year, auction.month, spec.period_class, spec.source, spec.sink, spec.hedge)
            claim = OfferClaim(
                str(excluding_bid) if excluding_bid is not None else f"new:{i}", holder, key, spec.mw_tenths
            )
            verdict = check_offer(ledger, claim, open_offers)
            if verdict.accepted:
                open_offers.append(claim)
            elif verdict.status is OfferCheckStatus.NOT_HELD:  # the ledger names holders by id
                reason = (
                    f"participant {caller.name!r} ({caller.participant_id}) does not hold {key} in every "
                    f"hour of {key.month}: an offer sells only an FTR held for the whole month (OA 7.3.5(b))"
                )
                errors.append(FieldError(_field(row, "mw"), reason, row))
            else:
                errors.append(FieldError(_field(row, "mw"), verdict.reason, row))
        if errors:
            raise InsufficientHolding(errors[0].reason, errors=errors)

    def _reserve_credit(
        self, caller: Caller, limit: int, added_cents: int, *, released_cents: int = 0
    ) -> None:
        """Hold ``added_cents`` more (less ``released_cents``, held by the order being replaced) or refuse
        the orders if the participant's open orders and unsettled awards would then exceed its limit
        (nothing is changed then). The caller holds the participant lock."""
        done, orders, awards = self.repo.reserve_credit(
            caller.participant_id, added_cents - released_cents, limit
        )
        if done:
            return
        in_use = orders + awards - released_cents
        raise InsufficientCredit(
            f"these orders need ${from_cents(added_cents)} of credit; ${from_cents(in_use)} of the "
            f"${from_cents(limit)} limit is already held, "
            f"${from_cents(max(limit - in_use, 0))} is available",
            extensions={
                "credit_limit": str(from_cents(limit)),
                "credit_in_use": str(from_cents(in_use)),
                "credit_required": str(from_cents(added_cents)),
                "credit_available": str(from_cents(max(limit - in_use, 0))),
            },
        )


INSERT_COLUMNS = (
    "participant_id",
    "auction_id",
    "class_auction_id",
    "period_class",
    "side",
    "source",
    "sink",
    "hedge",
    "mw_tenths",
    "price_cents",
    "status",
    "credit_cents",
    "idempotency_key",
    "request_hash",
    "created_at",
    "updated_at",
)


class _BulkIntake:
    """The database checks and inserts of one bulk upload, batch by batch.

    ``rows_digest`` seals the stored rows for the audit trail: ``sha256`` over one line per row, in
    row order, ``bid_id|auction_id|participant_id|period_class|side|source|sink|hedge|mw_tenths|
    price_cents|status`` joined by ``\\n`` (each line ends with one).
    """

    def __init__(
        self,
        service: BidService,
        caller: Caller,
        bidding: BiddingAuction,
        now: datetime,
        idempotency_key: str | None,
        request_hash: str,
    ) -> None:
        assert bidding.auction.id is not None
        self.service = service
        self.caller = caller
        self.bidding = bidding
        self.auction = bidding.auction
        classes: dict[str, ClassAuction] = bidding.classes
        self.classes = classes
        self.now = now
        self.key = idempotency_key
        self.request_hash = request_hash
        self.hours = {name: c.hours for name, c in classes.items()}
        self.class_ids = {name: c.id for name, c in classes.items()}
        self.known: set[str] = set()
        self.unknown: set[str] = set()
        self.errors: list[FieldError] = []
        self.holding_errors: list[FieldError] = []
        self.ids: list[int] = []
        self.credit_cents = 0
        self.rows_digest = hashlib.sha256()

    def take(self, batch: Batch) -> None:
        self.errors.extend(batch.errors)
        points = (
            (
                set(batch.source.tolist())
                | set(batch.sink.tolist())
                | {p for _, _, p in batch.points_of_bad_rows}
            )
            - self.known
            - self.unknown
        )
        if points:
            found = POINT_SETS.known(
                self.service.session, self.auction.network_version_id, self.bidding.network_hash, points
            )
            self.known |= found
            self.unknown |= points - found
        version = self.auction.network_version_id
        for row, column, point in batch.points_of_bad_rows:
            if point in self.unknown:
                self.errors.append(
                    FieldError(column, f"unknown pricing point {point!r} in network version {version}", row)
                )
        if not len(batch):
            return
        good = np.ones(len(batch), dtype=bool)
        not_auctioned = ~pd.Series(batch.period_class).isin(list(self.classes)).to_numpy()
        for row, name in zip(batch.rows[not_auctioned], batch.period_class[not_auctioned], strict=True):
            self.errors.append(
                FieldError(
                    "period_class", f"class {name!r} is not auctioned in auction {self.auction.id}", int(row)
                )
            )
        good &= ~not_auctioned
        version = self.auction.network_version_id
        for column in ("source", "sink"):
            values = getattr(batch, column)
            bad = pd.Series(values).isin(list(self.unknown)).to_numpy()
            for row, point in zip(batch.rows[bad], values[bad], strict=True):
                self.errors.append(
                    FieldError(
                        column,
                        f"unknown pricing point {point!r} in network version {version}",
                        int(row),
                    )
                )
            good &= ~bad
        if self.errors or self.holding_errors:
            return
        self._check_offers(batch)
        if self.holding_errors:
            return
        self._insert(batch)

    def _check_offers(self, batch: Batch) -> None:
        sells = np.flatnonzero(batch.side == Side.SELL.value)
        if not len(sells):
            return
        specs: list[tuple[int | None, OrderSpec]] = [
            (
                int(batch.rows[i]),
                OrderSpec(
                    side=Side.SELL,
                    period_class=str(batch.period_class[i]),
                    source=str(batch.source[i]),
                    sink=str(batch.sink[i]),
                    hedge=str(batch.hedge[i]),
                    mw_tenths=int(batch.mw_tenths[i]),
                    price_cents=int(batch.price_cents[i]),
                ),
            )
            for i in sells
        ]
        try:
            self.service._check_holdings(self.caller, self.bidding, specs, None)
        except InsufficientHolding as exc:
            self.holding_errors.extend(exc.errors)

    def _insert(self, batch: Batch) -> None:
        hours = np.asarray([self.hours[c] for c in batch.period_class.tolist()], dtype=np.int64)
        credits = orders_credit_cents(
            sell=batch.side == Side.SELL.value,
            price_cents=batch.price_cents,
            mw_tenths=batch.mw_tenths,
            class_hours=hours,
            floor_cents_per_mwh=self.service.floor,
        )
        self.credit_cents += int(credits.sum())
        count = len(batch)
        keys: list[str | None] = (
            [f"{self.key}#{r}" for r in batch.rows.tolist()] if self.key is not None else [None] * count
        )
        request_hash = self.request_hash if self.key is not None else None
        pid = self.caller.participant_id
        auction_id = self.auction.id
        rows = [
            (
                pid,
                auction_id,
                self.class_ids[cls],
                cls,
                side,
                src,
                snk,
                hedge,
                mw,
                price,
                ACTIVE,
                credit,
                key,
                request_hash,
                self.now,
                self.now,
            )
            for cls, side, src, snk, hedge, mw, price, credit, key in zip(
                batch.period_class.tolist(),
                batch.side.tolist(),
                batch.source.tolist(),
                batch.sink.tolist(),
                batch.hedge.tolist(),
                batch.mw_tenths.tolist(),
                batch.price_cents.tolist(),
                credits.tolist(),
                keys,
                strict=True,
            )
        ]
        ids = self.service.repo.insert_rows(pid, INSERT_COLUMNS, rows)
        if len(ids) != count:
            raise RuntimeError(f"inserted {count} bids but found {len(ids)} new ids")
        self.ids.extend(ids)
        self.rows_digest.update(
            "".join(
                f"{i}|{r[1]}|{r[0]}|{r[3]}|{r[4]}|{r[5]}|{r[6]}|{r[7]}|{r[8]}|{r[9]}|{r[10]}\n"
                for i, r in zip(ids, rows, strict=True)
            ).encode()
        )

    def raise_problems(self) -> None:
        if self.errors:
            errors = sorted(self.errors, key=lambda e: (e.row or 0, _COLUMN_ORDER.get(e.field, -1)))
            raise ValidationFailed(
                f"{len({e.row for e in errors})} bad row(s); nothing was stored", errors=errors
            )
        if self.holding_errors:
            raise InsufficientHolding(self.holding_errors[0].reason, errors=self.holding_errors)


_COLUMN_ORDER = {name: i for i, name in enumerate(CSV_COLUMNS)}


AUDITED_FIELDS = (
    "auction_id",
    "participant_id",
    "period_class",
    "side",
    "source",
    "sink",
    "hedge",
    "mw_tenths",
    "price_cents",
    "status",
)


def _audit_values(bid_id: int | None, values: Mapping[str, Any]) -> dict[str, Any]:
    """What the audit trail keeps of a bid (the trail is for auditors; application logs never see it)."""
    return {"bid_id": bid_id, **{k: values[k] for k in AUDITED_FIELDS}}


def _audit_record(bid: Bid) -> dict[str, Any]:
    return _audit_values(bid.id, {k: getattr(bid, k) for k in AUDITED_FIELDS})


def _field(row: int | None, name: str) -> str:
    return f"body.{name}" if row is None else name
