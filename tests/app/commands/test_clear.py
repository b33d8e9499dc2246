"""``ftr clear`` end to end through ``app.cli.main``: outputs, and errors that name file, row and column."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from auction.bids import Bid
from auction.clearing import clear_auction
from feasibility.progress import Phase, ProgressEvent
from network.examples import three_bus
from network.json_format import dump_network_json
from network.matpower import matpower_case_path

BIDS = (
    "bid_id,participant,source,sink,mw,price\n"
    "B1,P,1,3,100,10\n"
    "B2,P,2,3,100,8\n"
    "B3,Q,3,1,30,1\n"
    "B4,R,1,3,40,10\n"
)


@pytest.fixture
def net_file(tmp_path: Path) -> Path:
    path = tmp_path / "three_bus.json"
    path.write_text(json.dumps(dump_network_json(three_bus())))
    return path


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


class TestClearCommand:
    def test_worked_example_files(
        self, tmp_path: Path, net_file: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        out = tmp_path / "out"
        code = main(
            [
                "clear",
                "--network",
                str(net_file),
                "--bids",
                str(write(tmp_path, "bids.csv", BIDS)),
                "--out",
                str(out),
            ]
        )
        assert code == 0
        awards = {r["id"]: r for r in read_csv(out / "awards.csv")}
        assert list(read_csv(out / "awards.csv")[0]) == [
            "id",
            "participant",
            "source",
            "sink",
            "mw_awarded",
            "price",
        ]
        assert {k: float(v["mw_awarded"]) for k, v in awards.items()} == {
            "B1": 50.0,
            "B2": 100.0,
            "B3": 30.0,
            "B4": 20.0,
        }
        assert float(awards["B3"]["price"]) == pytest.approx(-10.0, abs=1e-9)
        prices = {r["node"]: float(r["price"]) for r in read_csv(out / "nodal_prices.csv")}
        assert prices == pytest.approx({"1": -10.0, "2": -5.0, "3": 0.0}, abs=1e-9)
        (row,) = read_csv(out / "constraints.csv")
        assert row["branch_id"] == "1-3" and row["contingency_id"] == "" and row["direction"] == "1"
        assert float(row["shadow_price"]) == pytest.approx(15.0, abs=1e-9)
        assert float(row["limit"]) == 60.0
        summary = json.loads((out / "summary.json").read_text())
        assert summary["surplus"] == pytest.approx(1530.0, abs=1e-6)
        assert summary["auction_revenue"] == pytest.approx(900.0, abs=1e-6)
        assert summary["input_hash"].startswith("sha256:")
        assert summary["input_files"]["bids"]["sha256"].startswith("sha256:")
        assert summary["solver"]["name"].startswith("HiGHS")
        assert "optimal" in capsys.readouterr().out

    def test_offers_held_outages_loop_flow_and_contingencies(self, tmp_path: Path, net_file: Path) -> None:
        out = tmp_path / "out"
        args = [
            "clear",
            "--network",
            str(net_file),
            "--bids",
            str(write(tmp_path, "bids.csv", BIDS)),
            "--offers",
            str(write(tmp_path, "offers.csv", "offer_id,participant,source,sink,mw,price\nO1,H,1,3,21,6\n")),
            "--held",
            str(write(tmp_path, "held.csv", "holder,source,sink,mw\nK,2,3,3\n")),
            "--contingencies",
            str(write(tmp_path, "cont.csv", "contingency_id,branch_id\nC12,1-2\n")),
            "--loop-flow",
            str(write(tmp_path, "loop.csv", "constraint_id,mw\n2-3,5\n")),
            "--out",
            str(out),
        ]
        assert main(args) == 0
        summary = json.loads((out / "summary.json").read_text())
        assert summary["counts"]["offers"] == 1 and summary["counts"]["held"] == 1
        assert summary["counts"]["contingencies"] == 1
        assert summary["checks"]["awards_feasible"] is True
        assert summary["checks"]["revenue_identity_ok"] is True
        assert set(summary["input_files"]) == {
            "network",
            "bids",
            "offers",
            "held",
            "contingencies",
            "loop_flow",
        }

    @pytest.mark.parametrize(
        ("name", "text"),
        [
            (
                "contab.m",
                "function t = contab\nt = [\n  4  0  CT_TBRCH  1  BR_STATUS  CT_REP  0;\n];\n",
            ),
            (
                "contab.csv",
                "label,probability,table,row,column,change_type,new_value\n4,0,3,1,11,1,0\n",
            ),
        ],
    )
    def test_matpower_change_table_as_contingencies(
        self, tmp_path: Path, net_file: Path, name: str, text: str
    ) -> None:
        out = tmp_path / "out"
        args = ["clear", "--network", str(net_file), "--bids", str(write(tmp_path, "bids.csv", BIDS))]
        args += ["--contingencies", str(write(tmp_path, name, text)), "--out", str(out)]
        assert main(args) == 0
        summary = json.loads((out / "summary.json").read_text())
        assert summary["counts"]["contingencies"] == 1
        assert summary["input_files"]["contingencies"]["name"] == name
        assert summary["checks"]["awards_feasible"] is True

    def test_a_refused_change_table_row_exits_2(
        self, tmp_path: Path, net_file: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        out = tmp_path / "out"
        table = "label,probability,table,row,column,change_type,new_value\n4,0,CT_TBUS,1,2,CT_REP,0\n"
        args = ["clear", "--network", str(net_file), "--bids", str(write(tmp_path, "bids.csv", BIDS))]
        args += ["--contingencies", str(write(tmp_path, "tab.csv", table)), "--out", str(out)]
        assert main(args) == 2
        assert "tab.csv, row 2, column 'table'" in capsys.readouterr().err
        assert not out.exists()

    def test_generator_outages_are_read_reported_and_not_secured(
        self, tmp_path: Path, net_file: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        header = "label,probability,table,row,column,change_type,new_value\n"
        out = tmp_path / "out"
        args = ["clear", "--network", str(net_file), "--bids", str(write(tmp_path, "bids.csv", BIDS))]
        mixed = header + "4,0,3,1,11,1,0\n4,0,CT_TGEN,1,GEN_STATUS,CT_REP,0\n5,0,CT_TGEN,2,8,1,0\n"
        assert (
            main([*args, "--contingencies", str(write(tmp_path, "mixed.csv", mixed)), "--out", str(out)]) == 0
        )
        summary = json.loads((out / "summary.json").read_text())
        assert summary["counts"]["contingencies"] == 1  # label 5 holds generator outages only
        assert "mixed.csv: 2 generator outage rows read and not secured" in capsys.readouterr().err
        only = header + "5,0,CT_TGEN,2,8,1,0\n"
        other = tmp_path / "other"
        assert (
            main([*args, "--contingencies", str(write(tmp_path, "gen.csv", only)), "--out", str(other)]) == 2
        )
        assert "gen.csv: the change table has no branch outage" in capsys.readouterr().err
        assert not other.exists()

    def test_cache_budget_is_recorded_and_gives_the_same_awards(self, tmp_path: Path) -> None:
        bids = "bid_id,participant,source,sink,mw,price\nX1,P,1,9,250,4\nX2,P,3,5,200,3\nX3,Q,9,1,80,1\n"
        bids_path = write(tmp_path, "bids.csv", bids)
        awards = {}
        for mib in ("0", "2048"):
            out = tmp_path / f"out{mib}"
            args = ["clear", "--network", str(matpower_case_path("case9")), "--bids", str(bids_path)]
            assert main([*args, "--contingencies", "all", "--cache-mib", mib, "--out", str(out)]) == 0
            summary = json.loads((out / "summary.json").read_text())
            assert summary["solver"]["options"]["sensitivity_cache_mib"] == int(mib)
            awards[mib] = (out / "awards.csv").read_text()
        assert awards["0"] == awards["2048"]

    @pytest.mark.parametrize("option", ["option", "OPT", "Option"])
    def test_held_and_offered_options(self, tmp_path: Path, net_file: Path, option: str) -> None:
        # a held 3->1 option makes no room on 1-3 (an obligation would); the offered 1->3 option
        # (20 MW adverse on 1-3) is sold at the option's price: B1 gets 60 + 30 = 90 MW at 10 $/MW
        out = tmp_path / "out"
        args = [
            "clear",
            "--network",
            str(net_file),
            "--bids",
            str(write(tmp_path, "bids.csv", "bid_id,participant,source,sink,mw,price\nB1,P,1,3,100,10\n")),
            "--offers",
            str(
                write(
                    tmp_path,
                    "offers.csv",
                    f"offer_id,participant,source,sink,mw,price,hedge\nO1,H,1,3,30,4,{option}\n",
                )
            ),
            "--held",
            str(write(tmp_path, "held.csv", f"holder,source,sink,mw,hedge\nK,3,1,30,{option}\n")),
            "--out",
            str(out),
        ]
        assert main(args) == 0
        awards = {r["id"]: (float(r["mw_awarded"]), float(r["price"])) for r in read_csv(out / "awards.csv")}
        assert set(awards) == {"B1", "O1"}
        assert awards["B1"] == pytest.approx((90.0, 10.0), abs=1e-9)
        assert awards["O1"] == pytest.approx((30.0, 10.0), abs=1e-9)
        summary = json.loads((out / "summary.json").read_text())
        assert summary["auction_revenue"] == pytest.approx(600.0, abs=1e-6)
        assert summary["checks"]["revenue_identity_ok"] is True

    def test_matpower_case_with_full_n_minus_1(self, tmp_path: Path) -> None:
        bids = (
            "bid_id,participant,source,sink,mw,price,hedge\n"
            "X1,P,1,9,250,4,obligation\n"
            "X2,P,3,5,200,3,option\n"
        )
        out = tmp_path / "out"
        code = main(
            [
                "clear",
                "--network",
                str(matpower_case_path("case9")),
                "--bids",
                str(write(tmp_path, "bids.csv", bids)),
                "--contingencies",
                "all",
                "--out",
                str(out),
            ]
        )
        assert code == 0
        summary = json.loads((out / "summary.json").read_text())
        assert summary["counts"]["buses"] == 9
        assert summary["checks"]["awards_feasible"] is True


class TestClearCommandErrors:
    @pytest.mark.parametrize(
        ("name", "text", "flag", "expected"),
        [
            (
                "bids.csv",
                "bid_id,participant,source,sink,mw,price\nB1,P,1,3,10.05,1\n",
                "--bids",
                "bids.csv, row 2, column 'mw'",
            ),
            (
                "bids.csv",
                "bid_id,participant,source,sink,mw,price\nB1,P,1,3,10,1\nB2,P,1,X,10,1\n",
                "--bids",
                "bids.csv, row 3, column 'sink'",
            ),
            (
                "bids.csv",
                "bid_id,participant,source,sink,mw,price\nB1,P,1,3,10,abc\n",
                "--bids",
                "bids.csv, row 2, column 'price'",
            ),
            (
                "bids.csv",
                "bid_id,participant,source,sink,mw\nB1,P,1,3,10\n",
                "--bids",
                "bids.csv, row 1, column 'price'",
            ),
            (
                "bids.csv",
                "bid_id,participant,source,sink,mw,price,hedge\nB1,P,1,3,10,1,swap\n",
                "--bids",
                "bids.csv, row 2, column 'hedge'",
            ),
            (
                "bids.csv",
                "bid_id,participant,source,sink,mw,price\nB1,P,1,3,10,1\nB1,P,2,3,10,1\n",
                "--bids",
                "bids.csv, row 3, column 'bid_id'",
            ),
            (
                "offers.csv",
                "offer_id,participant,source,sink,mw,price\nO1,H,1,1,10,1\n",
                "--offers",
                "offers.csv, row 2, column 'sink'",
            ),
            ("held.csv", "holder,source,sink,mw\nK,1,3,-5\n", "--held", "held.csv, row 2, column 'mw'"),
            (
                "held.csv",
                "holder,source,sink,mw,hedge\nK,1,3,5,option\nK,2,3,5,cap\n",
                "--held",
                "held.csv, row 3, column 'hedge'",
            ),
            (
                "offers.csv",
                "offer_id,participant,source,sink,mw,price,hedge\nO1,H,1,3,10,1,put\n",
                "--offers",
                "offers.csv, row 2, column 'hedge'",
            ),
            (
                "cont.csv",
                "contingency_id,branch_id\nC1,9-9\n",
                "--contingencies",
                "cont.csv, row 2, column 'branch_id'",
            ),
            ("out.csv", "branch_id\n1-2\n7-7\n", "--outages", "out.csv, row 3, column 'branch_id'"),
            (
                "loop.csv",
                "constraint_id,mw\nnope,5\n",
                "--loop-flow",
                "loop.csv, row 2, column 'constraint_id'",
            ),
        ],
    )
    def test_error_names_file_row_column_and_writes_nothing(
        self,
        tmp_path: Path,
        net_file: Path,
        capsys: pytest.CaptureFixture[str],
        name: str,
        text: str,
        flag: str,
        expected: str,
    ) -> None:
        out = tmp_path / "out"
        args = ["clear", "--network", str(net_file), "--out", str(out)]
        if flag != "--bids":
            args += ["--bids", str(write(tmp_path, "good_bids.csv", BIDS))]
        args += [flag, str(write(tmp_path, name, text))]
        assert main(args) == 2
        assert expected in capsys.readouterr().err
        assert not out.exists()

    def test_bad_network_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        net = write(tmp_path, "net.json", '{"format": "ftr-network", "version": 1}')
        out = tmp_path / "out"
        code = main(
            ["clear", "--network", str(net), "--bids", str(write(tmp_path, "b.csv", BIDS)), "--out", str(out)]
        )
        assert code == 2
        assert "net.json" in capsys.readouterr().err
        assert not out.exists()


class TestClearProgress:
    def test_one_line_per_phase_and_round_on_stderr_and_no_solver_banner(
        self, tmp_path: Path, net_file: Path
    ) -> None:
        # a fresh process: HiGHS prints its banner at the first instance a process creates
        out = tmp_path / "out"
        args = ["clear", "--network", str(net_file), "--bids", str(write(tmp_path, "bids.csv", BIDS))]
        args += ["--out", str(out)]
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from app.cli import main; sys.exit(main(sys.argv[1:]))",
                *args,
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert "HiGHS" not in done.stdout and "HiGHS" not in done.stderr
        lines = [line for line in done.stderr.splitlines() if line.startswith("ftr clear: ")]
        phases = [line.split()[2] for line in lines]
        # the worked example: the build, two LP rounds (1-3 found overloaded, then none), rounding, prices
        assert phases == ["build", "round", "round", "rounding", "prices"]
        assert "1 violated" in lines[1] and "0 violated" in lines[2]
        assert all("MiB" in line and " s, " in line for line in lines)


class TestProgressEvents:
    def test_events_carry_rounds_rows_and_objective(self) -> None:
        events: list[ProgressEvent] = []
        result = clear_auction(
            three_bus(),
            [Bid("B1", "P", "1", "3", 100.0, 10.0), Bid("B2", "P", "2", "3", 100.0, 8.0)],
            progress=events.append,
        )
        assert [e.phase for e in events] == [
            Phase.BUILD,
            Phase.ROUND,
            Phase.ROUND,
            Phase.ROUNDING,
            Phase.PRICES,
        ]
        assert [e.round for e in events] == [0, 1, 2, 2, 2]
        assert events[1].rows_added == 1 and events[2].rows_added == 0
        assert events[2].objective == pytest.approx(result.clearing.surplus, rel=1e-12)
        assert events[-1].objective == pytest.approx(result.summary["surplus"], rel=1e-12)
        assert all(e.bids_priced_in == 2 and e.peak_memory_mib > 0 for e in events)
        assert [e.elapsed_s for e in events] == sorted(e.elapsed_s for e in events)


class TestClearWarmStart:
    def test_warm_start_from_an_earlier_constraints_file(self, tmp_path: Path, net_file: Path) -> None:
        bids = str(write(tmp_path, "bids.csv", BIDS))
        first, second = tmp_path / "first", tmp_path / "second"
        assert main(["clear", "--network", str(net_file), "--bids", bids, "--out", str(first)]) == 0
        args = ["clear", "--network", str(net_file), "--bids", bids, "--out", str(second)]
        assert main([*args, "--warm-start", str(first / "constraints.csv"), "--bid-pricing"]) == 0
        assert read_csv(second / "awards.csv") == read_csv(first / "awards.csv")
        assert read_csv(second / "nodal_prices.csv") == read_csv(first / "nodal_prices.csv")
        summary = json.loads((second / "summary.json").read_text())
        assert summary["warm_start"] == {"rows_given": 1, "rows_used": 1}
        assert summary["iterations"] == 1
        assert summary["solver"]["options"]["price_columns"] is True
        assert summary["input_files"]["warm_start"]["name"] == "constraints.csv"

    def test_a_bad_direction_names_file_row_and_column(
        self, tmp_path: Path, net_file: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        warm = write(tmp_path, "warm.csv", "branch_id,contingency_id,direction\n1-3,,2\n")
        out = tmp_path / "out"
        args = ["clear", "--network", str(net_file), "--bids", str(write(tmp_path, "bids.csv", BIDS))]
        assert main([*args, "--warm-start", str(warm), "--out", str(out)]) == 2
        assert "warm.csv" in (err := capsys.readouterr().err) and "direction" in err and "row 2" in err
        assert not out.exists()


class TestClearClasses:
    def test_one_bids_file_per_class_writes_one_folder_per_class(
        self, tmp_path: Path, net_file: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        on = write(tmp_path, "onpeak.csv", BIDS)
        off = write(tmp_path, "offpeak.csv", "bid_id,participant,source,sink,mw,price\nC1,P,1,3,80,4\n")
        offers = write(
            tmp_path, "on_offers.csv", "offer_id,participant,source,sink,mw,price\nO1,H,1,3,21,6\n"
        )
        no_offers = write(tmp_path, "off_offers.csv", "offer_id,participant,source,sink,mw,price\n")
        out = tmp_path / "out"
        args = ["clear", "--network", str(net_file), "--bids", str(on), "--bids", str(off)]
        args += ["--offers", str(offers), "--offers", str(no_offers), "--processes", "1", "--out", str(out)]
        assert main(args) == 0
        alone = tmp_path / "alone"
        single = ["clear", "--network", str(net_file), "--bids", str(on), "--offers", str(offers)]
        assert main([*single, "--out", str(alone)]) == 0
        assert read_csv(out / "onpeak" / "awards.csv") == read_csv(alone / "awards.csv")
        off_awards = {r["id"]: float(r["mw_awarded"]) for r in read_csv(out / "offpeak" / "awards.csv")}
        assert off_awards == {"C1": 80.0}  # two thirds of it on 1-3 (rated 60 MW)
        summary = json.loads((out / "offpeak" / "summary.json").read_text())
        assert summary["input_files"]["bids"]["name"] == "offpeak.csv"
        assert summary["counts"]["offers"] == 0
        err = capsys.readouterr().err
        assert "ftr clear: onpeak: build" in err and "ftr clear: offpeak: prices" in err

    def test_offers_given_once_for_two_classes_is_an_error(
        self, tmp_path: Path, net_file: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        on = write(tmp_path, "onpeak.csv", BIDS)
        off = write(tmp_path, "offpeak.csv", BIDS)
        offers = write(tmp_path, "offers.csv", "offer_id,participant,source,sink,mw,price\n")
        out = tmp_path / "out"
        args = ["clear", "--network", str(net_file), "--bids", str(on), "--bids", str(off)]
        assert main([*args, "--offers", str(offers), "--out", str(out)]) == 2
        assert "--offers once per --bids" in capsys.readouterr().err
        assert not out.exists()
