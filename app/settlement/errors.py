"""Settlement errors (subclasses of :mod:`app.errors`, so they become RFC 9457 problems).

Conflict (409)
├── MonthOutOfOrder          OA 5.2.6(b): months of a year settle in order
├── SettlementJobRunning     one settlement job per year at a time
└── NotSettled               the month (or December, for year end) has no settled run
Unprocessable (422)
└── MissingInputs            a required input table has not been uploaded
ServiceError (500)
└── DetailFileDamaged        a run's detail file is missing or does not match its hash
"""

from __future__ import annotations

from app.errors import Conflict, ServiceError, Unprocessable


class MonthOutOfOrder(Conflict):
    slug = "month-out-of-order"
    title = "Months of a year settle in order"


class SettlementJobRunning(Conflict):
    slug = "settlement-job-running"
    title = "A settlement job for this year is already queued or running"


class NotSettled(Conflict):
    slug = "not-settled"
    title = "The month is not settled"


class MissingInputs(Unprocessable):
    slug = "missing-inputs"
    title = "Required settlement inputs are missing"


class DetailFileDamaged(ServiceError):
    """A run's per-FTR-hour file is missing or its bytes no longer hash to the recorded sha256."""

    status = 500
    slug = "settlement-detail-damaged"
    title = "The settlement run's detail file is missing or changed"
