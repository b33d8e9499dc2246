"""Exact MW and money units: integer tenths and integer cents, one rounding rule (half-even)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from market_terms.money import (
    array_round_to_cent,
    array_to_cents,
    cents_to_dollars,
    posted_price,
    round_to_cent,
    to_cents,
)
from market_terms.mw import mw_to_tenths, round_to_tenths, tenths_from_solver_mw, tenths_to_mw


class TestMw:
    def test_tenths_exact(self) -> None:
        assert mw_to_tenths("12.3") == 123
        assert mw_to_tenths(Decimal("0.1")) == 1
        assert mw_to_tenths(7) == 70
        assert tenths_to_mw(123) == Decimal("12.3")
        assert round_to_tenths(12.25) == 122
        assert round_to_tenths(12.35) == 124
        assert round_to_tenths(Decimal("-0.05")) == 0

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
    def test_cents_round_half_to_even(self) -> None:
        # Ties go to the even cent (ties away from zero gave 101 and -101 for the first two).
        assert to_cents(Decimal("1.005")) == 100
        assert to_cents(Decimal("-1.005")) == -100
        assert to_cents(Decimal("1.015")) == 102
        assert to_cents(Decimal("1.004")) == 100
        assert to_cents(Decimal("1.006")) == 101
        assert cents_to_dollars(12345) == Decimal("123.45")

    def test_float_read_as_its_decimal(self) -> None:
        # 1.015 is stored as 1.01499999...; it is read as the decimal it names, a tie, to the even cent.
        assert to_cents(1.015) == 102
        assert to_cents(1.025) == 102
        assert to_cents(-0.025) == -2
        assert to_cents(0.125) == 12
        # float noise of a product does not break a tie: 0.1 * 0.45 = 0.045000000000000005 -> 4 cents
        assert to_cents(0.1 * 0.45) == 4 == to_cents(Decimal("0.1") * Decimal("0.45"))
        assert to_cents(1e16) == 10**18
        assert round_to_cent(-0.001) == 0.0
        assert str(round_to_cent(-0.001)) == "0.0"

    def test_refused(self) -> None:
        with pytest.raises(ValueError, match="not finite"):
            to_cents(float("nan"))
        with pytest.raises(TypeError, match="bool"):
            to_cents(True)

    def test_array_ties(self) -> None:
        amounts = np.array([[1.015, 1.025, -1.015], [0.125, 2.675, 1e9 + 0.005]])
        assert array_to_cents(amounts).tolist() == [[102, 102, -102], [12, 268, 100_000_000_000]]
        assert array_round_to_cent(amounts)[0].tolist() == [1.02, 1.02, -1.02]

    @given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
    def test_array_matches_scalar(self, dollars: float) -> None:
        assert int(array_to_cents([dollars])[0]) == to_cents(dollars)

    @given(st.lists(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), max_size=50))
    def test_array_matches_scalar_many(self, amounts: list[float]) -> None:
        assert array_to_cents(np.array(amounts, dtype=np.float64)).tolist() == [to_cents(a) for a in amounts]

    @given(
        st.lists(
            st.tuples(st.integers(-10_000, 10_000), st.integers(-100_000, 100_000)), min_size=1, max_size=50
        )
    )
    def test_tenths_times_cents_match_scalar(self, pairs: list[tuple[int, int]]) -> None:
        """MW in tenths times $/MW in cents, computed in floats: exact half cents are common here."""
        amounts = [(tenths / 10) * (cents / 100) for tenths, cents in pairs]
        assert array_to_cents(amounts).tolist() == [to_cents(a) for a in amounts]

    @given(st.lists(st.integers(min_value=-(10**11), max_value=10**11), min_size=1, max_size=50))
    def test_exact_half_cent_ties_match_scalar(self, half_cents: list[int]) -> None:
        """Every odd count of half cents is an exact tie in decimal; the float nearest it too."""
        amounts = [float(Decimal(h) / 200) for h in half_cents]
        cents = array_to_cents(amounts).tolist()
        assert cents == [to_cents(a) for a in amounts]
        for h, c in zip(half_cents, cents, strict=True):
            if h % 2 and abs(h) < 2 * 10**10:
                assert c % 2 == 0 and abs(2 * c - h) == 1

    @given(st.lists(st.integers(min_value=-(10**14), max_value=10**14), min_size=1, max_size=50))
    def test_quantum_ties_match_scalar(self, half_quanta: list[int]) -> None:
        """Amounts on a half of the 1e-7 $ quantum (the first rounding step of the rule)."""
        amounts = [float(Decimal(h) / (2 * 10**7)) for h in half_quanta]
        assert array_to_cents(amounts).tolist() == [to_cents(a) for a in amounts]

    def test_half_cent_ties_decided_without_the_scalar(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Ties are common in settlement amounts; they are decided in the vector, not one by one."""
        import market_terms.money as money

        def refuse(amount: object) -> int:
            raise AssertionError(f"{amount!r} decided one by one")

        amounts = np.arange(-20_001, 20_001, 2) / 200  # every odd half cent from -$100.005 to $100.005
        expected = [to_cents(float(a)) for a in amounts]
        monkeypatch.setattr(money, "to_cents", refuse)
        assert money.array_to_cents(amounts).tolist() == expected

    @given(st.integers(min_value=-(10**9), max_value=10**9))
    def test_half_cents_go_to_even(self, half_cents: int) -> None:
        cents = to_cents(Decimal(half_cents) / 200)
        assert abs(cents * 2 - half_cents) <= 1
        if half_cents % 2:
            assert cents % 2 == 0

    def test_posted_price(self) -> None:
        assert posted_price(9.999999999) == Decimal("10.00")
        assert posted_price(-10.000000001) == Decimal("-10.00")
        assert posted_price(4.125) == Decimal("4.12")  # half to even
        assert posted_price(5.0, places=4) == Decimal("5.0000")
        with pytest.raises(ValueError, match="not finite"):
            posted_price(float("inf"))
