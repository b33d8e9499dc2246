"""Exact MW and money units."""

from __future__ import annotations

from decimal import Decimal

import pytest

from auction.ledger_units import (
    cents_to_dollars,
    dollars_to_cents,
    mw_to_tenths,
    posted_price,
    tenths_from_solver_mw,
    tenths_to_mw,
)


class TestMw:
    def test_tenths_exact(self) -> None:
        assert mw_to_tenths("12.3") == 123
        assert mw_to_tenths(Decimal("0.1")) == 1
        assert mw_to_tenths(7) == 70
        assert tenths_to_mw(123) == Decimal("12.3")

    @pytest.mark.parametrize(
        ("value", "message"), [("12.34", "finer than 0.1"), ("abc", "not a number"), ("NaN", "not finite")]
    )
    def test_refused(self, value: str, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            mw_to_tenths(value)

    def test_float_refused(self) -> None:
        with pytest.raises(TypeError, match="float"):
            mw_to_tenths(0.1)  # type: ignore[arg-type]

    def test_solver_mw(self) -> None:
        assert tenths_from_solver_mw(49.99999999999) == 500
        assert tenths_from_solver_mw(0.30000000000000004) == 3
        with pytest.raises(ValueError, match=r"50\.05 is not a multiple of 0\.1 MW"):
            tenths_from_solver_mw(50.05)


class TestMoney:
    def test_cents_round_half_away_from_zero(self) -> None:
        assert dollars_to_cents(Decimal("1.005")) == 101
        assert dollars_to_cents(Decimal("-1.005")) == -101
        assert dollars_to_cents(Decimal("1.004")) == 100
        assert cents_to_dollars(12345) == Decimal("123.45")

    def test_posted_price(self) -> None:
        assert posted_price(9.999999999) == Decimal("10.00")
        assert posted_price(-10.000000001) == Decimal("-10.00")
        assert posted_price(4.125) == Decimal("4.12")  # half to even
        assert posted_price(5.0, places=4) == Decimal("5.0000")
        with pytest.raises(ValueError, match="not finite"):
            posted_price(float("inf"))
