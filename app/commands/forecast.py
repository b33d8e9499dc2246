"""``ftr forecast``: the revenue-adequacy forecast of a cleared auction, run here and stored (OA 7.4).

    ftr forecast --auction ID --operator NAME [--scenarios SCEN.json] [--n-auto N]
                 [--auto-probability P] [--top-n N] [--seed S] [--json OUT.json]

Works on ``DATABASE_URL`` like the service: the forecast is stored as a forecast job of the auction
(``GET /api/v1/forecast-jobs/{id}`` shows it) and printed: expected and worst payout ratio per
class, the constraints causing shortfalls, the FTRs most exposed. ``SCEN.json`` is the OI's list,
``[{"id": ..., "branch_ids": [...], "probability": ...}, ...]``; without it, single outages of the
``N`` branches collecting the most congestion rent. Exit 0 when the forecast succeeded, 1 when the
engine failed (the job records why), 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pydantic import ValidationError

from api_schemas.forecast import ForecastReportPublic, ForecastRequest
from app.clock import SystemClock
from app.commands.runtime import command_engine, report
from app.db import transaction
from app.errors import ServiceError
from app.forecast.flows import create_forecast_job
from app.forecast.report import report_public
from app.jobs import run_job
from app.jobs.repository import JobRepository
from app.participants.repository import ParticipantRepository
from app.participants.roles import Role


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("forecast", help="revenue-adequacy forecast of a cleared auction")
    parser.add_argument("--auction", type=int, required=True, help="id of a cleared, not yet posted auction")
    parser.add_argument("--operator", required=True, help="name of the OI participant requesting it")
    parser.add_argument("--scenarios", help="JSON list of {id, branch_ids, probability}")
    parser.add_argument("--n-auto", dest="n_auto", type=int, default=5)
    parser.add_argument("--auto-probability", dest="auto_probability", type=float, default=0.05)
    parser.add_argument("--top-n", dest="top_n", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", dest="json_out", help="also write the report to this JSON file")
    parser.set_defaults(func=run)


def _request(args: argparse.Namespace) -> ForecastRequest:
    body: dict[str, object] = {
        "n_auto": args.n_auto,
        "auto_probability": args.auto_probability,
        "top_n": args.top_n,
        "seed": args.seed,
    }
    if args.scenarios:
        path = Path(args.scenarios)
        try:
            body["scenarios"] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path.name}: cannot be read as JSON ({exc})") from None
    return ForecastRequest.model_validate(body)


def render(rep: ForecastReportPublic) -> list[str]:
    """The report as lines of text: ratios per class, shortfall causes, most exposed FTRs."""
    lines = [
        f"{len(rep.scenarios)} scenarios x {rep.hours} hours (seed {rep.seed})",
        "payout ratio per class:",
    ]
    for c in rep.classes:
        lines.append(
            f"  {c.period_class:<9} expected {c.expected_month_end_ratio:.4f} (hourly "
            f"{c.expected_hourly_ratio:.4f}), worst {c.worst_month_end_ratio:.4f} "
            f"in {c.worst_scenario_id!r}; target allocation {c.expected_target_allocation:,.2f} $, "
            f"shortfall {c.expected_shortfall:,.2f} $"
        )
    lines.append("constraints causing shortfalls ($):" if rep.causes else "no shortfall in any scenario")
    for k in rep.causes:
        where = f" under {k.contingency_id}" if k.contingency_id else ""
        lines.append(
            f"  {k.constraint_id}{where}: expected {k.expected_contribution:,.2f}, worst "
            f"{k.worst_contribution:,.2f} in {k.worst_scenario_id!r} ({k.shortfall_hours} hours)"
        )
    lines.append("FTRs most exposed ($):")
    for e in rep.exposed:
        lines.append(
            f"  {e.ftr_id}: target {e.expected_target_allocation:,.2f}, credit {e.expected_credit:,.2f}, "
            f"shortfall expected {e.expected_shortfall:,.2f}, worst {e.worst_shortfall:,.2f}"
        )
    return lines


def run(args: argparse.Namespace) -> int:
    try:
        request = _request(args)
    except (ValueError, ValidationError) as exc:
        print(f"ftr forecast: {exc}", file=sys.stderr)
        return 2
    engine = command_engine()
    clock = SystemClock()
    try:
        with transaction(engine) as session:
            operator = ParticipantRepository(session).get_by_name(args.operator)
            if operator is None or operator.role != Role.OPERATOR.value or operator.id is None:
                print(f"error: {args.operator!r} is not an operator participant", file=sys.stderr)
                return 2
            job = create_forecast_job(
                session, auction_id=args.auction, request=request, requested_by=operator.id, clock=clock
            )
            job_id = job.id
            assert job_id is not None
        print(f"forecast job {job_id} for auction {args.auction}: simulating the month ...", flush=True)
        run_job(engine, clock, job_id)
        with transaction(engine) as session:
            done = JobRepository(session).get(job_id)
            assert done is not None
            status, error, document = done.status, done.error, done.result
    except ServiceError as exc:
        return report(exc)
    finally:
        engine.dispose()
    if document is None:
        print(f"ftr forecast: job {job_id} {status}: {error}", file=sys.stderr)
        return 1
    for line in render(report_public(document)):
        print(line)
    if args.json_out:
        Path(args.json_out).write_text(document, encoding="utf-8")
    return 0
