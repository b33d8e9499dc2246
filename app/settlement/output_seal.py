"""The hash of a settlement run's stored output, recorded in the audit chain and recomputed later.

``output_hash = sha256(canonical({"run_id", "hours": [...], "holders": [...]}))`` over the run's
``settlement_hour`` rows ``[hour_ending, period_class, da_congestion_cents, rt_congestion_cents,
loop_flow_cents, charges_cents, target_allocation_cents, credit_cents, excess_cents, payout_ratio,
case]`` and ``settlement_holder_month`` rows ``[participant_id, target_allocation_cents,
credit_cents, forfeited_cents, monthly_distribution_cents, annual_distribution_cents,
payout_ratio]``, each list sorted; ratios as strings with twelve places (the column scale). It goes
into the ``settlement.run`` link (one per run); :mod:`app.audit_verify` recomputes it from the
tables. The per-FTR-hour detail is not part of it: it is one Parquet file per run whose sha256 is
recorded on the run and in the same link (``detail_sha256``); :func:`detail_file_problem` checks it.
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from app.audit_chain import canonical_json, sha256_hex
from app.settlement.detail_file import check_file
from app.settlement.detail_store import store_of
from app.settlement.errors import DetailFileDamaged
from app.settlement.repository import SettlementRepository


def _ratio(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value):.12f}"


def settlement_output_hash(session: Session, run_id: int) -> str:
    session.flush()
    repo = SettlementRepository(session)
    hours = sorted(
        [
            h.hour_ending,
            h.period_class,
            h.da_congestion_cents,
            h.rt_congestion_cents,
            h.loop_flow_cents,
            h.charges_cents,
            h.target_allocation_cents,
            h.credit_cents,
            h.excess_cents,
            _ratio(h.payout_ratio),
            h.case,
        ]
        for h in repo.hours(run_id)
    )
    holders = sorted(
        [
            m.participant_id,
            m.target_allocation_cents,
            m.credit_cents,
            m.forfeited_cents,
            m.monthly_distribution_cents,
            m.annual_distribution_cents,
            _ratio(m.payout_ratio),
        ]
        for m in repo.holder_months(run_id)
    )
    return sha256_hex(canonical_json({"run_id": run_id, "hours": hours, "holders": holders}))


def detail_file_problem(session: Session, run_id: int, recorded: str | None) -> str | None:
    """What is wrong with run ``run_id``'s detail file (``None``: intact).

    ``recorded`` is the ``detail_sha256`` of the run's audit link (``None`` for runs whose link
    predates detail files: then the run row's hash is the reference). A run with no FTR-hour
    detail recorded at all (stored before the files and not migrated) has nothing to check.
    """
    run = SettlementRepository(session).run(run_id)
    if run is None:
        return f"settlement run {run_id} is missing"
    if run.detail_key is None or run.detail_sha256 is None:
        return None if recorded is None else f"settlement run {run_id} no longer records its detail file"
    if recorded is not None and run.detail_sha256 != recorded:
        return f"the detail file hash of settlement run {run_id} no longer matches its audit link"
    try:
        check_file(store_of(session), run.detail_key, run.detail_sha256)
    except DetailFileDamaged as exc:
        return f"settlement run {run_id}: {exc.detail}"
    return None
