"""NSU allocation caps (OA 5.2.2(b)) and PTP assignment with the customer's elections (OA 5.2.2(c))."""

from __future__ import annotations

import pytest

from auction.allocation_nsu import NetworkResource, NsuDesignation, check_nsu_designations
from auction.allocation_ptp import Election, PtpAssignment, PtpElection, PtpReservation, ptp_assignments

RESOURCES = {
    "G1": NetworkResource("G1", "1", 1000),  # 100 MW installed
    "G2": NetworkResource("G2", "2", 500),
}
CAPS = {("LSE", "Z1"): 1200, ("LSE", "Z2"): 300}


def designation(i: str, resource: str, mw: int, zone: str = "Z1", user: str = "LSE") -> NsuDesignation:
    return NsuDesignation(i, user, zone, resource, f"{user}-{zone}-load", mw)


class TestNsu:
    def test_within_both_caps_accepted(self) -> None:
        ds = [designation("d1", "G1", 1000), designation("d2", "G2", 200)]
        assert [v.accepted for v in check_nsu_designations(ds, RESOURCES, CAPS)] == [True, True]

    def test_resource_over_installed_capacity_refuses_its_designations(self) -> None:
        ds = [
            designation("d1", "G1", 700),
            designation("d2", "G1", 301, zone="Z2"),
            designation("d3", "G2", 100),
        ]
        v = check_nsu_designations(ds, RESOURCES, CAPS)
        assert [x.accepted for x in v] == [False, False, True]
        assert "resource 'G1': 100.1 MW designated exceeds its installed capacity of 100 MW" in v[0].reason
        assert "OA 5.2.2(b)" in v[1].reason

    def test_zone_total_over_peak_load_refused(self) -> None:
        ds = [
            designation("d1", "G1", 200, "Z2"),
            designation("d2", "G2", 101, "Z2"),
            designation("d3", "G2", 5),
        ]
        v = check_nsu_designations(ds, RESOURCES, CAPS)
        assert [x.accepted for x in v] == [False, False, True]
        assert "LSE in zone 'Z2': 30.1 MW designated exceeds its peak load of 30 MW" in v[0].reason

    def test_unknown_resource_missing_zone_and_zero_mw_named(self) -> None:
        ds = [designation("d1", "G9", 10), designation("d2", "G1", 10, "Z9"), designation("d3", "G1", 0)]
        v = check_nsu_designations(ds, RESOURCES, CAPS)
        assert "resource 'G9' is not a designated network resource" in v[0].reason
        assert "no peak load is recorded for LSE in zone 'Z9'" in v[1].reason
        assert "0 MW is not more than 0" in v[2].reason

    def test_duplicate_ids_refused(self) -> None:
        with pytest.raises(ValueError, match="unique"):
            check_nsu_designations([designation("d", "G1", 1), designation("d", "G2", 1)], RESOURCES, CAPS)


RES = (
    PtpReservation("R1", "cust", "1", "3", 400),
    PtpReservation("R1", "cust", "2", "3", 150),
    PtpReservation("R2", "cust2", "3", "1", 100),
)


class TestPtp:
    def test_default_assigns_the_firm_mw_of_every_pair(self) -> None:
        assert ptp_assignments(RES, {}) == (
            PtpAssignment("R1", "cust", "1", "3", 400),
            PtpAssignment("R1", "cust", "2", "3", 150),
            PtpAssignment("R2", "cust2", "3", "1", 100),
        )

    def test_decline_all(self) -> None:
        out = ptp_assignments(RES, {"R1": PtpElection("R1", Election.DECLINE_ALL)})
        assert [a.reservation_id for a in out] == ["R2"]

    def test_only_some_points(self) -> None:
        out = ptp_assignments(RES, {"R1": PtpElection("R1", Election.ONLY, frozenset({("2", "3")}))})
        assert [(a.source, a.sink, a.mw_tenths) for a in out] == [("2", "3", 150), ("3", "1", 100)]

    def test_bad_elections_named(self) -> None:
        with pytest.raises(ValueError, match="unknown reservation 'R9'"):
            ptp_assignments(RES, {"R9": PtpElection("R9", Election.DECLINE_ALL)})
        with pytest.raises(ValueError, match=r"R1: election names pairs it does not have: \[\('3', '2'\)\]"):
            ptp_assignments(RES, {"R1": PtpElection("R1", Election.ONLY, frozenset({("3", "2")}))})
        with pytest.raises(ValueError, match="only with the only election"):
            ptp_assignments(RES, {"R1": PtpElection("R1", Election.DECLINE_ALL, frozenset({("1", "3")}))})
