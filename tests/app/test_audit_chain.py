"""The audit hash chain: canonical form, chaining, and detection of any tampering."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.audit_chain import (
    GENESIS_HASH,
    AuditEntry,
    Break,
    append_entry,
    bid_book_hash,
    bid_book_matches,
    canonical_json,
    entry_hash,
    sha256_hex,
    verify_chain,
)

T0 = datetime(2026, 6, 10, 4, tzinfo=UTC)


class Color(StrEnum):
    RED = "red"


def chain(n: int) -> list[AuditEntry]:
    out: list[AuditEntry] = []
    for i in range(n):
        prev = out[-1] if out else None
        out.append(append_entry(prev, T0 + timedelta(minutes=i), f"user{i % 3}", "bid.created", {"bid": i}))
    return out


class TestCanonicalJson:
    def test_sorted_compact_and_typed(self) -> None:
        at = datetime(2026, 6, 10, 0, tzinfo=timezone(timedelta(hours=-4)))
        text = canonical_json({"b": Decimal("12.30"), "a": [at, Color.RED, (1, None, True)], "é": 0.5})
        assert text == '{"a":["2026-06-10T04:00:00Z","red",[1,null,true]],"b":"12.30","é":0.5}'

    def test_key_order_does_not_matter(self) -> None:
        assert canonical_json({"x": 1, "y": {"b": 2, "a": 3}}) == canonical_json(
            {"y": {"a": 3, "b": 2}, "x": 1}
        )

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            (float("nan"), "no canonical form"),
            (Decimal("Infinity"), "no canonical form"),
            (datetime(2026, 1, 1), "naive"),
            ({1: "x"}, "not a string"),
            ({"s": {1, 2}}, r"\$\.s: set"),
        ],
    )
    def test_refuses_values_without_one_form(self, value: Any, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            canonical_json(value)


class TestChain:
    def test_first_entry_hash_by_hand(self) -> None:
        e = append_entry(None, T0, "oi", "window.opened", {"auction": "2026-07"})
        body = (
            '{"action":"window.opened","actor":"oi","at":"2026-06-10T04:00:00Z",'
            '"payload":{"auction":"2026-07"},"prev_hash":"' + GENESIS_HASH + '","seq":1}'
        )
        assert e.seq == 1
        assert e.prev_hash == GENESIS_HASH
        assert e.hash == sha256_hex(body)

    def test_links(self) -> None:
        es = chain(3)
        assert [e.seq for e in es] == [1, 2, 3]
        assert es[1].prev_hash == es[0].hash
        assert verify_chain(es).ok and verify_chain(iter(es)).ok
        assert verify_chain(es).checked == 3
        assert verify_chain([]).ok

    def test_altered_payload_named(self) -> None:
        es = chain(5)
        es[2] = dataclasses.replace(es[2], payload={"bid": 99})
        v = verify_chain(es)
        assert (v.ok, v.first_bad_seq, v.problem) == (False, 3, Break.ALTERED)

    def test_payload_changed_to_something_unhashable_is_reported_not_raised(self) -> None:
        es = chain(3)
        es[1] = dataclasses.replace(es[1], payload={"bid": float("nan")})
        v = verify_chain(es)
        assert (v.first_bad_seq, v.problem) == (2, Break.ALTERED)

    def test_rehashed_entry_is_named_not_its_successor(self) -> None:
        es = chain(5)
        e = es[1]
        forged_hash = entry_hash(e.seq, e.at, "mallory", e.action, e.payload, e.prev_hash)
        es[1] = dataclasses.replace(e, actor="mallory", hash=forged_hash)
        v = verify_chain(es)
        assert (v.first_bad_seq, v.problem) == (2, Break.REPLACED)

    def test_deleted_entry_named(self) -> None:
        es = chain(5)
        del es[3]
        v = verify_chain(es)
        assert (v.first_bad_seq, v.problem) == (4, Break.REMOVED)

    def test_deleted_first_entry_named(self) -> None:
        v = verify_chain(chain(3)[1:])
        assert (v.first_bad_seq, v.problem) == (1, Break.REMOVED)

    def test_deleted_tail_needs_the_recorded_head(self) -> None:
        es = chain(5)
        head = (es[-1].seq, es[-1].hash)
        assert verify_chain(es, head).ok
        assert verify_chain(es[:3]).ok  # the chain alone cannot see a cut tail
        v = verify_chain(es[:3], head)
        assert (v.first_bad_seq, v.problem) == (4, Break.REMOVED)

    def test_duplicated_entry_named(self) -> None:
        es = chain(4)
        es.insert(2, es[1])
        v = verify_chain(es)
        assert (v.first_bad_seq, v.problem) == (2, Break.INSERTED)

    def test_empty_chain_with_genesis_head(self) -> None:
        assert verify_chain([], (0, GENESIS_HASH)).ok
        assert not verify_chain([], (0, "f" * 64)).ok


FIELDS = ("seq", "at", "actor", "action", "payload", "prev_hash", "hash")


def tamper(e: AuditEntry, field: str) -> AuditEntry:
    changes: dict[str, Any] = {
        "seq": e.seq + 7,
        "at": e.at + timedelta(seconds=1),
        "actor": e.actor + "x",
        "action": e.action + ".x",
        "payload": {**e.payload, "bid": -1},
        "prev_hash": "1" * 64,
        "hash": "2" * 64,
    }
    return dataclasses.replace(e, **{field: changes[field]})


@settings(max_examples=80, deadline=None)
@given(n=st.integers(min_value=2, max_value=12), data=st.data())
def test_any_tampering_is_detected_at_or_before_the_entry(n: int, data: st.DataObject) -> None:
    es = chain(n)
    head = (es[-1].seq, es[-1].hash)
    i = data.draw(st.integers(min_value=0, max_value=n - 1))
    how = data.draw(st.sampled_from(("field", "rehash", "delete", "swap", "insert")))
    if how == "field":
        es[i] = tamper(es[i], data.draw(st.sampled_from(FIELDS)))
        expected = es[i].seq if es[i].seq == i + 1 else None
    elif how == "rehash":
        e = dataclasses.replace(es[i], actor="mallory")
        es[i] = dataclasses.replace(
            e, hash=entry_hash(e.seq, e.at, e.actor, e.action, e.payload, e.prev_hash)
        )
        expected = i + 1
    elif how == "delete":
        del es[i]
        expected = i + 1
    elif how == "swap":
        j = data.draw(st.integers(min_value=0, max_value=n - 1).filter(lambda j: j != i))
        es[i], es[j] = es[j], es[i]
        expected = min(i, j) + 1
    else:
        # A forged entry chained after the last one is what an append looks like: the chain
        # shows inserts before the head only, so forge in the middle.
        i = min(i, n - 2)
        forged = append_entry(es[i], es[i].at, "mallory", "bid.created", {"bid": 1000})
        es.insert(i + 1, forged)
        expected = i + 2
    v = verify_chain(es, head)
    assert not v.ok
    assert v.first_bad_seq is not None and v.first_bad_seq <= i + 2
    if expected is not None:
        assert v.first_bad_seq == expected


class TestBidBookHash:
    BIDS = (
        {"bid": "b1", "mw": Decimal("10.0"), "price": Decimal("5.25"), "source": "1", "sink": "3"},
        {"bid": "b2", "mw": Decimal("3.5"), "price": Decimal("-1"), "source": "3", "sink": "1"},
        {"bid": "b3", "mw": Decimal("3.5"), "price": Decimal("-1"), "source": "3", "sink": "1"},
    )
    CONTEXT: ClassVar[dict[str, str]] = {"auction": "2026-07", "class": "on_peak"}

    @given(st.permutations(BIDS))
    def test_order_independent(self, bids: list[dict[str, Any]]) -> None:
        assert bid_book_hash(self.CONTEXT, bids) == bid_book_hash(self.CONTEXT, self.BIDS)

    def test_any_change_changes_the_seal(self) -> None:
        seal = bid_book_hash(self.CONTEXT, self.BIDS)
        changed = [dict(b) for b in self.BIDS]
        changed[0]["price"] = Decimal("5.26")
        assert bid_book_hash(self.CONTEXT, changed) != seal
        assert bid_book_hash(self.CONTEXT, self.BIDS[:2]) != seal
        assert bid_book_hash(self.CONTEXT, (*self.BIDS, self.BIDS[0])) != seal
        assert bid_book_hash({**self.CONTEXT, "class": "off_peak"}, self.BIDS) != seal

    def test_check_before_clearing(self) -> None:
        seal = bid_book_hash(self.CONTEXT, self.BIDS)
        assert bid_book_matches(self.CONTEXT, reversed(self.BIDS), seal)
        assert not bid_book_matches(self.CONTEXT, self.BIDS[1:], seal)
