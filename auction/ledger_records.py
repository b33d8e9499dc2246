"""Ledger entries as flat records of text and integers, for storage, audit payloads and CSV.

One record per entry, every value a ``str`` or an ``int``; MW stay integer tenths and instants
are ISO 8601 UTC with ``Z``, so a record stores and hashes the same everywhere and
``entry_from_record(entry_to_record(e)) == e``. Reading a record checks every field and names
the one that is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from auction.ledger import FtrKey, LedgerEntry, Origin, PeriodClass
from auction.ledger_time import DeliveryMonth, check_hour_ending
from market_terms import Hedge

RECORD_FIELDS = (
    "seq",
    "holder",
    "month",
    "period_class",
    "source",
    "sink",
    "hedge",
    "mw_tenths",
    "origin",
    "effective_from",
    "reference",
)

Record = dict[str, str | int]


def entry_to_record(entry: LedgerEntry) -> Record:
    k = entry.key
    return {
        "seq": entry.seq,
        "holder": entry.holder,
        "month": str(k.month),
        "period_class": k.period_class.value,
        "source": k.source,
        "sink": k.sink,
        "hedge": k.hedge.value,
        "mw_tenths": entry.mw_tenths,
        "origin": entry.origin.value,
        "effective_from": entry.effective_from.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "reference": entry.reference,
    }


def entry_from_record(record: Mapping[str, object]) -> LedgerEntry:
    """The entry a record stands for; ``ValueError`` naming the missing or bad field."""
    missing = [f for f in RECORD_FIELDS if f not in record]
    if missing:
        raise ValueError(f"ledger record {record.get('seq', '?')}: missing {', '.join(missing)}")
    where = f"ledger record {record['seq']}"

    def text(name: str) -> str:
        value = record[name]
        if not isinstance(value, str) or not value:
            raise ValueError(f"{where}: {name} must be non-empty text, got {value!r}")
        return value

    def integer(name: str) -> int:
        value = record[name]
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{where}: {name} must be an integer, got {value!r}")
        return value

    try:
        key = FtrKey(
            DeliveryMonth.parse(text("month")),
            PeriodClass(text("period_class")),
            text("source"),
            text("sink"),
            Hedge(text("hedge")),
        )
        origin = Origin(text("origin"))
        effective = check_hour_ending(datetime.fromisoformat(text("effective_from")), "effective_from")
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    return LedgerEntry(
        integer("seq"), text("holder"), key, integer("mw_tenths"), origin, effective, text("reference")
    )
