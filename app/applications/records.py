"""Stored applications <-> the pure application machine (:mod:`auction.allocation_applications`).

A row's ``details`` (JSON) keeps what the rules need (designations, reservations, election) with the
figures they were judged on; :func:`application_of` rebuilds the pure :class:`Application`,
:func:`store_application` writes one back, :func:`counted_designations` reads the designations an
earlier application holds against the caps.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.applications.tables import FtrApplication
from app.holdings.ledger_mapping import holder_name
from app.units import to_tenths
from auction.allocation_applications import (
    Application,
    ApplicationEvent,
    ApplicationKind,
    ApplicationState,
)
from auction.allocation_feasibility import FtrFlow
from auction.allocation_nsu import CountedDesignation, NetworkResource
from auction.ledger_time import DeliveryMonth

# The states whose designations hold MW against the OA 5.2.2(b) caps; withdrawn and
# not-assigned applications hold none (a deferred one holds again from its new period).
COUNTED_STATES = (ApplicationState.PENDING.value, ApplicationState.ASSIGNED.value)


def _ftrs_of(row: FtrApplication) -> tuple[FtrFlow, ...]:
    return tuple(FtrFlow(s, t, mw) for s, t, mw in json.loads(row.ftrs))


def application_of(row: FtrApplication) -> Application:
    assert row.id is not None
    events = tuple(
        ApplicationEvent(
            ApplicationState(e["state"]),
            datetime.fromisoformat(e["at"]),
            DeliveryMonth.parse(e["period"]),
            e["note"],
        )
        for e in json.loads(row.events)
    )
    return Application(
        str(row.id),
        holder_name(row.applicant_id),
        ApplicationKind(row.kind),
        _ftrs_of(row),
        DeliveryMonth(row.period_year, row.period_month),
        DeliveryMonth(row.last_year, row.last_month),
        ApplicationState(row.state),
        events,
    )


def store_application(row: FtrApplication, app: Application, now: datetime) -> None:
    row.state = app.state.value
    row.period_year, row.period_month = app.period.year, app.period.month
    row.ftrs = json.dumps([[f.source, f.sink, f.mw_tenths] for f in app.ftrs], separators=(",", ":"))
    row.events = json.dumps(
        [
            {"state": e.state.value, "at": e.at.isoformat(), "period": str(e.period), "note": e.note}
            for e in app.events
        ],
        separators=(",", ":"),
    )
    row.updated_at = now


def applicant_name(applicant_id: int) -> str:
    return f"participant {applicant_id}"


def application_source(application_id: int) -> str:
    return f"application {application_id}"


def resource_of(d: dict[str, Any]) -> NetworkResource:
    capacity = to_tenths(as_decimal(d["installed_capacity"]))
    return NetworkResource(d["resource_id"], d["resource_point"], capacity)


def counted_designations(row: FtrApplication) -> tuple[CountedDesignation, ...]:
    """A stored NSU application's designations, as MW counted against the caps over its term."""
    assert row.id is not None
    first = DeliveryMonth(row.period_year, row.period_month)
    last = DeliveryMonth(row.last_year, row.last_month)
    return tuple(
        CountedDesignation(
            application_source(row.id),
            applicant_name(row.applicant_id),
            d["zone"],
            resource_of(d),
            to_tenths(as_decimal(d["peak_load"])),
            to_tenths(as_decimal(d["mw"])),
            first,
            last,
        )
        for d in json.loads(row.details)["designations"]
    )


def as_decimal(value: Any) -> Decimal:
    """A JSON number of ``details`` as the exact Decimal it was written from."""
    return Decimal(str(value))
