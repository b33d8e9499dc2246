"""``ftr settle`` end to end through :func:`app.cli.main`, on the docs/rules.md settlement example."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from app.cli import main
from market_calendar import EPT, month_hour_index

FTRS = "ftr_id,holder,source,sink,mw,class,hedge\nf-p,P,1,3,50,on_peak,obligation\n"
FTRS += "f-q,Q,2,3,100,on_peak,obligation\nf-r,R,3,1,30,on_peak,obligation\n"
H1 = datetime(2026, 1, 5, 14, tzinfo=UTC)
H2 = datetime(2026, 1, 5, 15, tzinfo=UTC)
H3 = datetime(2026, 1, 5, 16, tzinfo=UTC)
M2H1 = datetime(2026, 2, 2, 14, tzinfo=UTC)


PRICES = {1: {H1: (20.0, 25.0, 35.0), H2: (20.0, 30.0, 50.0)}, 2: {M2H1: (10.0, 10.0, 40.0)}}
DA = {1: {H1: 1375.0, H2: 2340.0}, 2: {M2H1: 4000.0}}


@cache
def _month_texts(month: int) -> dict[str, str]:
    """CSV texts of the example month (built once): prices in EPT offsets, RT 100 $ over h3's intervals."""
    hours = month_hour_index(2026, month)
    local = [h.isoformat() for h in hours.tz_convert(EPT)]  # -05:00 / -04:00, as a user would write
    special = {hours.get_loc(pd.Timestamp(h)): p for h, p in PRICES[month].items()}
    rows = [
        f"{local[i]},{n},{p}"
        for i in range(len(hours))
        for n, p in zip(("1", "2", "3"), special.get(i, (30.0, 30.0, 30.0)), strict=True)
    ]
    da = {hours.get_loc(pd.Timestamp(h)): a for h, a in DA[month].items()}
    charges = [f"{h.isoformat()},{da.get(i, 0.0)}" for i, h in enumerate(hours)]
    ends = pd.date_range(hours[0] - pd.Timedelta(minutes=55), hours[-1], freq="5min")
    in_h3 = (ends > pd.Timestamp(H3) - pd.Timedelta(hours=1)) & (ends <= pd.Timestamp(H3))
    rt = [f"{e.isoformat()},{100 / 12 if flag else 0.0!r}" for e, flag in zip(ends, in_h3, strict=True)]
    return {
        "ftrs.csv": FTRS,
        "prices.csv": "hour_ending,node,price\n" + "\n".join(rows) + "\n",
        "charges.csv": "hour_ending,da_congestion\n" + "\n".join(charges) + "\n",
        "rt.csv": "interval_ending,rt_congestion\n" + "\n".join(rt) + "\n",
    }


