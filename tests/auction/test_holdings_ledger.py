"""The append-only holdings ledger and its queries: positions, holdings at an hour, histories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auction.ledger import FtrKey, Ledger, LedgerError, Origin, PeriodClass, Posting
from auction.ledger_queries import (
    Holding,
    credited_holdings_at,
    history,
    holders_after_period,
    holdings_at,
    minimum_position,
    portfolio,
    position_at,
    position_matrix,
)
from auction.ledger_time import DeliveryMonth
from tests.auction.holdings_cases import AUGUST, JULY, grant, hour, key, ledger_with


class TestAppend:
    def test_entries_are_numbered_and_the_input_ledger_is_unchanged(self) -> None:
        empty = Ledger()
        one = empty.append([grant("A", key(), 100)])
        two = one.append([grant("B", key(), 50)])
        assert len(empty) == 0
        assert len(one) == 1
        assert [e.seq for e in two.entries] == [1, 2]
        assert two.entries[:1] == one.entries

    def test_negative_position_refused_naming_holder_ftr_and_hour(self) -> None:
        led = ledger_with(grant("A", key(), 100))
        debit = Posting("A", key(), -150, Origin.TRANSFER, hour(JULY, 10), "transfer:t1")
        with pytest.raises(LedgerError, match=r"A would hold -5 MW of 2026-07 on_peak 1->3.*transfer:t1"):
            led.append([debit])

    def test_debit_before_a_later_credit_is_refused(self) -> None:
        # Credit effective from hour 10; a debit from hour 5 would leave hours 5..9 negative.
        led = ledger_with(grant("A", key(), 100, at=10))
        with pytest.raises(LedgerError):
            led.append([Posting("A", key(), -100, Origin.TRANSFER, hour(JULY, 5), "t")])

    def test_batch_is_atomic_and_netted_at_the_same_instant(self) -> None:
        k = key()
        debit = Posting("A", k, -100, Origin.TRANSFER, hour(JULY, 0), "swap")
        credit = Posting("A", k, 100, Origin.NSU_ALLOCATION, hour(JULY, 0), "alloc")
        led = Ledger().append([debit, credit])
        assert position_at(led, "A", k, hour(JULY, 0)) == 0

    def test_posting_outside_its_month_refused(self) -> None:
        with pytest.raises(ValueError, match="is not an hour of 2026-07"):
            Posting("A", key(), 10, Origin.NSU_ALLOCATION, hour(AUGUST, 3), "x")

    def test_zero_and_float_postings_refused(self) -> None:
        with pytest.raises(ValueError, match="0 MW"):
            Posting("A", key(), 0, Origin.NSU_ALLOCATION, hour(JULY, 0), "x")
        with pytest.raises(TypeError, match="int"):
            Posting("A", key(), 1.5, Origin.NSU_ALLOCATION, hour(JULY, 0), "x")  # type: ignore[arg-type]

    def test_key_with_same_source_and_sink_refused(self) -> None:
        with pytest.raises(ValueError, match="same point '1'"):
            key(source="1", sink="1")

    def test_out_of_order_entries_refused(self) -> None:
        led = ledger_with(grant("A", key(), 100), grant("B", key(), 100))
        with pytest.raises(LedgerError, match="seq 1 follows seq 2"):
            Ledger(led.entries[::-1])

    def test_a_selection_of_entries_is_a_ledger_and_appends_after_its_last_seq(self) -> None:
        led = ledger_with(grant("A", key(), 100), grant("B", key(AUGUST), 100), grant("C", key(), 5))
        july = Ledger(tuple(e for e in led.entries if e.key.month == JULY))
        assert [e.seq for e in july.entries] == [1, 3]
        assert july.append([grant("D", key(), 1)]).entries[-1].seq == 4
        assert july.append([grant("D", key(), 1)], first_seq=9).entries[-1].seq == 9
        with pytest.raises(LedgerError, match="first_seq 3 does not follow"):
            july.append([grant("D", key(), 1)], first_seq=3)
        assert holdings_at(july, hour(JULY, 0)) == holdings_at(led, hour(JULY, 0))


class TestMidMonthTransfer:
    def test_right_moves_from_its_effective_hour_on(self) -> None:
        k = key()
        led = ledger_with(grant("A", k, 500, Origin.AUCTION_AWARD))
        led = led.append(
            [
                Posting("A", k, -200, Origin.TRANSFER, hour(JULY, 300), "transfer:t1"),
                Posting("B", k, 200, Origin.TRANSFER, hour(JULY, 300), "transfer:t1"),
            ]
        )
        assert holdings_at(led, hour(JULY, 299)) == (Holding("A", k, 500),)
        assert holdings_at(led, hour(JULY, 300)) == (Holding("A", k, 300), Holding("B", k, 200))
        assert holdings_at(led, JULY.last_hour_ending()) == (Holding("A", k, 300), Holding("B", k, 200))
        assert holdings_at(led, hour(AUGUST, 0)) == ()
        assert minimum_position(led, "A", k) == 300
        assert minimum_position(led, "B", k) == 0

    def test_history_shows_each_change_and_the_position_left(self) -> None:
        k = key()
        led = ledger_with(grant("A", k, 500, Origin.AUCTION_AWARD))
        led = led.append(
            [
                Posting("A", k, -200, Origin.TRANSFER, hour(JULY, 300), "transfer:t1"),
                Posting("B", k, 200, Origin.TRANSFER, hour(JULY, 300), "transfer:t1"),
            ]
        )
        steps = history(led, "A", k)
        assert [(s.change_tenths, s.position_tenths, s.origin) for s in steps] == [
            (500, 500, Origin.AUCTION_AWARD),
            (-200, 300, Origin.TRANSFER),
        ]
        assert steps[1].effective_from == hour(JULY, 300)
        (line_a, line_b) = portfolio(led, JULY)
        assert (line_a.holder, line_a.first_hour_tenths, line_a.last_hour_tenths, line_a.minimum_tenths) == (
            "A",
            500,
            300,
            300,
        )
        assert (line_b.holder, line_b.first_hour_tenths, line_b.last_hour_tenths) == ("B", 0, 200)
        assert portfolio(led, JULY, holder="B") == (line_b,)
        assert portfolio(led, JULY, period_class=PeriodClass.OFF_PEAK) == ()

    def test_holdings_filtered_by_holder_and_class(self) -> None:
        on, off = key(), key(period_class=PeriodClass.OFF_PEAK)
        led = ledger_with(grant("A", on, 10), grant("A", off, 20), grant("B", on, 30))
        h = hour(JULY, 0)
        assert holdings_at(led, h, holder="A") == (Holding("A", off, 20), Holding("A", on, 10))
        assert holdings_at(led, h, period_class=PeriodClass.OFF_PEAK) == (Holding("A", off, 20),)


class TestPositionMatrix:
    def test_hours_by_holdings_with_zero_outside_the_month(self) -> None:
        on, off = key(), key(period_class=PeriodClass.OFF_PEAK)
        led = ledger_with(grant("A", on, 10), grant("B", off, 20, at=3))
        hours = [hour(JULY, 0) - timedelta(hours=1), hour(JULY, 0), hour(JULY, 3), JULY.last_hour_ending()]
        m = position_matrix(led, JULY, hours)
        assert m.holdings == (("A", on), ("B", off))
        assert m.tenths.tolist() == [[0, 0], [10, 0], [10, 20], [10, 20]]
        assert position_matrix(led, JULY, hours, period_class=PeriodClass.OFF_PEAK).holdings == (("B", off),)


class TestCreditedHoldings:
    def test_only_the_hours_class_earns(self) -> None:
        on, off = key(), key(period_class=PeriodClass.OFF_PEAK)
        led = ledger_with(grant("A", on, 10), grant("B", off, 20))
        # Wednesday 1 July 2026: the hour ending 12:00 EDT (16:00 UTC) is on-peak, 03:00 EDT off-peak.
        assert credited_holdings_at(led, datetime(2026, 7, 1, 16, tzinfo=UTC)) == (Holding("A", on, 10),)
        assert credited_holdings_at(led, datetime(2026, 7, 1, 7, tzinfo=UTC)) == (Holding("B", off, 20),)


class TestReversion:
    def test_sold_month_reverts_to_the_transferee_of_the_later_months(self) -> None:
        jul, aug = key(JULY), key(AUGUST)
        led = ledger_with(grant("A", jul, 100), grant("A", aug, 100))
        # A's July MW are sold in the July auction to B.
        led = led.append(
            [
                Posting("A", jul, -100, Origin.SALE, hour(JULY, 0), "auc-7:offer-1"),
                Posting("B", jul, 100, Origin.AUCTION_AWARD, hour(JULY, 0), "auc-7:bid-9"),
            ]
        )
        assert holders_after_period(led, "A", jul) == (Holding("A", aug, 100),)
        # During July, A transfers August to C: at the end of July the right goes to C.
        led = led.append(
            [
                Posting("A", aug, -100, Origin.TRANSFER, hour(AUGUST, 0), "transfer:t7"),
                Posting("C", aug, 100, Origin.TRANSFER, hour(AUGUST, 0), "transfer:t7"),
            ]
        )
        assert holdings_at(led, JULY.last_hour_ending()) == (Holding("B", jul, 100),)
        assert holders_after_period(led, "A", jul) == (Holding("C", aug, 100),)
        assert holdings_at(led, hour(AUGUST, 0)) == (Holding("C", aug, 100),)

    def test_nothing_reverts_after_the_term_ends(self) -> None:
        led = ledger_with(grant("A", key(JULY), 100))
        assert holders_after_period(led, "A", key(JULY)) == ()


# ---- property: any history of grants, transfers and sales replays to the same positions ----

HOLDERS = ("A", "B", "C")
MONTH = DeliveryMonth(2026, 2)  # 672 hours
N_HOURS = 672
KEYS = (key(MONTH), key(MONTH, source="2"))


@dataclass
class Naive:
    """An hour-by-hour table of positions: the obvious model the ledger must agree with."""

    table: dict[tuple[str, FtrKey], list[int]]

    def apply(self, holder: str, k: FtrKey, tenths: int, start: int) -> None:
        row = self.table.setdefault((holder, k), [0] * N_HOURS)
        for i in range(start, N_HOURS):
            row[i] += tenths

    def ok(self) -> bool:
        return all(v >= 0 for row in self.table.values() for v in row)


operation = st.tuples(
    st.sampled_from(("grant", "transfer", "sell")),
    st.sampled_from(HOLDERS),
    st.sampled_from(HOLDERS),
    st.sampled_from(KEYS),
    st.integers(min_value=1, max_value=300),
    st.integers(min_value=0, max_value=N_HOURS - 1),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(operation, max_size=25))
def test_positions_replay_exactly_from_the_entries(ops: list[tuple[str, str, str, FtrKey, int, int]]) -> None:
    led = Ledger()
    naive = Naive({})
    for i, (kind, a, b, k, tenths, at) in enumerate(ops):
        if kind == "grant":
            changes = [(a, tenths)]
        elif kind == "sell":
            changes = [(a, -tenths)]
        else:
            changes = [(a, -tenths), (b, tenths)] if a != b else [(a, tenths)]
        postings = [
            Posting(
                who,
                k,
                d,
                Origin.TRANSFER if kind == "transfer" else Origin.NSU_ALLOCATION,
                hour(MONTH, at),
                f"op{i}",
            )
            for who, d in changes
        ]
        trial = Naive({hk: list(row) for hk, row in naive.table.items()})
        for who, d in changes:
            trial.apply(who, k, d, at)
        try:
            led2 = led.append(postings)
        except LedgerError:
            assert not trial.ok(), "the ledger refused a batch that keeps every position >= 0"
            continue
        assert trial.ok(), "the ledger accepted a batch that leaves a negative position"
        led, naive = led2, trial
    probe_hours = sorted({0, N_HOURS - 1, *(at for *_, at in ops), *(max(at - 1, 0) for *_, at in ops)})
    for (who, k), row in naive.table.items():
        steps = history(led, who, k)
        for i in probe_hours:
            h = hour(MONTH, i)
            assert position_at(led, who, k, h) == row[i]
            before = [s.position_tenths for s in steps if s.effective_from <= h]
            assert (before[-1] if before else 0) == row[i]
        assert minimum_position(led, who, k) == min(row)
    matrix = position_matrix(led, MONTH, [hour(MONTH, i) for i in probe_hours])
    for j, (who, k) in enumerate(matrix.holdings):
        row = naive.table[(who, k)]
        assert matrix.tenths[:, j].tolist() == [row[i] for i in probe_hours]
    # Rebuilding from the stored entries gives the same ledger and the same answers.
    rebuilt = Ledger(led.entries)
    for i in probe_hours:
        assert holdings_at(rebuilt, hour(MONTH, i)) == holdings_at(led, hour(MONTH, i))
        expected = tuple(sorted(Holding(w, k, row[i]) for (w, k), row in naive.table.items() if row[i] != 0))
        assert holdings_at(led, hour(MONTH, i)) == expected
