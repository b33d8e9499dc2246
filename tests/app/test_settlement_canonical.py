"""The canonical form of an input table: the content hash ignores spelling, never the values."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import ValidationFailed
from app.settlement.input_kinds import InputKind
from app.settlement.upload import canonical_table
from market_calendar import month_hour_index

HOURS = month_hour_index(2027, 3)
amounts = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=4, allow_nan=False)


def _table(texts: list[str], amounts_text: list[str]) -> str:
    frame = pd.DataFrame({"hour_ending": texts, "da_congestion": amounts_text}, dtype=object)
    return canonical_table(
        InputKind.DA_CONGESTION,
        frame,
        year=2027,
        month=3,
        source_format="csv",
        participants=lambda ids: set(ids),
    ).content_hash


@settings(max_examples=40, deadline=None)
@given(st.lists(amounts, min_size=3, max_size=3), st.sampled_from(["+00:00", "Z", "-05:00"]))
def test_spelling_does_not_change_the_hash(values: list[Decimal], zone: str) -> None:
    stamps = list(HOURS[:3])
    plain = _table([t.isoformat() for t in stamps], [str(v) for v in values])
    shifted = [t.tz_convert("Etc/GMT+5") if zone == "-05:00" else t for t in stamps]
    spelled = [t.isoformat().replace("+00:00", "Z") if zone == "Z" else t.isoformat() for t in shifted]
    padded = [f" {v:f}0 " if "." in f"{v:f}" else f" {v:f}.0 " for v in values]
    assert _table(spelled, padded) == plain


@settings(max_examples=40, deadline=None)
@given(st.lists(amounts, min_size=2, max_size=2, unique=True))
def test_different_values_different_hash(values: list[Decimal]) -> None:
    stamps = [t.isoformat() for t in HOURS[:2]]
    assert _table(stamps, [str(values[0]), str(values[1])]) != _table(
        stamps, [str(values[1]), str(values[0])]
    )


def _holdings(period_class: str, hedge: str) -> pd.DataFrame:
    row = {
        "holding_id": "h1",
        "participant_id": "7",
        "source": "1",
        "sink": "3",
        "period_class": period_class,
        "hedge": hedge,
        "acquisition": "auction",
        "mw": "10",
    }
    return pd.DataFrame([row], dtype=object)


def _canonical_holdings(frame: pd.DataFrame) -> pd.DataFrame:
    return canonical_table(
        InputKind.HOLDINGS, frame, year=2027, month=3, source_format="csv", participants=lambda ids: set(ids)
    ).frame


def test_iso_spellings_are_stored_canonically_with_the_same_hash() -> None:
    plain = canonical_table(
        InputKind.HOLDINGS,
        _holdings("off_peak", "option"),
        year=2027,
        month=3,
        source_format="csv",
        participants=lambda ids: set(ids),
    )
    spelled = canonical_table(
        InputKind.HOLDINGS,
        _holdings("OFFPEAK", "OPT"),
        year=2027,
        month=3,
        source_format="csv",
        participants=lambda ids: set(ids),
    )
    assert spelled.frame.loc[0, ["period_class", "hedge"]].tolist() == ["off_peak", "option"]
    assert spelled.content_hash == plain.content_hash


def test_unknown_spelling_refused_with_the_accepted_list() -> None:
    with pytest.raises(ValidationFailed) as caught:
        _canonical_holdings(_holdings("weekend", "swap"))
    reasons = {e.field: e.reason for e in caught.value.errors}
    assert "on_peak, onpeak, on-peak, peak, off_peak, offpeak, off-peak (any case)" in reasons["period_class"]
    assert "obligation, obl, option, opt (any case)" in reasons["hedge"]
