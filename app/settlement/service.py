"""Settlement rules of the service: uploads of inputs, reading runs and statements, year end.

A holder (trader, LSE) reads only its own statements: asking for another participant's is 404, as
is a month it holds nothing in. The OI and auditors read everything.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa
from sqlmodel import Session

from api_schemas.audit import AuditAnchorPublic
from api_schemas.settlement import FtrHourPublic
from app.audit.anchors import anchor_of, latest_link
from app.audit.service import actor_of, record_audit
from app.errors import FieldError, NotFound, ValidationFailed
from app.jobs import Job, JobKind, Runner
from app.jobs.repository import JobRepository
from app.jobs.service import JobService
from app.participants.roles import BIDDING_ROLES, READ_ALL_ROLES
from app.participants.service import Caller
from app.settlement import engine_inputs as build
from app.settlement import tables as stored
from app.settlement.detail_file import (
    SCHEMA,
    csv_chunks,
    detail_batches,
    differences_csv_chunks,
    ftr_differences,
    parquet_chunks,
    public_rows,
    read_detail,
)
from app.settlement.detail_store import store_of
from app.settlement.errors import DetailFileDamaged, MissingInputs, NotSettled
from app.settlement.input_kinds import PRICE_KINDS, SPECS, InputKind
from app.settlement.month_data import month_network_document, parse_network
from app.settlement.price_file import csv_chunks as price_csv_chunks
from app.settlement.price_file import write_prices
from app.settlement.price_table import read_price_table
from app.settlement.repository import SettlementRepository
from app.settlement.storage import StoredContent, find_or_add_input_set
from app.settlement.tables import (
    SettlementHolderMonth,
    SettlementInputSet,
    SettlementRun,
    SettlementYearEnd,
    SettlementYearEndShare,
)
from app.settlement.upload import CanonicalTable, canonical_table, decompress, read_table
from market_calendar import month_hour_index
from market_terms.money import to_cents
from settlement.errors import SettlementInputError
from settlement.excess import distribute_year_end
from settlement.year_state import YearState

YEAR = 0
"""``month`` of an input set that covers the whole year."""


class SettlementService:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.repo = SettlementRepository(session)

    # ------------------------------------------------------------------ inputs
    def upload(
        self,
        caller: Caller,
        *,
        year: int,
        month: int,
        kind: InputKind,
        content: bytes,
        media_type: str,
        max_rows: int,
        now: datetime,
    ) -> tuple[SettlementInputSet, bool]:
        """Check every row, then store the table as a new version (or find the identical latest one).

        Hourly prices are checked by column and stored as one file (:mod:`app.settlement.price_file`),
        written before the row that names it: a refused upload writes nothing."""
        if kind in PRICE_KINDS:
            prices = read_price_table(content, media_type, max_rows, kind=kind, year=year, month=month)
            key = write_prices(store_of(self.session), prices)
            stored = StoredContent(
                key, prices.price.size, prices.columns, b"", prices.source_format, key, key
            )
            self.repo.lock_year(year)
            return find_or_add_input_set(self.session, year, month, kind, stored, caller.participant_id, now)
        frame, fmt = read_table(content, media_type, max_rows)
        table = canonical_table(
            kind, frame, year=year, month=month or 1, source_format=fmt, participants=self._holders
        )
        self._check_structure(kind, table, year, month)
        self.repo.lock_year(year)
        return find_or_add_input_set(self.session, year, month, kind, table, caller.participant_id, now)

    def _holders(self, ids: Collection[int]) -> set[int]:
        return self.repo.participants_with_roles(ids, [r.value for r in BIDDING_ROLES])

    def _check_structure(self, kind: InputKind, table: CanonicalTable, year: int, month: int) -> None:
        """The engine's own checks of the whole table (every hour once, every interval once, ...)."""
        frame = table.frame
        try:
            if SPECS[kind].yearly:
                build.year_end_charges(frame)
                return
            hours = month_hour_index(year, month)
            if kind in (InputKind.DA_PRICES, InputKind.RT_PRICES):
                build.hourly_prices(frame, hours, kind)
            elif kind is InputKind.DA_CONGESTION:
                build.hour_column(frame, hours, kind, "da_congestion")
            elif kind is InputKind.LOOP_FLOW:
                build.hour_column(frame, hours, kind, "loop_flow_compensation")
            elif kind is InputKind.RT_CONGESTION:
                build.rt_hourly(frame, hours)
            elif kind is InputKind.VIRTUAL_BIDS:
                build.accepted_virtual_bids(frame, hours)
            elif kind is InputKind.BINDING_CONSTRAINTS:
                document = month_network_document(self.session, year, month)
                if document is not None:
                    build.distribution_factors(frame, hours, parse_network(document))
        except SettlementInputError as error:
            raise ValidationFailed(
                f"the {kind.value} upload is not usable: {error.problem}; nothing was stored",
                errors=[FieldError(error.column or "body", error.problem, error.row)],
            ) from None

    def inputs_of(self, year: int, month: int) -> Sequence[SettlementInputSet]:
        return self.repo.inputs_of(year, month)

    def input_set(self, input_set_id: int) -> SettlementInputSet:
        found = self.repo.input_set(input_set_id)
        if found is None:
            raise NotFound(f"input set {input_set_id} not found")
        return found

    def input_csv(self, input_set_id: int) -> Iterator[bytes]:
        """The set's canonical CSV (its stored text; a price file's rows written out as CSV)."""
        found = self.input_set(input_set_id)
        if found.content:
            return iter([zlib.decompress(found.content)])
        assert found.file_key is not None and found.file_sha256 is not None
        return price_csv_chunks(store_of(self.session), found.file_key, found.file_sha256)

    # ------------------------------------------------------------------ jobs and runs
    def job(self, job_id: int) -> tuple[Job, list[int]]:
        job = JobRepository(self.session).get(job_id, JobKind.SETTLEMENT)
        if job is None:
            raise NotFound(f"settlement job {job_id} not found")
        return job, self.repo.runs_of_job(job_id)

    def cancel_job(self, job_id: int, *, by: int, now: datetime) -> tuple[Job, list[int]]:
        """Cancel a settlement job (a cancelled job stores no run); the job and the runs it stored."""
        job = JobService(self.session).cancel(job_id, JobKind.SETTLEMENT, by=by, now=now)
        return job, self.repo.runs_of_job(job_id)

    def retry_job(self, job_id: int, *, by: int, now: datetime, jobs: Runner) -> Job:
        """Queue a failed or cancelled settlement job again from its stored inputs (year, month,
        reason), under the year's lock; audited ``job.retry``."""
        old = JobRepository(self.session).get(job_id, JobKind.SETTLEMENT)
        if old is None:
            raise NotFound(f"settlement job {job_id} not found")
        self.repo.lock_year(old.year)
        return JobService(self.session).retry(job_id, JobKind.SETTLEMENT, by=by, now=now, jobs=jobs)

    def run(self, run_id: int) -> SettlementRun:
        run = self.repo.run(run_id)
        if run is None:
            raise NotFound(f"settlement run {run_id} not found")
        return run

    def runs_of(self, year: int, month: int) -> Sequence[SettlementRun]:
        return self.repo.runs_of(year, month)

    def run_hours(self, run_id: int) -> Sequence[stored.SettlementHour]:
        """A run's hourly totals (404 if the run does not exist)."""
        self.run(run_id)
        return self.repo.hours(run_id)

    def run_holder_months(self, run_id: int) -> Sequence[SettlementHolderMonth]:
        """Every holder's month totals of a run (404 if the run does not exist)."""
        self.run(run_id)
        return self.repo.holder_months(run_id)

    def run_changes(self, run_id: int) -> Sequence[stored.SettlementChange]:
        """What changed against the version the run replaced (404 if the run does not exist)."""
        self.run(run_id)
        return self.repo.changes(run_id)

    def run_year_state(self, run_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """The year state before and after a run, as stored (JSON objects)."""
        run = self.run(run_id)
        before: dict[str, Any] = json.loads(run.state_before)
        after: dict[str, Any] = json.loads(run.state_after)
        return before, after

    # ------------------------------------------------------------------ statements
    def statement_run(
        self, caller: Caller, year: int, month: int, participant_id: int, version: int | None
    ) -> tuple[SettlementRun, SettlementHolderMonth]:
        """The run and month totals of ``participant_id``'s statement, if the caller may read it."""
        where = f"no statement of participant {participant_id} for {year}-{month:02d}"
        if caller.role not in READ_ALL_ROLES and caller.participant_id != participant_id:
            raise NotFound(where)
        if caller.participant_id == participant_id:
            where = f"no statement of participant {caller.name!r} ({participant_id}) for {year}-{month:02d}"
        run = self.repo.run_version(year, month, version)
        if run is None or run.id is None:
            if version is not None:
                raise NotFound(f"{where}: {year}-{month:02d} has no settlement run version {version}")
            raise NotFound(
                f"{where}: {year}-{month:02d} has not been settled yet (statements exist once the OI "
                "settles the month, after it ends and its day-ahead inputs are in)"
            )
        totals = self.repo.holder_month(run.id, participant_id)
        if totals is None:
            raise NotFound(f"{where}: it held no FTR in {year}-{month:02d} (settlement run {run.id})")
        return run, totals

    def statement(
        self, caller: Caller, year: int, month: int, participant_id: int, version: int | None
    ) -> tuple[SettlementRun, SettlementHolderMonth, Sequence[stored.SettlementHolderHour]]:
        """A holder's statement: the run, its month totals and its hours (see :meth:`statement_run`)."""
        run, totals = self.statement_run(caller, year, month, participant_id, version)
        assert run.id is not None
        return run, totals, self.repo.holder_hours(run.id, participant_id)

    def statement_anchor(self, run: SettlementRun, participant_id: int) -> AuditAnchorPublic | None:
        """The run's ``settlement.run`` link, the holder's sub-chain head sealed before it, signed head."""
        link = latest_link(
            self.session,
            "settlement.run",
            lambda payload: any(r.get("run_id") == run.id for r in payload.get("runs", [])),
        )
        return anchor_of(self.session, link, {actor_of(participant_id)}) if link is not None else None

    def _detail(self, run: SettlementRun, participant_id: int | None = None) -> pa.Table:
        if run.detail_key is None or run.detail_sha256 is None:
            raise DetailFileDamaged(f"settlement run {run.id} has no detail file recorded")
        return read_detail(store_of(self.session), run.detail_key, run.detail_sha256, participant_id)

    def _detail_batches(self, run: SettlementRun, participant_id: int) -> Iterator[pa.RecordBatch]:
        """The holder's rows, read lazily (the file is checked before this returns)."""
        if run.detail_key is None or run.detail_sha256 is None:
            raise DetailFileDamaged(f"settlement run {run.id} has no detail file recorded")
        return detail_batches(store_of(self.session), run.detail_key, run.detail_sha256, participant_id)

    def run_ftr_differences_csv(self, run_id: int) -> Iterator[str]:
        """Per holder, FTR and hour, the amounts that changed against the replaced version (CSV chunks).

        Both runs' detail files are read (and checked) before the first chunk; a first run has none.
        """
        run = self.run(run_id)
        new = self._detail(run)
        old = self._detail(self.run(run.replaces_run_id)) if run.replaces_run_id is not None else new
        return differences_csv_chunks(ftr_differences(old, new))

    def statement_ftr_table(
        self, caller: Caller, year: int, month: int, participant_id: int, version: int | None
    ) -> pa.Table:
        """A holder's statement per FTR and hour, read from the run's detail file (checked by its hash)."""
        run, _ = self.statement_run(caller, year, month, participant_id, version)
        return self._detail(run, participant_id)

    def statement_ftr_hours(
        self, caller: Caller, year: int, month: int, participant_id: int, version: int | None
    ) -> list[FtrHourPublic]:
        """A holder's statement per FTR and hour (see :meth:`statement_run`)."""
        return public_rows(self.statement_ftr_table(caller, year, month, participant_id, version))

    def statement_ftr_csv(
        self, caller: Caller, year: int, month: int, participant_id: int, version: int | None
    ) -> tuple[Iterator[str], AuditAnchorPublic | None]:
        """The same as CSV text, streamed a batch at a time (the file is checked before the first chunk),
        and the run's audit anchor."""
        run, _ = self.statement_run(caller, year, month, participant_id, version)
        anchor = self.statement_anchor(run, participant_id)
        return csv_chunks(self._detail_batches(run, participant_id)), anchor

    def statement_ftr_parquet(
        self, caller: Caller, year: int, month: int, participant_id: int, version: int | None
    ) -> tuple[Iterator[bytes], AuditAnchorPublic | None]:
        """The same as a Parquet file (the detail file's columns; the anchor as file metadata ``audit``),
        streamed a row group at a time, and the anchor."""
        run, _ = self.statement_run(caller, year, month, participant_id, version)
        anchor = self.statement_anchor(run, participant_id)
        metadata = {"audit": anchor.model_dump_json()} if anchor is not None else {}
        return parquet_chunks(self._detail_batches(run, participant_id), SCHEMA, metadata), anchor

    # ------------------------------------------------------------------ year end (OA 5.2.6(c))
    def distribute_year_end(self, caller: Caller, year: int, now: datetime) -> SettlementYearEnd:
        self.repo.lock_year(year)
        december = self.repo.current_runs(year).get(12)
        if december is None or december.id is None:
            raise NotSettled(f"December {year} is not settled: the year-end distribution needs it")
        charges_set = self.repo.latest_input(year, YEAR, InputKind.YEAR_END_CHARGES.value)
        if charges_set is None or charges_set.id is None:
            raise MissingInputs(
                f"upload the year-end charges of {year} first", extensions={"missing": ["year_end_charges"]}
            )
        state = YearState.from_json(json.loads(december.state_after))
        charges = build.year_end_charges(decompress(charges_set.content))
        try:
            result = distribute_year_end(state, charges)
        except SettlementInputError as error:
            raise ValidationFailed(
                f"year-end charges of {year}: {error.problem}",
                errors=[FieldError(error.column or "body", error.problem, error.row)],
            ) from None
        previous = self.repo.latest_year_end(year)
        entry = SettlementYearEnd(
            year=year,
            version=(previous.version if previous is not None else 0) + 1,
            december_run_id=december.id,
            input_set_id=charges_set.id,
            carried_cents=to_cents(state.carried_excess),
            distributed_cents=to_cents(result.distributed),
            undistributed_cents=to_cents(result.undistributed),
            requested_by_id=caller.participant_id,
            created_at=now,
        )
        self.repo.add(entry)
        assert entry.id is not None
        self.repo.add_all(
            [
                SettlementYearEndShare(
                    year_end_id=entry.id,
                    participant_id=int(name),
                    charges_cents=to_cents(charges[name]),
                    amount_cents=to_cents(amount),
                )
                for name, amount in result.amounts.items()
            ]
        )
        record_audit(
            self.session,
            actor_of(caller.participant_id),
            "settlement.year_end",
            {
                "year_end_id": entry.id,
                "year": year,
                "version": entry.version,
                "december_run_id": december.id,
                "input_set_id": charges_set.id,
                "carried_cents": entry.carried_cents,
                "distributed_cents": entry.distributed_cents,
                "undistributed_cents": entry.undistributed_cents,
            },
            at=now,
        )
        return entry

    def distribute_and_read_year_end(
        self, caller: Caller, year: int, now: datetime
    ) -> tuple[SettlementYearEnd, list[SettlementYearEndShare]]:
        """OA 5.2.6(c) distribution, then the distribution as the caller reads it."""
        entry = self.distribute_year_end(caller, year, now)
        return self.year_end(caller, entry.year)

    def year_end(self, caller: Caller, year: int) -> tuple[SettlementYearEnd, list[SettlementYearEndShare]]:
        """The latest year-end distribution; a holder sees only its own share (404 if it has none)."""
        entry = self.repo.latest_year_end(year)
        if entry is None or entry.id is None:
            raise NotFound(f"no year-end distribution for {year}")
        shares = list(self.repo.year_end_shares(entry.id))
        if caller.role not in READ_ALL_ROLES:
            shares = [s for s in shares if s.participant_id == caller.participant_id]
            if not shares:
                raise NotFound(f"no year-end distribution for {year}")
        return entry, shares
