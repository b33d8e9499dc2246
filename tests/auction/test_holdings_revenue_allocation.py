"""Net auction revenue to transmission owners (OA 7.3.9): exact to the cent, largest remainder."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auction.revenue_allocation import allocate_revenue_cents


class TestByHand:
    def test_three_equal_owners_share_a_cent_left_over(self) -> None:
        # 100 cents / 3: quotas 33 1/3 each; one cent left, to the first id in order.
        assert allocate_revenue_cents(100, {"TO-b": 1, "TO-a": 1, "TO-c": 1}) == {
            "TO-a": 34,
            "TO-b": 33,
            "TO-c": 33,
        }

    def test_largest_remainder_wins(self) -> None:
        # 90000 cents (the docs/rules.md auction's $900) over requirements 5, 3, 1 ($M):
        # quotas 50000, 30000, 10000: exact.
        assert allocate_revenue_cents(90000, {"A": Decimal(5), "B": Decimal(3), "C": Decimal(1)}) == {
            "A": 50000,
            "B": 30000,
            "C": 10000,
        }
        # 10 cents over 0.5, 0.3, 0.2 -> 5, 3, 2; 11 cents -> quotas 5.5, 3.3, 2.2 -> A gets the cent.
        w = {"A": Decimal("0.5"), "B": Decimal("0.3"), "C": Decimal("0.2")}
        assert allocate_revenue_cents(11, w) == {"A": 6, "B": 3, "C": 2}

    def test_negative_revenue_is_shared_the_same_way(self) -> None:
        assert allocate_revenue_cents(-100, {"a": 1, "b": 1, "c": 1}) == {"a": -34, "b": -33, "c": -33}

    def test_zero_requirement_gets_nothing(self) -> None:
        assert allocate_revenue_cents(7, {"a": 0, "b": 2, "c": 1}) == {"a": 0, "b": 5, "c": 2}

    @pytest.mark.parametrize(
        ("requirements", "message"),
        [
            ({"a": -1, "b": 2}, "'a' is negative"),
            ({"a": 0, "b": 0}, "sum to 0"),
            ({}, "sum to 0"),
            ({"a": Decimal("NaN")}, "'a' is not finite"),
        ],
    )
    def test_bad_requirements_refused(self, requirements: dict[str, Decimal | int], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            allocate_revenue_cents(100, requirements)

    def test_float_refused(self) -> None:
        with pytest.raises(TypeError, match="'a'"):
            allocate_revenue_cents(100, {"a": 0.5})  # type: ignore[dict-item]


requirements = st.dictionaries(
    st.text(alphabet="ABCDEFGH", min_size=1, max_size=3),
    st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=12,
).filter(lambda d: sum(d.values()) > 0)


@given(st.integers(min_value=-(10**12), max_value=10**12), requirements)
def test_sums_to_the_cent_and_each_within_a_cent_of_its_quota(revenue: int, reqs: dict[str, Decimal]) -> None:
    out = allocate_revenue_cents(revenue, reqs)
    assert sum(out.values()) == revenue
    total = sum(Fraction(v) for v in reqs.values())
    for owner, cents in out.items():
        quota = Fraction(revenue) * Fraction(reqs[owner]) / total
        assert abs(cents - quota) < 1
        if reqs[owner] == 0:
            assert cents == 0
    # The order owners are given in does not change anything.
    assert allocate_revenue_cents(revenue, dict(reversed(list(reqs.items())))) == out
