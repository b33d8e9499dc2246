"""MATPOWER change tables (``contab``) read as branch-outage contingencies (network.contab)."""

from __future__ import annotations

from pathlib import Path

import pytest

from network.contab import (
    ContabError,
    GeneratorOutage,
    is_contab_csv,
    parse_contab,
    read_contab,
    read_contab_table,
)
from network.examples import three_bus
from network.matpower import load_matpower, matpower_case_path
from network.model import Contingency

M_FILE = """function chgtab = contab_small
%CONTAB_SMALL  a hand-built change table for the three-bus example
define_constants;
%	label	prob	table	row	col	chgtype	newval
chgtab = [
	1	0.01	CT_TBRCH	1	BR_STATUS	CT_REP	0;   %% branch 1-2
	2	0.02	3	2	11	1	0;
	2	0.02	CT_TBRCH	3	BR_STATUS	CT_REP	0;
	7	0	CT_TBRCH	3	BR_STATUS	CT_REP	0;
];
"""

HEADER = "label,probability,table,row,column,change_type,new_value\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


class TestRead:
    def test_m_function_groups_rows_by_label(self, tmp_path: Path) -> None:
        conts = read_contab(write(tmp_path, "contab_small.m", M_FILE), three_bus())
        assert conts == [
            Contingency("1", ("1-2",)),
            Contingency("2", ("2-3", "1-3")),
            Contingency("7", ("1-3",)),
        ]

    def test_csv_with_names_or_numbers(self, tmp_path: Path) -> None:
        text = HEADER + "5,0.1,CT_TBRCH,2,BR_STATUS,CT_REP,0\n5,0.1,3,1,11,1,0\n6,0,3,3,11,1,0\n"
        path = write(tmp_path, "cont.csv", text)
        assert is_contab_csv(path)
        assert read_contab(path, three_bus()) == [
            Contingency("5", ("2-3", "1-2")),
            Contingency("6", ("1-3",)),
        ]

    def test_our_contingency_csv_is_not_a_change_table(self, tmp_path: Path) -> None:
        assert not is_contab_csv(write(tmp_path, "c.csv", "contingency_id,branch_id\nC,1-2\n"))

    def test_matpower_shipped_table_matches_its_case(self) -> None:
        net = load_matpower(matpower_case_path("case_ACTIVSg200"))
        path = matpower_case_path("contab_ACTIVSg200")
        conts = read_contab(path, net)
        rows = [ln for ln in path.read_text().splitlines() if ln.startswith("\t") and "CT_TBRCH" in ln]
        assert sum(len(c.branch_ids) for c in conts) == len(rows)
        first = rows[0].split()
        assert conts[0] == Contingency(first[0], (first[3],))


