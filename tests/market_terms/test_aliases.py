"""The names users write for period classes and hedge types (ISO spellings, any case)."""

from __future__ import annotations

import pytest

from market_terms import Hedge, PeriodClass, parse_hedge, parse_period_class


class TestPeriodClass:
    @pytest.mark.parametrize("text", ["on_peak", "onpeak", "ONPEAK", "on-peak", "On-Peak", "peak", " PEAK "])
    def test_on_peak_spellings(self, text: str) -> None:
        assert parse_period_class(text) is PeriodClass.ON_PEAK

    @pytest.mark.parametrize("text", ["off_peak", "offpeak", "OFFPEAK", "off-peak", "Off_Peak"])
    def test_off_peak_spellings(self, text: str) -> None:
        assert parse_period_class(text) is PeriodClass.OFF_PEAK

    @pytest.mark.parametrize("text", ["", "weekend", "24h", "offpeak2", "on peak", "7x8"])
    def test_others_refused_with_the_accepted_list(self, text: str) -> None:
        accepted = "accepted \\(any case\\): on_peak, onpeak, on-peak, peak, off_peak, offpeak, off-peak"
        with pytest.raises(ValueError, match=accepted):
            parse_period_class(text)


class TestHedge:
    @pytest.mark.parametrize(
        ("text", "hedge"),
        [
            ("obligation", Hedge.OBLIGATION),
            ("OBL", Hedge.OBLIGATION),
            ("Obligation", Hedge.OBLIGATION),
            ("option", Hedge.OPTION),
            ("OPT", Hedge.OPTION),
            ("opt", Hedge.OPTION),
        ],
    )
    def test_spellings(self, text: str, hedge: Hedge) -> None:
        assert parse_hedge(text) is hedge

    @pytest.mark.parametrize("text", ["", "swap", "options", "ob"])
    def test_others_refused_with_the_accepted_list(self, text: str) -> None:
        with pytest.raises(ValueError, match="accepted \\(any case\\): obligation, obl, option, opt"):
            parse_hedge(text)
