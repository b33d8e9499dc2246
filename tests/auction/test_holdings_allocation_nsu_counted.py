"""OA 5.2.2(b) caps over the whole set for the period: designations of earlier applications counted
month by month, conflicting figures refused, and the review's admission hook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auction.allocation_applications import (
    Application,
    ApplicationKind,
    ApplicationState,
    review_applications,
    submit_application,
)
from auction.allocation_feasibility import FtrFlow
from auction.allocation_nsu import (
    CountedDesignation,
    NetworkResource,
    NsuDesignation,
    check_nsu_designations,
    check_nsu_term,
)
from auction.ledger_time import DeliveryMonth
from tests.auction.dc_flow_model import three_bus
from tests.auction.holdings_cases import ledger_with

JAN, FEB, MAR, APR = (DeliveryMonth(2027, m) for m in (1, 2, 3, 4))
G1 = NetworkResource("G1", "1", 1000)  # 100 MW installed
G2 = NetworkResource("G2", "2", 500)
RESOURCES = {"G1": G1, "G2": G2}
PEAK = {("U", "Z"): 800, ("V", "Z"): 800}  # 80 MW each


def new(i: str, mw: int, resource: str = "G1", user: str = "U", zone: str = "Z") -> NsuDesignation:
    return NsuDesignation(i, user, zone, resource, f"{user}-{zone}-load", mw)


def counted(
    source: str,
    mw: int,
    first: DeliveryMonth = JAN,
    last: DeliveryMonth = FEB,
    resource: NetworkResource = G1,
    user: str = "U",
    zone: str = "Z",
    peak: int = 800,
) -> CountedDesignation:
    return CountedDesignation(source, user, zone, resource, peak, mw, first, last)


class TestCountedForOnePeriod:
    def test_earlier_mw_of_the_same_user_and_zone_counts_against_its_peak_load(self) -> None:
        (v,) = check_nsu_designations([new("0", 300)], RESOURCES, PEAK, [counted("application 7", 501)])
        assert not v.accepted
        assert (
            "U in zone 'Z': 80.1 MW designated (30 MW here, 50.1 MW in application 7) exceeds its peak load "
            "of 80 MW (OA 5.2.2(b))" in v.reason
        )
        assert v.counted == ("application 7",)

    def test_exactly_at_both_caps_accepted(self) -> None:
        (v,) = check_nsu_designations([new("0", 300)], RESOURCES, PEAK, [counted("application 7", 500)])
        assert v.accepted and v.reason == "" and v.counted == ()

    def test_resource_cap_spans_users_zone_cap_does_not(self) -> None:
        # V's 70 MW on G1 leaves U 30 MW of G1, though U's own zone has room for 80.
        existing = [counted("application 3", 700, user="V")]
        (ok,) = check_nsu_designations([new("0", 300)], RESOURCES, PEAK, existing)
        (over,) = check_nsu_designations([new("0", 301)], RESOURCES, PEAK, existing)
        assert ok.accepted
        assert not over.accepted and over.counted == ("application 3",)
        assert "resource 'G1': 100.1 MW designated (30.1 MW here, 70 MW in application 3)" in over.reason
        assert "peak load" not in over.reason, "V's MW are not counted in U's zone"

    def test_mw_of_one_source_summed_and_named_once(self) -> None:
        existing = [counted("application 4", 200), counted("application 4", 200, resource=G2)]
        (v,) = check_nsu_designations([new("0", 401, "G2")], RESOURCES, PEAK, existing)
        assert "(40.1 MW here, 40 MW in application 4)" in v.reason  # zone: 20 + 20 from application 4
        assert v.counted == ("application 4",)

    def test_counted_mw_of_other_resources_and_zones_judge_nothing(self) -> None:
        existing = [counted("application 1", 5000, resource=NetworkResource("G9", "9", 10), zone="Y")]
        assert check_nsu_designations([new("0", 800)], RESOURCES, PEAK, existing)[0].accepted

    def test_a_different_installed_capacity_or_bus_is_a_conflict(self) -> None:
        other = NetworkResource("G1", "1", 1200)
        (v,) = check_nsu_designations(
            [new("0", 10)], RESOURCES, PEAK, [counted("application 2", 10, resource=other)]
        )
        assert not v.accepted and v.counted == ("application 2",)
        assert (
            "resource 'G1': stated here at point '1' with an installed capacity of 100 MW, but at point '1' "
            "with 120 MW in application 2 (one installed capacity per resource, OA 5.2.2(b))" in v.reason
        )
        moved = NetworkResource("G1", "2", 1000)
        (w,) = check_nsu_designations(
            [new("0", 10)], RESOURCES, PEAK, [counted("application 2", 10, resource=moved)]
        )
        assert not w.accepted and "at point '2' with 100 MW in application 2" in w.reason

    def test_a_different_peak_load_is_a_conflict(self) -> None:
        (v,) = check_nsu_designations(
            [new("0", 10)], RESOURCES, PEAK, [counted("application 5", 10, peak=900)]
        )
        assert not v.accepted
        assert "U in zone 'Z': peak load stated here as 80 MW, but 90 MW in application 5" in v.reason


class TestTerm:
    def test_non_overlapping_terms_do_not_count(self) -> None:
        existing = [counted("application 1", 800, JAN, FEB)]
        (v,) = check_nsu_term([new("0", 800)], RESOURCES, PEAK, MAR, APR, existing)
        assert v.accepted

    def test_each_month_counts_only_what_covers_it(self) -> None:
        # January: 50 (app 1); February: 50 + 30 (apps 1, 2); March: 30 (app 2). Cap 80.
        existing = [counted("application 1", 500, JAN, FEB), counted("application 2", 300, FEB, MAR)]
        assert [
            v.accepted for v in check_nsu_term([new("0", 0 + 1)], RESOURCES, PEAK, JAN, JAN, existing)
        ] == [True]
        (v,) = check_nsu_term([new("0", 1)], RESOURCES, PEAK, JAN, MAR, existing)
        assert not v.accepted
        assert v.reason == (
            "U in zone 'Z': 80.1 MW designated (0.1 MW here, 50 MW in application 1, 30 MW in application 2) "
            "exceeds its peak load of 80 MW (OA 5.2.2(b)) in 2027-02"
        )
        assert v.counted == ("application 1", "application 2")
        # Summing every overlapping term at once would refuse 30 MW; month by month it fits.
        (w,) = check_nsu_term([new("0", 300)], RESOURCES, PEAK, MAR, APR, existing)
        assert w.accepted

    def test_months_named_as_ranges_and_plain_reasons_once(self) -> None:
        existing = [counted("application 1", 800, FEB, MAR)]
        ds = [new("0", 1), new("1", 0, "G2", user="V")]
        v, zero = check_nsu_term(ds, RESOURCES, PEAK, JAN, APR, existing)
        assert v.reason == (
            "U in zone 'Z': 80.1 MW designated (0.1 MW here, 80 MW in application 1) exceeds its peak load "
            "of 80 MW (OA 5.2.2(b)) in 2027-02..2027-03"
        )
        assert zero.reason == "0 MW is not more than 0", "month-independent reasons are named once, plainly"

    def test_term_backwards_refused(self) -> None:
        with pytest.raises(ValueError, match="before it starts"):
            check_nsu_term([new("0", 1)], RESOURCES, PEAK, FEB, JAN)


MONTHS = [DeliveryMonth(2027, m) for m in range(1, 7)]
USERS = ("U", "V")
ZONES = ("Z", "Y")
CAPS = {(u, z): 600 for u in USERS for z in ZONES}

terms = st.tuples(st.integers(0, 5), st.integers(0, 5)).map(lambda t: (MONTHS[min(t)], MONTHS[max(t)]))
counted_ones = st.builds(
    lambda src, user, zone, res, mw, term: CountedDesignation(
        f"application {src}", user, zone, RESOURCES[res], 600, mw, term[0], term[1]
    ),
    st.integers(1, 4),
    st.sampled_from(USERS),
    st.sampled_from(ZONES),
    st.sampled_from(sorted(RESOURCES)),
    st.integers(1, 400),
    terms,
)
judged_ones = st.lists(
    st.tuples(
        st.sampled_from(USERS),
        st.sampled_from(ZONES),
        st.sampled_from(sorted(RESOURCES)),
        st.integers(1, 400),
    ),
    min_size=1,
    max_size=4,
)


class TestProperty:
    @given(judged_ones, st.lists(counted_ones, max_size=6), terms)
    def test_refused_exactly_when_a_month_of_the_term_is_over_a_cap(
        self,
        judged: list[tuple[str, str, str, int]],
        existing: list[CountedDesignation],
        term: tuple[DeliveryMonth, DeliveryMonth],
    ) -> None:
        ds = [NsuDesignation(str(i), u, z, r, f"{u}-{z}", mw) for i, (u, z, r, mw) in enumerate(judged)]
        verdicts = check_nsu_term(ds, RESOURCES, CAPS, term[0], term[1], existing)

        def over(d: NsuDesignation, month: DeliveryMonth) -> bool:
            live = [c for c in existing if c.first <= month <= c.last]
            on_resource = sum(x.mw_tenths for x in ds if x.resource_id == d.resource_id) + sum(
                c.mw_tenths for c in live if c.resource.resource_id == d.resource_id
            )
            in_zone = sum(x.mw_tenths for x in ds if (x.user, x.zone) == (d.user, d.zone)) + sum(
                c.mw_tenths for c in live if (c.user, c.zone) == (d.user, d.zone)
            )
            return (
                on_resource > RESOURCES[d.resource_id].installed_capacity_tenths
                or in_zone > CAPS[(d.user, d.zone)]
            )

        months = [m for m in MONTHS if term[0] <= m <= term[1]]
        for d, v in zip(ds, verdicts, strict=True):
            assert v.accepted == (not any(over(d, m) for m in months)), v.reason
        # An accepted set never takes a resource or a zone beyond its cap in any month.
        accepted = [d for d, v in zip(ds, verdicts, strict=True) if v.accepted]
        for m in months:
            live = [c for c in existing if c.first <= m <= c.last]
            for rid, res in RESOURCES.items():
                if any(d.resource_id == rid for d in accepted):
                    total = sum(d.mw_tenths for d in ds if d.resource_id == rid)
                    total += sum(c.mw_tenths for c in live if c.resource.resource_id == rid)
                    assert total <= res.installed_capacity_tenths


def nsu_app(i: str, mw: int) -> Application:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    return submit_application(i, "U", ApplicationKind.NSU_ALLOCATION, [FtrFlow("1", "3", mw)], JAN, JAN, at)


class TestReviewAdmission:
    def test_refusal_of_the_admission_rule_is_not_assigned_and_sees_those_assigned_before(self) -> None:
        seen: list[tuple[str, tuple[str, ...]]] = []

        def admit(app: Application, assigned: object) -> str:
            ids = tuple(a.application_id for a in assigned)  # type: ignore[attr-defined]
            seen.append((app.application_id, ids))
            return "over the cap" if app.application_id == "b" else ""

        at = datetime(2026, 12, 2, tzinfo=UTC)
        apps = [nsu_app("a", 100), nsu_app("b", 100), nsu_app("c", 100)]
        out = review_applications(apps, ledger_with(), three_bus(), JAN, at, at + timedelta(days=1), admit)
        assert [a.state for a in out.applications] == [
            ApplicationState.ASSIGNED,
            ApplicationState.NOT_ASSIGNED,
            ApplicationState.ASSIGNED,
        ]
        assert out.applications[1].reason == "over the cap"
        assert seen == [("a", ()), ("b", ("a",)), ("c", ("a",))]
        assert {p.reference for p in out.postings} == {"application:a", "application:c"}
