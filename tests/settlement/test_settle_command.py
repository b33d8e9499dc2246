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
