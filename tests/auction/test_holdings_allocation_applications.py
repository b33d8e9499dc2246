"""Pending applications reviewed before an auction (OA 7.3.3): assign, refuse, defer, withdraw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from auction.allocation_applications import (
    Application,
    ApplicationKind,
    ApplicationState,
    ApplicationStateError,
    defer_application,
    review_applications,
    submit_application,
    withdraw_application,
)
from auction.allocation_feasibility import FtrFlow
from auction.ledger import Origin, PeriodClass
from auction.ledger_queries import Holding, holdings_at
from auction.ledger_time import DeliveryMonth
from tests.auction.dc_flow_model import three_bus
from tests.auction.holdings_cases import AUGUST, JULY, grant, hour, key, ledger_with

T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)
OPENS = datetime(2026, 6, 10, 4, tzinfo=UTC)


def app(i: str, mw: int, source: str = "1", last: DeliveryMonth = AUGUST) -> Application:
    return submit_application(
        i, f"cust-{i}", ApplicationKind.PTP_ASSIGNMENT, [FtrFlow(source, "3", mw)], JULY, last, T0
    )


class TestReview:
    def test_first_come_first_assigned_then_refused_with_the_binding_constraint(self) -> None:
        # Outstanding on-peak 1->3 30 MW: 20 MW on 1-3; off-peak nothing.
        led = ledger_with(grant("A", key(), 300))
        apps = [app("a1", 450), app("a2", 150)]  # a1: +30 MW on 1-3 (50 on-peak); a2: +10 more -> 60
        apps.append(app("a3", 10))  # one more MW-tenth would make 60.67 on-peak
        out = review_applications(apps, led, three_bus(), JULY, T0 + timedelta(days=1), OPENS)
        states = [a.state for a in out.applications]
        assert states == [ApplicationState.ASSIGNED, ApplicationState.ASSIGNED, ApplicationState.NOT_ASSIGNED]
        assert (
            "on_peak: not simultaneously feasible: constraint 1-3 (base case, forward)"
            in out.applications[2].reason
        )
        assert "OA 7.3.3(b)" in out.applications[2].reason
        # Postings: both classes, both months of the term, from each month's first hour.
        led = led.append(out.postings)
        assert Holding("cust-a1", key(), 450) in holdings_at(led, hour(JULY, 0))
        off_aug = key(AUGUST, period_class=PeriodClass.OFF_PEAK)
        assert Holding("cust-a2", off_aug, 150) in holdings_at(led, hour(AUGUST, 0))
        assert {p.origin for p in out.postings} == {Origin.PTP_ASSIGNMENT}
        assert len(out.postings) == 2 * 2 * 2

    def test_late_review_not_assigned_for_the_period(self) -> None:
        out = review_applications([app("a1", 10)], ledger_with(), three_bus(), JULY, OPENS, OPENS)
        (a,) = out.applications
        assert a.state is ApplicationState.NOT_ASSIGNED
        assert "not completed before the bid window opened" in a.reason
        assert out.postings == ()

    def test_other_periods_and_states_untouched(self) -> None:
        a = withdraw_application(app("a1", 10), T0)
        out = review_applications([a], ledger_with(), three_bus(), JULY, T0, OPENS)
        assert out.applications == (a,)


class TestApplicantChoices:
    def test_defer_to_the_next_period_then_assigned_there(self) -> None:
        refused = review_applications(
            [app("a1", 10)], ledger_with(), three_bus(), JULY, OPENS, OPENS
        ).applications[0]
        deferred = defer_application(refused, OPENS + timedelta(hours=1))
        assert (deferred.state, deferred.period) == (ApplicationState.PENDING, AUGUST)
        out = review_applications(
            [deferred],
            ledger_with(),
            three_bus(),
            AUGUST,
            T0 + timedelta(days=31),
            datetime(2026, 7, 10, 4, tzinfo=UTC),
        )
        assert out.applications[0].state is ApplicationState.ASSIGNED
        assert {p.key.month for p in out.postings} == {AUGUST}
        assert [e.state for e in out.applications[0].events] == [
            ApplicationState.PENDING,
            ApplicationState.NOT_ASSIGNED,
            ApplicationState.PENDING,
            ApplicationState.ASSIGNED,
        ]

    def test_withdraw_or_defer_only_when_allowed(self) -> None:
        refused = review_applications(
            [app("a1", 10, last=JULY)], ledger_with(), three_bus(), JULY, OPENS, OPENS
        ).applications[0]
        with pytest.raises(ApplicationStateError, match="term ends with 2026-07"):
            defer_application(refused, OPENS)
        assert withdraw_application(refused, OPENS).state is ApplicationState.WITHDRAWN
        with pytest.raises(ApplicationStateError, match="is pending: cannot become pending"):
            defer_application(app("a2", 10), OPENS)

    def test_malformed_applications_refused(self) -> None:
        with pytest.raises(ValueError, match="no FTR"):
            submit_application("x", "c", ApplicationKind.NSU_ALLOCATION, [], JULY, JULY, T0)
        with pytest.raises(ValueError, match="before 2026-08"):
            submit_application(
                "x", "c", ApplicationKind.NSU_ALLOCATION, [FtrFlow("1", "3", 1)], AUGUST, JULY, T0
            )
