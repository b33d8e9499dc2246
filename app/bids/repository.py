"""Every query on bids and offers; reads only return what the caller may see."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import func, insert, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.auctions.lifecycle import AuctionStatus
from app.auctions.tables import Auction
from app.audit.tables import AuditSubHead
from app.bid_fills import BidFill
from app.bids.tables import Bid, CreditPosition
from app.db import is_postgresql
from app.paging import KeyedPage, Pagination, page_by_key
from app.participants.roles import READ_ALL_ROLES
from app.participants.service import Caller
from app.participants.tables import Participant


@dataclass(frozen=True, slots=True)
class BidFilter:
    """What a bid list keeps (``None``: any): class, state, side, and the path's source and sink."""

    period_class: str | None = None
    status: str | None = None
    side: str | None = None
    source: str | None = None
    sink: str | None = None


ACTIVE = "active"
WITHDRAWN = "withdrawn"
UNPOSTED = (
    AuctionStatus.DRAFT.value,
    AuctionStatus.OPEN.value,
    AuctionStatus.CLOSED.value,
    AuctionStatus.CLEARED.value,
)
"""An order holds credit until its auction's results are posted; from then on its award does."""

_position = cast(sa.Table, sa.inspect(CreditPosition).local_table)
_bid = cast(sa.Table, sa.inspect(Bid).local_table)
_participant = cast(sa.Table, sa.inspect(Participant).local_table)
_sub_head = cast(sa.Table, sa.inspect(AuditSubHead).local_table)

