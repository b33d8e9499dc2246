"""Forecast job rows -> wire types."""

from __future__ import annotations

import json
from datetime import datetime

from api_schemas.clearing import JobStatusName
from api_schemas.forecast import ForecastJobPublic, ForecastRequest
from app.forecast.report import report_public
from app.jobs import Job


def forecast_job_public(job: Job, now: datetime) -> ForecastJobPublic:
    assert job.id is not None and job.auction_id is not None and job.parameters is not None
    end = job.finished_at or (now if job.started_at else None)
    elapsed = (end - job.started_at).total_seconds() if job.started_at and end else None
    return ForecastJobPublic(
        id=job.id,
        auction_id=job.auction_id,
        status=JobStatusName(job.status),
        progress=job.progress,
        elapsed_s=elapsed,
        log=[line for line in job.log.splitlines() if line],
        error=job.error,
        parameters=ForecastRequest.model_validate(json.loads(job.parameters)),
        report=report_public(job.result) if job.result else None,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )
