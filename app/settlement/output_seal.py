"""The hash of a settlement run's stored output, recorded in the audit chain and recomputed later.

``output_hash = sha256(canonical({"run_id", "hours": [...], "holders": [...]}))`` over the run's
``settlement_hour`` rows ``[hour_ending, period_class, da_congestion_cents, rt_congestion_cents,
loop_flow_cents, charges_cents, target_allocation_cents, credit_cents, excess_cents, payout_ratio,
case]`` and ``settlement_holder_month`` rows ``[participant_id, target_allocation_cents,
credit_cents, forfeited_cents, monthly_distribution_cents, annual_distribution_cents,
payout_ratio]``, each list sorted; ratios as strings with twelve places (the column scale). It goes
into the ``settlement.run`` link (one per run); :mod:`app.audit_verify` recomputes it from the
tables. The per-FTR-hour detail is not part of it.
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from app.audit_chain import canonical_json, sha256_hex
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
