"""The holdings ledger in the service: append entries through the pure ledger, answer its queries.

Every append rebuilds the pure :class:`auction.ledger.Ledger` of the months it touches from the
stored rows and calls :meth:`~auction.ledger.Ledger.append` on it, so the ledger's rule (no
holding negative in any hour) is checked by the one implementation, on exactly what is stored,
before any row is written; a refusal is a 422 naming holder, FTR, hour and MW. Holders whose
positions an append lowers are locked first (their participant row, as offers do), so a
transfer and an offer of the same MW cannot both pass. Queries (:mod:`auction.ledger_queries`)
run on the ledger of the month asked about.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from app.audit.service import actor_of, record_audit
from app.errors import FieldError, LedgerRefused, NotFound, ValidationFailed
from app.holdings.feasibility import (
    auction_for_month,
    period_evaluator,
    require_feasible,
    require_known_points,
)
from app.holdings.ledger_mapping import EntryContext, holder_name, key_of, ledger_of, row_of
from app.holdings.repository import HoldingRepository
from app.holdings.tables import FtrHolding
from app.paging import KeyedPage, Pagination
from app.participants.repository import ParticipantRepository
from app.participants.roles import BIDDING_ROLES, READ_ALL_ROLES, Role
from app.participants.service import Caller, participant_label
from auction.allocation_feasibility import FtrFlow, outstanding_ftrs
from auction.ledger import FtrKey, Ledger, LedgerError, Origin, PeriodClass, Posting
from auction.ledger_queries import HistoryStep, Holding, PortfolioLine, history, holdings_at, portfolio
from auction.ledger_time import DeliveryMonth, check_hour_ending


class HoldingService:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.repo = HoldingRepository(session)

    # -- the ledger ----------------------------------------------------------------------------

    def ledger(self, months: Sequence[DeliveryMonth], *, holder_id: int | None = None) -> Ledger:
        """The pure ledger of every entry of ``months`` (optionally of one holder only)."""
        rows = self.repo.of_months([(m.year, m.month) for m in months], holder_id=holder_id)
        return ledger_of(rows)

    def append(
        self,
        postings: Sequence[Posting],
        *,
        now: datetime,
        contexts: Sequence[EntryContext] | None = None,
        lock_debited: bool = True,
    ) -> list[FtrHolding]:
        """Append ``postings`` as one batch (all or none), checked by the pure ledger first."""
        if not postings:
            return []
        if lock_debited:
            participants = ParticipantRepository(self.session)
            for holder in sorted({int(p.holder) for p in postings if p.mw_tenths < 0}):
                participants.lock(holder)
        # Every entry of each holding touched is in this selection, which is all the check needs.
        months = sorted({p.key.month for p in postings})
        ledger = ledger_of(
            self.repo.of_months(
                [(m.year, m.month) for m in months], holder_ids={int(p.holder) for p in postings}
            )
        )
        try:
            ledger.append(postings)
        except LedgerError as exc:
            raise LedgerRefused(str(exc), errors=[FieldError("body", str(exc))]) from None
        ctx = list(contexts) if contexts is not None else [EntryContext()] * len(postings)
        rows = [row_of(p, now, c) for p, c in zip(postings, ctx, strict=True)]
        self.repo.add_all(rows)
        return rows

    # -- the OI's direct record -----------------------------------------------------------------

    def record(
        self,
        caller: Caller,
        *,
        holder_id: int,
        key: FtrKey,
        mw_tenths: int,
        origin: Origin,
        now: datetime,
    ) -> FtrHolding:
        """The OI records an allocated or assigned FTR (OA 5.2.2(b),(c)) for the whole month.

        Accepted only if simultaneously feasible with all outstanding FTRs of the month and
        class on the month's auction model (OA 7.3.3(b)); the refusal names the constraint.
        """
        holder = ParticipantRepository(self.session).get(holder_id)
        if holder is None or Role(holder.role) not in BIDDING_ROLES:
            raise ValidationFailed(
                f"{participant_label(holder, holder_id)} cannot hold FTRs",
                errors=[FieldError("body.holder_id", "not a trader or LSE")],
            )
        auction = auction_for_month(self.session, key.month.year, key.month.month)
        require_known_points(self.session, auction, [(key.source, "body.source"), (key.sink, "body.sink")])
        evaluator = period_evaluator(self.session, auction)
        outstanding = outstanding_ftrs(self.ledger([key.month]), key.month, key.period_class)
        require_feasible(
            evaluator,
            outstanding,
            [FtrFlow(key.source, key.sink, mw_tenths, key.hedge)],
            what=f"{key} of {mw_tenths / 10} MW for participant {holder_id}",
            field="body.mw",
        )
        posting = Posting(
            holder_name(holder_id),
            key,
            mw_tenths,
            origin,
            key.month.first_hour_ending(),
            f"record:{holder_id}:{now.isoformat()}",
        )
        [row] = self.append([posting], now=now)
        record_audit(
            self.session,
            actor_of(caller.participant_id),
            "holding.recorded",
            {
                "entry": row.id,
                "holder_id": holder_id,
                "ftr": str(key),
                "mw_tenths": mw_tenths,
                "origin": origin,
            },
            at=now,
        )
        return row

    # -- queries ---------------------------------------------------------------------------------

    def _holder_filter(self, caller: Caller, holder_id: int | None) -> int | None:
        """Whose holdings the caller may see: its own, or anyone's (or all) for the OI and auditors."""
        if caller.role in READ_ALL_ROLES:
            return holder_id
        if holder_id is not None and holder_id != caller.participant_id:
            raise NotFound(f"holdings of participant {holder_id} not found")
        return caller.participant_id

    def list_readable(
        self, caller: Caller, *, year: int | None, month: int | None, limit: int, offset: int
    ) -> tuple[Sequence[FtrHolding], int]:
        return self.repo.list_readable(caller, year=year, month=month, limit=limit, offset=offset)

    def page_readable(
        self, caller: Caller, *, year: int | None, month: int | None, page: Pagination
    ) -> KeyedPage:
        """The caller's ledger entries (the OI and auditors: all) in sequence, paged by cursor or offset."""
        return self.repo.page_readable(caller, year=year, month=month, page=page)

    def positions_at(
        self, caller: Caller, hour_ending: datetime, *, holder_id: int | None
    ) -> tuple[Holding, ...]:
        """Who held what in the hour ending ``hour_ending`` (every class; the caller's own only)."""
        try:
            h = check_hour_ending(hour_ending, "at")
        except ValueError as exc:
            raise ValidationFailed(str(exc), errors=[FieldError("query.at", str(exc))]) from None
        who = self._holder_filter(caller, holder_id)
        month = DeliveryMonth.of_hour(h)
        ledger = self.ledger([month], holder_id=who)
        return holdings_at(ledger, h, holder=None if who is None else holder_name(who))

    def history(self, caller: Caller, holder_id: int, key: FtrKey) -> tuple[HistoryStep, ...]:
        who = self._holder_filter(caller, holder_id)
        assert who is not None
        rows = self.repo.of_holding(
            who,
            key.month.year,
            key.month.month,
            key.period_class.value,
            key.source,
            key.sink,
            key.hedge.value,
        )
        if not rows:
            raise NotFound(f"participant {holder_id} has no entries for {key}")
        return history(ledger_of(rows), holder_name(who), key)

    def portfolio(
        self,
        caller: Caller,
        month: DeliveryMonth,
        *,
        period_class: str | None,
        holder_id: int | None,
    ) -> tuple[PortfolioLine, ...]:
        """The holder's FTRs of a month (the OI and auditors: everyone's) with origin and history."""
        who = self._holder_filter(caller, holder_id)
        ledger = self.ledger([month], holder_id=who)
        cls = PeriodClass(period_class) if period_class is not None else None
        return portfolio(ledger, month, holder=None if who is None else holder_name(who), period_class=cls)


def key_from_query(year: int, month: int, period_class: str, source: str, sink: str, hedge: str) -> FtrKey:
    try:
        return key_of(year, month, period_class, source, sink, hedge)
    except ValueError as exc:
        raise ValidationFailed(str(exc), errors=[FieldError("query", str(exc))]) from None
