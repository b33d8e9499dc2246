"""Stored applications to wire schemas."""

from __future__ import annotations

import json

from api_schemas.applications import (
    ApplicationEventPublic,
    ApplicationFtr,
    ApplicationKindName,
    ApplicationPublic,
)
from app.applications.tables import FtrApplication
from app.units import from_tenths


def application_public(row: FtrApplication) -> ApplicationPublic:
    assert row.id is not None
    events = json.loads(row.events)
    return ApplicationPublic(
        id=row.id,
        applicant_id=row.applicant_id,
        kind=ApplicationKindName(row.kind),
        period=f"{row.period_year:04d}-{row.period_month:02d}",
        last_month=f"{row.last_year:04d}-{row.last_month:02d}",
        ftrs=[ApplicationFtr(source=s, sink=t, mw=from_tenths(mw)) for s, t, mw in json.loads(row.ftrs)],
        state=row.state,
        reason=events[-1]["note"] if events else "",
        events=[ApplicationEventPublic(**e) for e in events],
    )