def _write_month(folder: Path, month: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in _month_texts(month).items():
        (folder / name).write_text(text)


def _args(folder: Path, out: Path, state: Path | None = None) -> list[str]:
    args = ["settle", "--ftrs", str(folder / "ftrs.csv"), "--prices", str(folder / "prices.csv")]
    args += ["--charges", str(folder / "charges.csv"), "--rt-congestion", str(folder / "rt.csv")]
    if state is not None:
        args += ["--year-state", str(state)]
    return [*args, "--out", str(out)]


@pytest.fixture
def month1(tmp_path: Path) -> Path:
    folder = tmp_path / "m1"
    _write_month(folder, 1)
    return folder


class TestSettleCommand:
    def test_two_months_reproduce_the_domain_example(self, month1: Path, tmp_path: Path) -> None:
        out1 = tmp_path / "out1"
        assert main(_args(month1, out1)) == 0
        monthly = pd.read_csv(out1 / "monthly.csv").set_index("holder")
        assert list(monthly.columns) == [
            "target_allocation",
            "credit",
            "monthly_distribution",
            "annual_distribution",
        ]
        assert monthly["target_allocation"].to_dict() == {"P": 2250.0, "Q": 3000.0, "R": -1350.0}
        assert monthly["credit"].to_dict() == {"P": 2100.0, "Q": 2800.0, "R": -1260.0}
        assert monthly["monthly_distribution"].to_dict() == {"P": 75.0, "Q": 100.0, "R": 0.0}
        hourly = pd.read_csv(out1 / "hourly.csv")
        assert list(hourly.columns) == ["hour_ending", "holder", "target_allocation", "credit"]
        h2 = hourly[hourly["hour_ending"] == pd.Timestamp(H2).isoformat()].set_index("holder")["credit"]
        assert h2.to_dict() == {"P": 1350.0, "Q": 1800.0, "R": -810.0}
        summary = json.loads((out1 / "summary.json").read_text())
        assert summary["excess"] == 175.0 and summary["charges"]["rt_congestion"] == 100.0

        folder2 = tmp_path / "m2"
        _write_month(folder2, 2)
        (folder2 / "rt.csv").unlink()
        out2 = tmp_path / "out2"
        args = _args(folder2, out2, out1 / "year_state.json")
        args.remove("--rt-congestion")
        args.remove(str(folder2 / "rt.csv"))
        assert main(args) == 0
        monthly2 = pd.read_csv(out2 / "monthly.csv").set_index("holder")
        assert monthly2["annual_distribution"].to_dict() == {"P": 75.0, "Q": 100.0, "R": 0.0}
        summary2 = json.loads((out2 / "summary.json").read_text())
        assert summary2["carried_to_year_end"] == 225.0
        assert json.loads((out2 / "year_state.json").read_text())["last_month"] == 2

    def test_bad_ftr_row_names_file_row_column_and_writes_nothing(
        self, month1: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        (month1 / "ftrs.csv").write_text(FTRS.replace("f-q,Q,2,3,100", "f-q,Q,2,3,lots"))
        out = tmp_path / "out"
        assert main(_args(month1, out)) == 2
        err = capsys.readouterr().err
        assert f"{month1 / 'ftrs.csv'}, row 2 (line 3), column 'mw'" in err
        assert not out.exists()

    def test_iso_spellings_settle_like_the_canonical_names(self, month1: Path, tmp_path: Path) -> None:
        spelled = FTRS.replace("on_peak,obligation", "ONPEAK,OBL", 1)
        (month1 / "ftrs.csv").write_text(spelled.replace("on_peak,obligation", "on-peak,Obligation"))
        out = tmp_path / "out"
        assert main(_args(month1, out)) == 0
        monthly = pd.read_csv(out / "monthly.csv").set_index("holder")
        assert monthly["target_allocation"].to_dict() == {"P": 2250.0, "Q": 3000.0, "R": -1350.0}

    @pytest.mark.parametrize(
        ("bad", "column", "accepted"),
        [
            ("weekend,obligation", "class", "on_peak, onpeak, on-peak, peak, off_peak, offpeak, off-peak"),
            ("on_peak,swap", "hedge", "obligation, obl, option, opt"),
        ],
    )
    def test_unknown_spelling_names_the_accepted_list(
        self,
        month1: Path,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        bad: str,
        column: str,
        accepted: str,
    ) -> None:
        bad_row = FTRS.replace("f-r,R,3,1,30,on_peak,obligation", f"f-r,R,3,1,30,{bad}")
        (month1 / "ftrs.csv").write_text(bad_row)
        out = tmp_path / "out"
        assert main(_args(month1, out)) == 2
        err = capsys.readouterr().err
        assert f"{month1 / 'ftrs.csv'}, row 3 (line 4), column {column!r}" in err and accepted in err
        assert not out.exists()

    def test_missing_rt_interval_is_an_error(
        self, month1: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        lines = (month1 / "rt.csv").read_text().splitlines()
        (month1 / "rt.csv").write_text("\n".join(lines[:10] + lines[11:]) + "\n")
        out = tmp_path / "out"
        assert main(_args(month1, out)) == 2
        assert (
            "no 5-minute amount for the interval ending 2026-01-01T05:50:00+00:00" in capsys.readouterr().err
        )
        assert not out.exists()

    def test_naive_time_is_rejected(
        self, month1: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        text = (
            (month1 / "charges.csv").read_text().replace("2026-01-01T06:00:00+00:00", "2026-01-01T06:00:00")
        )
        (month1 / "charges.csv").write_text(text)
        assert main(_args(month1, tmp_path / "out")) == 2
        assert "charges.csv, row 1 (line 2), column 'hour_ending'" in capsys.readouterr().err

    def test_duplicate_price_row(
        self, month1: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        lines = (month1 / "prices.csv").read_text().splitlines()
        (month1 / "prices.csv").write_text("\n".join([*lines, lines[1]]) + "\n")
        assert main(_args(month1, tmp_path / "out")) == 2
        err = capsys.readouterr().err
        assert (
            f"{month1 / 'prices.csv'}, row {len(lines)} (line {len(lines) + 1}), column 'hour_ending'" in err
        )

    def test_year_state_out_of_order(
        self, month1: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        state = tmp_path / "state.json"
        state.write_text(
            json.dumps(
                {
                    "format": "ftr-settlement-year-state/1",
                    "year": 2026,
                    "last_month": 3,
                    "carried_excess": 0.0,
                    "holders": {},
                }
            )
        )
        assert main(_args(month1, tmp_path / "out", state)) == 2
        assert "months settle in order" in capsys.readouterr().err

    def test_missing_column(self, month1: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        (month1 / "charges.csv").write_text("hour_ending,da\n")
        assert main(_args(month1, tmp_path / "out")) == 2
        assert "missing column 'da_congestion'" in capsys.readouterr().err

    def test_garbage_time(self, month1: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        text = (month1 / "rt.csv").read_text().replace("2026-01-01T05:10:00+00:00", "soon+00:00")
        (month1 / "rt.csv").write_text(text)
        assert main(_args(month1, tmp_path / "out")) == 2
        assert "rt.csv, row 2 (line 3), column 'interval_ending': 'soon+00:00' is not an ISO 8601 time" in (
            capsys.readouterr().err
        )

    def test_loop_flow_column_is_added_to_charges(self, month1: Path, tmp_path: Path) -> None:
        lines = (month1 / "charges.csv").read_text().splitlines()
        body = [f"{line},1.5" for line in lines[1:]]
        (month1 / "charges.csv").write_text("\n".join([lines[0] + ",loop_flow_compensation", *body]) + "\n")
        out = tmp_path / "out"
        assert main(_args(month1, out)) == 0
        summary = json.loads((out / "summary.json").read_text())
        assert summary["charges"]["loop_flow_compensation"] == 1.5 * 744
        # h2 stays short (2341.5 < 2600): its 1.5 raises credits; the other 743 hours' 1.5 is excess.
        assert summary["excess"] == 175.0 + 1.5 * 743
        assert summary["credits"] == 3640.0 + 1.5

    def test_stray_hour_from_another_month_is_named(
        self, month1: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        lines = (month1 / "prices.csv").read_text().splitlines()
        stray = "2025-12-31T23:00:00-05:00,1,30.0"
        (month1 / "prices.csv").write_text("\n".join([lines[0], stray, *lines[1:]]) + "\n")
        assert main(_args(month1, tmp_path / "out")) == 2
        err = capsys.readouterr().err
        assert (
            "prices.csv, row 1 (line 2), column 'hour_ending': hour_ending 2026-01-01T04:00:00+00:00" in err
        )


def _forfeiture_files(folder: Path, *, binding: str = "1-3") -> list[str]:
    """P bids virtually at its FTR's source 1 in H1, where 1-3 binds and the DA spread beats the RT one."""
    from network.examples import three_bus
    from network.json_format import dump_network_json

    hours = month_hour_index(2026, 1)
    rt = ["hour_ending,node,price"] + [f"{h.isoformat()},{n},30" for h in hours for n in ("1", "2", "3")]
    (folder / "rt_prices.csv").write_text("\n".join(rt) + "\n")
    (folder / "virtual.csv").write_text(f"participant_id,node,hour_ending,mw\nP,1,{H1.isoformat()},10\n")
    (folder / "binding.csv").write_text(
        f"hour_ending,constraint_id,shadow_price\n{H1.isoformat()},{binding},15\n"
    )
    (folder / "net.json").write_text(json.dumps(dump_network_json(three_bus())))
    (folder / "ftrs.csv").write_text(FTRS.replace("on_peak,obligation\nf-q", "on_peak,obligation,10\nf-q"))
    text = (folder / "ftrs.csv").read_text().splitlines()
    (folder / "ftrs.csv").write_text("\n".join([text[0] + ",auction_price_per_mw", *text[1:]]) + "\n")
    return [
        "--rt-prices",
        str(folder / "rt_prices.csv"),
        "--virtual-bids",
        str(folder / "virtual.csv"),
        "--binding-constraints",
        str(folder / "binding.csv"),
        "--network",
        str(folder / "net.json"),
    ]


def _december(folder: Path) -> list[str]:
    """December 2026 at flat prices (no target allocation) with 1000 $ of DA congestion: all excess."""
    folder.mkdir(parents=True, exist_ok=True)
    hours = month_hour_index(2026, 12)
    prices = ["hour_ending,node,price"] + [f"{h.isoformat()},{n},30" for h in hours for n in ("1", "2", "3")]
    charges = ["hour_ending,da_congestion"] + [
        f"{h.isoformat()},{1000 if i == 0 else 0}" for i, h in enumerate(hours)
    ]
    (folder / "prices.csv").write_text("\n".join(prices) + "\n")
    (folder / "charges.csv").write_text("\n".join(charges) + "\n")
    (folder / "ftrs.csv").write_text(FTRS)
    args = ["settle", "--ftrs", str(folder / "ftrs.csv"), "--prices", str(folder / "prices.csv")]
    return [*args, "--charges", str(folder / "charges.csv")]


class TestServiceInputs:
    """Forfeiture (OA 5.2.1(b),(c)) and year-end (OA 5.2.6(c)) inputs, read by the service's reader."""

    def test_virtual_bid_at_the_source_caps_the_target_allocation(self, month1: Path, tmp_path: Path) -> None:
        plain, forfeit = tmp_path / "plain", tmp_path / "forfeit"
        extra = _forfeiture_files(month1)
        assert main(_args(month1, plain)) == 0
        assert main([*_args(month1, forfeit), *extra]) == 0
        before = pd.read_csv(plain / "monthly.csv").set_index("holder")["target_allocation"]
        after = pd.read_csv(forfeit / "monthly.csv").set_index("holder")["target_allocation"]
        cap = 50 * 10 / len(month_hour_index(2026, 1))  # MW x price paid / hours in the month
        assert before["P"] - after["P"] == pytest.approx(750.0 - cap, abs=0.01)
        assert after["Q"] == before["Q"] and after["R"] == before["R"], "only P placed a virtual bid"

    def test_partial_forfeiture_inputs_are_refused(
        self, month1: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        extra = _forfeiture_files(month1)
        out = tmp_path / "out"
        assert main([*_args(month1, out), *extra[:2]]) == 2
        err = capsys.readouterr().err
        assert "needs --virtual-bids, --binding-constraints, --network too" in err
        assert not out.exists()

    def test_bad_virtual_bid_cells_name_file_row_and_column(
        self, month1: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        extra = _forfeiture_files(month1)
        rows = f"participant_id,node,hour_ending,mw\nP,1,{H1.isoformat()},10\nP,1,2026-01-05T09:00:00,-1\n"
        (month1 / "virtual.csv").write_text(rows)
        out = tmp_path / "out"
        assert main([*_args(month1, out), *extra]) == 2
        err = capsys.readouterr().err
        where = f"{month1 / 'virtual.csv'}, row 2 (line 3), column"
        assert (
            f"{where} 'hour_ending': '2026-01-05T09:00:00' is not an ISO 8601 time with a UTC offset" in err
        )
        assert f"{where} 'mw': '-1' must be > 0" in err
        assert not out.exists()

    def test_unknown_binding_constraint_is_named(
        self, month1: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        extra = _forfeiture_files(month1, binding="9-9")
        assert main([*_args(month1, tmp_path / "out"), *extra]) == 2
        err = capsys.readouterr().err
        assert f"{month1 / 'binding.csv'}, row 1 (line 2), column 'constraint_id': '9-9'" in err

    def test_year_end_charges_share_the_carried_excess(self, tmp_path: Path) -> None:
        args = _december(tmp_path / "dec")
        (tmp_path / "year_end.csv").write_text(
            "participant_id,network_demand_charges,reserved_capacity_charges\nA,300,0\nB,50,50\n"
        )
        out = tmp_path / "out"
        assert main([*args, "--year-end-charges", str(tmp_path / "year_end.csv"), "--out", str(out)]) == 0
        carried = json.loads((out / "summary.json").read_text())["carried_to_year_end"]
        shares = pd.read_csv(out / "year_end.csv").set_index("participant_id")["amount"]
        assert carried > 0
        assert shares["A"] == pytest.approx(0.75 * carried, abs=0.01)
        assert shares["B"] == pytest.approx(0.25 * carried, abs=0.01)

    def test_year_end_charges_need_december(
        self, month1: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        (tmp_path / "year_end.csv").write_text(
            "participant_id,network_demand_charges,reserved_capacity_charges\nA,300,0\n"
        )
        out = tmp_path / "out"
        assert main([*_args(month1, out), "--year-end-charges", str(tmp_path / "year_end.csv")]) == 2
        assert "needs December; the month settled is 2026-01" in capsys.readouterr().err
        assert not out.exists()

    def test_bad_year_end_cell_named(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        args = _december(tmp_path / "dec")
        path = tmp_path / "year_end.csv"
        path.write_text("participant_id,network_demand_charges,reserved_capacity_charges\nA,lots,0\n")
        assert main([*args, "--year-end-charges", str(path), "--out", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err
        assert (
            f"{path}, row 1 (line 2), column 'network_demand_charges': 'lots' is not a finite number" in err
        )


class TestTemplates:
    @pytest.mark.parametrize(
        "kind",
        ["ftrs", "prices", "charges", "rt_congestion", "rt_prices", "virtual_bids", "binding_constraints"],
    )
    def test_each_template_reads_back(
        self, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        from app.commands.settle import TEMPLATES
        from app.settlement.csv_format import read_settlement_csv

        assert main(["settle", "--template", kind]) == 0
        text = capsys.readouterr().out
        frame = read_settlement_csv(text.encode())
        assert tuple(frame.columns) == TEMPLATES[kind] and len(frame) == 1

    @pytest.mark.parametrize("kind", ["rt_prices", "virtual_bids", "binding_constraints", "year_end_charges"])
    def test_service_templates_pass_the_service_reader(
        self, kind: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        from app.settlement.csv_format import read_settlement_csv
        from app.settlement.input_kinds import InputKind
        from app.settlement.upload import canonical_table

        assert main(["settle", "--template", kind]) == 0
        frame = read_settlement_csv(capsys.readouterr().out.encode())
        table = canonical_table(
            InputKind(kind), frame, year=2026, month=1, source_format="csv", participants=None
        )
        assert len(table.frame) == 1

    def test_inputs_are_required_without_a_template(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["settle", "--ftrs", "f.csv"]) == 2
        assert "--prices, --charges, --out required" in capsys.readouterr().err