ORDER_COLUMNS = (
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
"""The columns a new bid is inserted with (every column but its id)."""

_LOCK_WITH_SUB_HEAD = (
    sa.select(_participant.c.credit_limit_cents, _sub_head.c.seq, _sub_head.c.hash)
    .select_from(_participant.join(_sub_head, _sub_head.c.chain == sa.bindparam("chain")))
    .where(_participant.c.id == sa.bindparam("participant_id"))
    .with_for_update(of=[_participant, _sub_head])
)
"""PostgreSQL: the participant's row and its audit sub-chain head, both locked, in one statement.
Both rows are locked, so a statement that waited for them re-reads both as last committed."""

_HELD = (
    sa.update(_position)
    .where(
        _position.c.participant_id == sa.bindparam("holder_id"),
        _position.c.in_use_cents + _position.c.awards_cents + sa.bindparam("delta_cents", type_=sa.BigInteger)
        <= sa.bindparam("limit_cents", type_=sa.BigInteger),
    )
    .values(in_use_cents=_position.c.in_use_cents + sa.bindparam("delta_cents", type_=sa.BigInteger))
    .returning(_position.c.participant_id)
    .cte("held")
    # (bind names differ from the columns': an UPDATE would take a parameter named like a column as
    # a new value for it)
)
_RESERVE_AND_INSERT = (
    sa.insert(_bid)
    .from_select(
        list(ORDER_COLUMNS),
        sa.select(*[sa.bindparam(f"new_{c}", type_=_bid.c[c].type) for c in ORDER_COLUMNS]).select_from(
            _HELD
        ),
    )
    .returning(_bid.c.id)
)
"""PostgreSQL: hold the order's credit and insert it in one statement (the insert reads the
conditional update's row, so a refused hold inserts nothing)."""


class BidRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _readable(self, caller: Caller) -> SelectOfScalar[Bid]:
        stmt = select(Bid)
        if caller.role not in READ_ALL_ROLES:
            stmt = stmt.where(Bid.participant_id == caller.participant_id)
        return stmt

    def readable(self, caller: Caller, bid_id: int) -> Bid | None:
        return self.session.exec(self._readable(caller).where(Bid.id == bid_id)).first()

    def owned(self, caller: Caller, bid_id: int) -> Bid | None:
        """The caller's own bid (writes: even the OI cannot change a participant's bid)."""
        return self.session.exec(
            select(Bid).where(Bid.id == bid_id, Bid.participant_id == caller.participant_id)
        ).first()

    def list_readable(
        self, caller: Caller, auction_id: int, filters: BidFilter, page: Pagination
    ) -> KeyedPage:
        """The readable bids of an auction that pass ``filters``, in id order, paged by cursor or offset;
        rows are ``(Bid, BidFill | None)``."""
        stmt = (
            select(Bid, BidFill)
            .outerjoin(BidFill, col(BidFill.bid_id) == col(Bid.id))
            .where(Bid.auction_id == auction_id)
        )
        if caller.role not in READ_ALL_ROLES:
            stmt = stmt.where(Bid.participant_id == caller.participant_id)
        for column, wanted in (
            (Bid.period_class, filters.period_class),
            (Bid.status, filters.status),
            (Bid.side, filters.side),
            (Bid.source, filters.source),
            (Bid.sink, filters.sink),
        ):
            if wanted is not None:
                stmt = stmt.where(column == wanted)
        return page_by_key(self.session, stmt, col(Bid.id), page, "bids")

    def fill(self, bid_id: int) -> BidFill | None:
        return self.session.get(BidFill, bid_id)

    def by_idempotency_key(self, participant_id: int, key: str) -> Bid | None:
        return self.session.exec(
            select(Bid).where(Bid.participant_id == participant_id, Bid.idempotency_key == key)
        ).first()

    def ids_with_key_prefix(self, participant_id: int, prefix: str) -> list[int]:
        ids = self.session.exec(
            select(Bid.id)
            .where(
                Bid.participant_id == participant_id,
                col(Bid.idempotency_key).startswith(prefix, autoescape=True),
            )
            .order_by(col(Bid.id))
        ).all()
        return [int(i) for i in ids if i is not None]

    def credit_held(self, participant_id: int) -> int:
        """Cents held by the participant's open orders: the running total (:class:`CreditPosition`)."""
        held = self.session.exec(
            select(CreditPosition.in_use_cents).where(CreditPosition.participant_id == participant_id)
        ).first()
        return int(held or 0)

    def credit_totals(self, participant_id: int) -> tuple[int, int]:
        """``(open orders, unsettled awards)`` in cents: the participant's running totals (one row)."""
        row = (
            self.session.connection()
            .execute(
                sa.select(_position.c.in_use_cents, _position.c.awards_cents).where(
                    _position.c.participant_id == participant_id
                )
            )
            .first()
        )
        return (int(row[0]), int(row[1])) if row is not None else (0, 0)

    def reserve_credit(
        self, participant_id: int, delta_cents: int, limit_cents: int
    ) -> tuple[bool, int, int]:
        """Move the open orders' total by ``delta_cents`` if the totals stay within ``limit_cents``.

        ``(done, orders, awards)``: the totals after the move, or as they are when it is refused (then
        nothing changed). One conditional ``UPDATE ... RETURNING`` in the usual case; it reads the row
        as last committed (the caller holds the participant lock), so no concurrent change is missed.
        """
        row = (
            self.session.connection()
            .execute(
                sa.update(_position)
                .where(
                    _position.c.participant_id == participant_id,
                    _position.c.in_use_cents + _position.c.awards_cents + delta_cents <= limit_cents,
                )
                .values(in_use_cents=_position.c.in_use_cents + delta_cents)
                .returning(_position.c.in_use_cents, _position.c.awards_cents)
            )
            .first()
        )
        if row is not None:
            return True, int(row[0]), int(row[1])
        orders, awards = self.credit_totals(participant_id)
        if orders + awards + delta_cents > limit_cents:
            return False, orders, awards
        self.add_credit(participant_id, delta_cents)  # no row yet: the participant's first order
        return True, orders + delta_cents, awards

    def lock_with_sub_head(self, participant_id: int, chain: str) -> tuple[int, int, str] | None:
        """PostgreSQL: ``(credit limit in cents, sub-chain head seq, hash)`` with the participant's row
        and the head of ``chain`` locked in one statement; ``None`` if either row is missing (no such
        participant, or a chain not started yet: then lock them one by one)."""
        row = (
            self.session.connection()
            .execute(_LOCK_WITH_SUB_HEAD, {"participant_id": participant_id, "chain": chain})
            .first()
        )
        return (int(row[0]), int(row[1]), str(row[2])) if row is not None else None

    def reserve_and_insert(self, values: Mapping[str, Any], limit_cents: int) -> int | None:
        """PostgreSQL: hold ``values["credit_cents"]`` on the participant's running total and insert the
        bid, in one statement; its id, or ``None`` if nothing was done (the hold would pass the limit,
        or the participant has no running total yet: :meth:`reserve_credit` then tells which)."""
        params = {f"new_{c}": values[c] for c in ORDER_COLUMNS}
        params |= {
            "holder_id": values["participant_id"],
            "delta_cents": values["credit_cents"],
            "limit_cents": limit_cents,
        }
        found = self.session.connection().execute(_RESERVE_AND_INSERT, params).scalar()
        return int(found) if found is not None else None

    def insert_one(self, values: dict[str, Any]) -> int:
        """Insert one bid (column values) and return its id: one ``INSERT ... RETURNING``."""
        return int(
            self.session.connection()
            .execute(sa.insert(_bid).values(**values).returning(_bid.c.id))
            .scalar_one()
        )

    def add_credit(self, participant_id: int, delta_cents: int) -> None:
        """Move the participant's running total by ``delta_cents`` (one ``UPDATE``; the row is made once)."""
        if delta_cents == 0:
            return
        self.session.flush()
        done = self.session.execute(
            update(CreditPosition)
            .where(col(CreditPosition.participant_id) == participant_id)
            .values(in_use_cents=col(CreditPosition.in_use_cents) + delta_cents)
        )
        if done.rowcount == 0:  # type: ignore[attr-defined]
            self.session.execute(
                insert(CreditPosition).values(participant_id=participant_id, in_use_cents=delta_cents)
            )

    def release_auction_credit(self, auction_id: int) -> None:
        """The auction clears: its open orders stop holding credit (each participant's total drops)."""
        self.session.flush()
        held = self.session.exec(
            select(Bid.participant_id, func.sum(Bid.credit_cents))
            .where(Bid.auction_id == auction_id, Bid.status == ACTIVE)
            .group_by(col(Bid.participant_id))
            .order_by(col(Bid.participant_id))
        ).all()
        for participant_id, cents in held:
            self.add_credit(int(participant_id), -int(cents or 0))

    def credit_resummed(self, participant_id: int) -> int:
        """Cents held by the participant's active orders in auctions not yet posted, summed over the book.

        What the running total must equal (a check; the bid path reads :meth:`credit_held`).
        """
        stmt = (
            select(func.coalesce(func.sum(Bid.credit_cents), 0))
            .join(Auction, col(Auction.id) == col(Bid.auction_id))
            .where(
                Bid.participant_id == participant_id, Bid.status == ACTIVE, col(Auction.status).in_(UNPOSTED)
            )
        )
        return int(self.session.exec(stmt).one())

    def open_offers(self, participant_id: int, class_auction_id: int) -> Sequence[Bid]:
        """The participant's active offers in a class auction (they reserve the MW they offer)."""
        return self.session.exec(
            select(Bid)
            .where(
                Bid.participant_id == participant_id,
                Bid.class_auction_id == class_auction_id,
                Bid.side == "sell",
                Bid.status == ACTIVE,
            )
            .order_by(col(Bid.id))
        ).all()

    def add(self, bid: Bid) -> Bid:
        self.session.add(bid)
        self.session.flush()
        return bid

    def key_prefix_taken(self, participant_id: int, prefix: str) -> bool:
        """Whether any of the participant's bids has an idempotency key starting with ``prefix``."""
        found = self.session.exec(
            select(Bid.id)
            .where(
                Bid.participant_id == participant_id,
                col(Bid.idempotency_key).startswith(prefix, autoescape=True),
            )
            .limit(1)
        ).first()
        return found is not None

    def insert_rows(
        self, participant_id: int, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> list[int]:
        """Insert the participant's new bids (values in ``columns`` order); their ids in row order.

        PostgreSQL: ``COPY bid (...) FROM STDIN`` on the session's connection (inside its
        transaction); SQLite: one executemany. Called under the participant's lock, so the
        participant's ids above the highest one before the insert are exactly these rows (ids grow
        in insertion order).
        """
        if not rows:
            return []
        self.session.flush()
        before = self.session.exec(
            select(func.coalesce(func.max(Bid.id), 0)).where(Bid.participant_id == participant_id)
        ).one()
        if is_postgresql(self.session):
            driver = self.session.connection().connection.driver_connection
            assert driver is not None
            with (
                driver.cursor() as cursor,
                cursor.copy(f"COPY bid ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            self.session.execute(
                insert(Bid).execution_options(render_nulls=True),
                [dict(zip(columns, row, strict=True)) for row in rows],
            )
        ids = self.session.exec(
            select(Bid.id)
            .where(Bid.participant_id == participant_id, col(Bid.id) > before)
            .order_by(col(Bid.id))
        ).all()
        return [int(i) for i in ids if i is not None]

    def save(self, bid: Bid) -> Bid:
        self.session.add(bid)
        self.session.flush()
        return bid

    def active_in_class(self, class_auction_id: int) -> Sequence[Bid]:
        return self.session.exec(
            select(Bid)
            .where(Bid.class_auction_id == class_auction_id, Bid.status == ACTIVE)
            .order_by(col(Bid.id))
        ).all()