class TestRefused:
    @pytest.mark.parametrize(
        ("line", "column", "expected"),
        [
            ("1,0,CT_TBUS,2,8,CT_REP,0", "table", "CT_TBRCH (3) for a branch outage or CT_TGEN (2)"),
            ("1,0,CT_TLOAD,2,8,CT_REP,0", "table", "CT_TBRCH (3) for a branch outage or CT_TGEN (2)"),
            ("1,0,CT_TBRCH,2,RATE_A,CT_REP,0", "column", "not a number or a known name"),
            ("1,0,CT_TBRCH,2,6,CT_REP,0", "column", "expected BR_STATUS (11)"),
            ("1,0,CT_TBRCH,2,GEN_STATUS,CT_REP,0", "column", "expected BR_STATUS (11)"),
            ("1,0,CT_TGEN,2,BR_STATUS,CT_REP,0", "column", "expected GEN_STATUS (8)"),
            ("1,0,CT_TGEN,2,PG,CT_REP,0", "column", "not a number or a known name"),
            ("1,0,CT_TGEN,2,GEN_STATUS,CT_REL,0", "change_type", "only replaced values"),
            ("1,0,CT_TGEN,2,GEN_STATUS,CT_REP,1", "new_value", "only outages"),
            ("1,0,CT_TGEN,0,GEN_STATUS,CT_REP,0", "row", "not a generator row (1 or more)"),
            ("1,0,CT_TBRCH,2,BR_STATUS,CT_REL,0", "change_type", "only replaced values"),
            ("1,0,CT_TBRCH,2,BR_STATUS,2,0", "change_type", "only replaced values"),
            ("1,0,CT_TBRCH,2,BR_STATUS,CT_REP,1", "new_value", "only outages"),
            ("1,0,CT_TBRCH,0,BR_STATUS,CT_REP,0", "row", "not a branch row (1..3)"),
            ("1,0,CT_TBRCH,4,BR_STATUS,CT_REP,0", "row", "not a branch row (1..3)"),
            ("1,1.5,CT_TBRCH,1,BR_STATUS,CT_REP,0", "probability", "not in [0, 1]"),
            ("x,0,CT_TBRCH,1,BR_STATUS,CT_REP,0", "label", "not a number"),
        ],
    )
    def test_csv_error_names_file_row_and_column(
        self, tmp_path: Path, line: str, column: str, expected: str
    ) -> None:
        path = write(tmp_path, "tab.csv", HEADER + "9,0,CT_TBRCH,1,BR_STATUS,CT_REP,0\n" + line + "\n")
        with pytest.raises(ContabError) as err:
            read_contab(path, three_bus())
        assert (err.value.file, err.value.line, err.value.column) == ("tab.csv", 3, column)
        assert f"tab.csv, row 3, column {column!r}" in str(err.value)
        assert expected in str(err.value)

    def test_m_error_names_the_line_of_the_file(self, tmp_path: Path) -> None:
        text = M_FILE.replace("7\t0\tCT_TBRCH\t3", "7\t0\tCT_TBUS\t3")
        with pytest.raises(ContabError, match=r"contab_small\.m, row 9, column 'table'"):
            read_contab(write(tmp_path, "contab_small.m", text), three_bus())

    def test_short_row_and_bad_header_and_other_files(self, tmp_path: Path) -> None:
        with pytest.raises(ContabError, match=r"t\.csv, row 2: 3 values"):
            read_contab(write(tmp_path, "t.csv", HEADER + "1,0,3\n"), three_bus())
        with pytest.raises(ContabError, match=r"h\.csv, row 1: header must be"):
            read_contab(write(tmp_path, "h.csv", "label,probability,table\n"), three_bus())
        with pytest.raises(ContabError, match=r"x\.txt: a change table must be"):
            read_contab(write(tmp_path, "x.txt", HEADER), three_bus())
        with pytest.raises(ContabError, match=r"n\.m: no change table"):
            read_contab(write(tmp_path, "n.m", "function x = n\nx = 1;\n"), three_bus())
        with pytest.raises(ContabError, match=r"u\.m, row 3: the change table's '\['"):
            read_contab(write(tmp_path, "u.m", "function t = u\nt = [\n1 0 3 1 11 1 0;\n"), three_bus())
        with pytest.raises(ContabError, match="listed twice"):
            read_contab(write(tmp_path, "d.csv", HEADER + "1,0,3,1,11,1,0\n1,0,3,1,11,1,0\n"), three_bus())


class TestGeneratorOutages:
    """CT_TGEN rows are read and checked but not secured: a generator outage leaves the DC network an
    FTR's flows run on (PTDF, LODF) unchanged, so its post-contingency limit is the base case's."""

    def test_generator_rows_are_returned_apart_and_form_no_contingency(self) -> None:
        text = (
            HEADER + "1,0,CT_TBRCH,1,BR_STATUS,CT_REP,0\n1,0,CT_TGEN,4,GEN_STATUS,CT_REP,0\n2,0,2,1,8,1,0\n"
        )
        table = parse_contab("mixed.csv", text, three_bus())
        assert table.contingencies == (Contingency("1", ("1-2",)),)
        assert table.generator_outages == (GeneratorOutage("1", 4, 3), GeneratorOutage("2", 1, 4))
        assert table.generator_only_labels == ("2",)

    def test_only_generator_rows_is_refused(self) -> None:
        with pytest.raises(ContabError, match=r"g\.csv: the change table has no branch outage"):
            parse_contab("g.csv", HEADER + "2,0,CT_TGEN,1,GEN_STATUS,CT_REP,0\n", three_bus())

    def test_generator_row_checked_against_the_case(self) -> None:
        net = load_matpower(matpower_case_path("case_ACTIVSg500"))
        text = HEADER + "1,0,3,1,11,1,0\n2,0,CT_TGEN,91,GEN_STATUS,CT_REP,0\n"
        with pytest.raises(
            ContabError, match=r"x\.csv, row 3, column 'row': '91' is not a generator row \(1\.\.90\)"
        ):
            parse_contab("x.csv", text, net)

    def test_matpower_table_with_generator_outages_reads(self) -> None:
        net = load_matpower(matpower_case_path("case_ACTIVSg500"))
        path = matpower_case_path("contab_ACTIVSg500")
        table = read_contab_table(path, net)
        rows = path.read_text().splitlines()
        assert len(table.generator_outages) == sum("CT_TGEN" in ln for ln in rows if ln.startswith("\t"))
        assert len(table.generator_outages) > 0
        assert len(table.contingencies) == sum("CT_TBRCH" in ln for ln in rows if ln.startswith("\t"))
        assert read_contab(path, net) == list(table.contingencies)
