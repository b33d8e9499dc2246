"""MATPOWER import: identities, ratings, taps and the errors for bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from network.constraints import monitored_constraints
from network.errors import CaseFormatError
from network.matpower import load_matpower, matpower_case_path

CASE = """function mpc = tiny
mpc.version = '2';
mpc.baseMVA = 100;
mpc.bus = [
\t10\t3\t0\t0\t0\t0\t1\t1\t0\t230\t1\t1.1\t0.9;
\t20\t2\t50\t0\t0\t0\t1\t1\t0\t230\t1\t1.1\t0.9;
\t30\t1\t70\t0\t0\t0\t1\t1\t0\t230\t1\t1.1\t0.9;
];
mpc.gen = [
\t20\t60\t0\t100\t-100\t1\t100\t1\t150\t10\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0;
];
mpc.branch = [
\t10\t20\t0\t0.1\t0\t100\t110\t0\t0\t0\t1\t-360\t360;
\t20\t30\t0\t0.2\t0\t0\t0\t0\t0.98\t5\t1\t-360\t360;
\t10\t30\t0\t{x3}\t0\t80\t0\t95\t0\t0\t{st3}\t-360\t360;
];
mpc.gencost = [
\t2\t0\t0\t3\t0.01\t20\t5;
];
"""


def write_case(tmp_path: Path, x3: str = "0.1", st3: str = "1", bus2: str = "20") -> Path:
    text = CASE.format(x3=x3, st3=st3).replace("\t10\t20\t0\t0.1", f"\t10\t{bus2}\t0\t0.1")
    path = tmp_path / "tiny.m"
    path.write_text(text)
    return path


class TestTinyCase:
    def test_identities_and_ratings(self, tmp_path: Path) -> None:
        net = load_matpower(write_case(tmp_path))
        assert net.name == "tiny"
        assert net.bus_ids == ("10", "20", "30")
        assert net.branch_ids == ("1", "2", "3")
        assert net.reference_bus == "10"
        np.testing.assert_allclose(net.bus_demand_mw, [0, 50, 70])
        assert net.rate_normal_mw[0] == 100 and np.isnan(net.rate_normal_mw[1])
        # emergency: RATE_C, else RATE_B, else RATE_A
        np.testing.assert_allclose(net.rate_emergency_mw[[0, 2]], [110, 95])
        assert net.tap_ratio[1] == pytest.approx(0.98) and net.phase_shift_deg[1] == 5
        gen = net.generators[0]
        assert (gen.bus_id, gen.pmax_mw, gen.cost_c2, gen.cost_c1, gen.cost_c0) == ("20", 150, 0.01, 20, 5)
        assert monitored_constraints(net).ids == ("1", "3")

    def test_zero_reactance_in_service_rejected_with_row(self, tmp_path: Path) -> None:
        with pytest.raises(CaseFormatError, match=r"row 3.*BR_X.*zero"):
            load_matpower(write_case(tmp_path, x3="0"))

    def test_zero_reactance_out_of_service_accepted(self, tmp_path: Path) -> None:
        net = load_matpower(write_case(tmp_path, x3="0", st3="0"))
        assert not net.in_service[2]

    def test_bus_and_branch_names(self, tmp_path: Path) -> None:
        path = write_case(tmp_path)
        names = "mpc.bus_name = {\n\t'ALPHA 230';\n\t'BETA';\n\t'GAMMA 115';\n};\n"
        path.write_text(path.read_text() + names + "mpc.branch_name = {\n\t'A-B';\n\t'';\n\t'A-G';\n};\n")
        net = load_matpower(path)
        assert net.bus_ids == ("10", "20", "30")
        assert net.bus_names == ("ALPHA 230", "BETA", "GAMMA 115")
        assert net.branch_name("1") == "A-B" and net.branch_name("2") is None
        assert load_matpower(write_case(tmp_path)).bus_names == ()

    def test_unknown_bus_named(self, tmp_path: Path) -> None:
        with pytest.raises(CaseFormatError, match=r"row 1, column T_BUS: unknown bus 99"):
            load_matpower(write_case(tmp_path, bus2="99"))

    def test_not_a_case(self, tmp_path: Path) -> None:
        bad = tmp_path / "notes.m"
        bad.write_text("this is not a case\n")
        with pytest.raises(CaseFormatError, match=r"notes\.m"):
            load_matpower(bad)
        with pytest.raises(CaseFormatError, match="no such case file"):
            load_matpower(tmp_path / "missing.m")


class TestShippedCases:
    def test_case118_has_no_ratings(self) -> None:
        net = load_matpower(matpower_case_path("case118"))
        assert (net.n_buses, net.n_branches) == (118, 186)
        assert np.isnan(net.rate_normal_mw).all()
        assert monitored_constraints(net).n_constraints == 0

    def test_case300_negative_reactance_kept(self) -> None:
        net = load_matpower(matpower_case_path("case300"))
        assert (net.reactance_pu < 0).sum() == 1

    def test_unknown_case_name(self) -> None:
        with pytest.raises(CaseFormatError, match="no MATPOWER case"):
            matpower_case_path("case_nope")
