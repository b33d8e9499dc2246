"""The states and kinds of a job."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)


class JobKind(StrEnum):
    CLEARING = "clearing"
    SETTLEMENT = "settlement"
    FORECAST = "forecast"
